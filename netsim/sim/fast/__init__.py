"""The fast data plane: every packet's queueing computed in bulk with numpy.

:mod:`~netsim.sim.fast.plane` holds :class:`~netsim.sim.fast.plane.FastDataPlane` (a
:class:`~netsim.sim.dataplane.DataPlane`): it walks windows of requests stage by stage and
iterates to a fixed point. :mod:`~netsim.sim.fast.load` draws the offered load,
:mod:`~netsim.sim.fast.net` holds the network as arrays and walks packets,
:mod:`~netsim.sim.fast.solver` solves the queues of a window and carries them to the next,
:mod:`~netsim.sim.fast.queue` has the pure vectorised FIFO (Lindley) and
:mod:`~netsim.sim.fast.slots` the traversals of one window. Run it with
``build_simulation(scenario, seed, "fast")``, or with its options through
:func:`netsim.sim.engine.run_fast`. See docs/fast-engine.md.
"""

from __future__ import annotations

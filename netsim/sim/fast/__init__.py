"""The fast data plane: every packet's queueing computed in bulk with numpy.

:mod:`~netsim.sim.fast.plane` walks windows of requests stage by stage and solves the
queues to a fixed point; :mod:`~netsim.sim.fast.load` draws the offered load,
:mod:`~netsim.sim.fast.net` holds the network as arrays, :mod:`~netsim.sim.fast.queue` the
vectorised FIFO (Lindley) and :mod:`~netsim.sim.fast.slots` the traversals of one window.
See docs/fast-engine.md.
"""

from __future__ import annotations

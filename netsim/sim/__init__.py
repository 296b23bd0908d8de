"""The simulator: a simpy control plane, then a data plane, into a Trace.

:func:`netsim.sim.engine.build_simulation` is the bridge from the model;
:mod:`~netsim.sim.control` runs failures, detection, convergence and restoration;
:mod:`~netsim.sim.bulk` and :mod:`~netsim.sim.fluid` share capacity among bulk flows;
the data planes (:mod:`~netsim.sim.exact`, :mod:`~netsim.sim.fast`) implement
:class:`~netsim.sim.dataplane.DataPlane` and are chosen from
:data:`~netsim.sim.engine.DATA_PLANES`.
"""

from __future__ import annotations

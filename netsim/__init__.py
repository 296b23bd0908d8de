"""netsim: simulate and emulate multi-cloud interconnect designs.

Two engines over one model: a discrete-event simulator (:mod:`netsim.sim`) and an emulation
lab of real FRR and strongSwan in network namespaces (:mod:`netsim.lab`). Both produce a
:class:`~netsim.trace.core.Trace`; analysis (:mod:`netsim.analysis`) and reports
(:mod:`netsim.report`) are pure functions of it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from netsim.model import Scenario, Topology, load_scenario, load_topology

__all__ = ["Scenario", "Topology", "__version__", "load_scenario", "load_topology"]

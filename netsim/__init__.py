"""netsim: simulate and emulate multi-cloud interconnect designs.

Two engines over one model: a discrete-event simulator (:mod:`netsim.sim`) and an emulation
lab of real FRR and strongSwan in network namespaces (:mod:`netsim.lab`). Both produce a
:class:`~netsim.trace.core.Trace`; analysis (:mod:`netsim.analysis`) and reports
(:mod:`netsim.report`) are pure functions of it.

The names below are loaded on first use (PEP 562), so ``import netsim`` and the command
line's ``--version`` and ``--help`` cost no numpy, YAML or simulator import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from netsim.model import Scenario, Topology, load_scenario, load_topology
    from netsim.pipeline import simulate

#: public name -> the module that defines it
_LAZY = {
    "Scenario": "netsim.model",
    "Topology": "netsim.model",
    "load_scenario": "netsim.model",
    "load_topology": "netsim.model",
    "simulate": "netsim.pipeline",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'netsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = ["Scenario", "Topology", "__version__", "load_scenario", "load_topology", "simulate"]

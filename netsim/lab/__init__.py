"""The emulation lab: containerlab topologies deployed as namespaces with FRR and strongSwan.

Reading (:func:`load_clab`), deploying without Docker (:class:`Lab`, :func:`deploy`),
inspecting (:func:`status`), failing and restoring links and nodes (:func:`fail`,
:func:`restore`), probing the data plane (:mod:`netsim.lab.live.probes`) and tearing down
(:func:`destroy`). See docs/lab.md. Layers: :mod:`netsim.lab.clab` (containerlab files in
and out), :mod:`netsim.lab.host` (namespaces, links, relay, processes, state),
:mod:`netsim.lab.daemons` (FRR, strongSwan) and :mod:`netsim.lab.live` (deploy, faults,
status, probes, playing a scenario). The names below load on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsim.lab.clab.read import ClabTopology, load_clab
    from netsim.lab.live.lab import Lab, deploy, destroy, fail, restore, status

#: Seconds a deploy waits for every BGP session and IPsec SA before it gives up.
DEPLOY_TIMEOUT_S = 50.0

_LAZY = {
    "ClabTopology": "netsim.lab.clab.read",
    "load_clab": "netsim.lab.clab.read",
    **dict.fromkeys(
        ("Lab", "deploy", "destroy", "fail", "restore", "status"), "netsim.lab.live.lab"
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'netsim.lab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "DEPLOY_TIMEOUT_S",
    "ClabTopology",
    "Lab",
    "deploy",
    "destroy",
    "fail",
    "load_clab",
    "restore",
    "status",
]

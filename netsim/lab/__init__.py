"""The emulation lab: containerlab topologies deployed as namespaces with FRR and strongSwan.

Reading (:func:`load_clab`), deploying without Docker (:class:`Lab`, :func:`deploy`),
inspecting (:func:`status`), failing and restoring links and nodes (:func:`fail`,
:func:`restore`), probing the data plane (:mod:`netsim.lab.live.probes`) and tearing down
(:func:`destroy`). See docs/lab.md.
"""

from __future__ import annotations

from netsim.lab.clab.read import ClabTopology, load_clab
from netsim.lab.live.lab import Lab, deploy, destroy, fail, restore, status

__all__ = ["ClabTopology", "Lab", "deploy", "destroy", "fail", "load_clab", "restore", "status"]

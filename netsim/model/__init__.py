"""The model: pure, frozen descriptions of topologies and scenarios, and their loaders.

Nothing here runs anything; engines are built *from* these objects
(:func:`netsim.sim.build_simulation`, :func:`netsim.lab.clab.plan.plan_lab`).
"""

from __future__ import annotations

from netsim.model.dist import Dist
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import load_topology
from netsim.model.scenario import (
    Failure,
    FailureMode,
    Mesh,
    Profile,
    RetryPolicy,
    Scenario,
    Slo,
    TargetKind,
    TrafficClass,
    TrafficKind,
    Transfer,
)
from netsim.model.topology import Bfd, Bgp, Cost, Dpd, Group, Link, LinkKind, Node, Role, Topology

__all__ = [
    "Bfd",
    "Bgp",
    "Cost",
    "Dist",
    "Dpd",
    "Failure",
    "FailureMode",
    "Group",
    "Link",
    "LinkKind",
    "Mesh",
    "Node",
    "Profile",
    "RetryPolicy",
    "Role",
    "Scenario",
    "Slo",
    "TargetKind",
    "Topology",
    "TrafficClass",
    "TrafficKind",
    "Transfer",
    "load_scenario",
    "load_topology",
]

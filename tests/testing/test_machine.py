"""The state machine over the control plane, on the ADR-003 topology and its redundant
variant (fail / fail again / restore / advance, invariants after every step)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import settings

from netsim.model import load_topology
from netsim.model.dist import Dist
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.testing.machine import control_trace, failover_machine
from netsim.testing.profiles import scaled

HUB = load_topology("topologies/megaport-hub.yaml")

TestMegaportHub = pytest.mark.slow(failover_machine(HUB).TestCase)
TestDualMcr = failover_machine(
    load_topology("topologies/dual-mcr.yaml"), modes=("down", "blackhole")
).TestCase
TestDualMcr.settings = settings(max_examples=scaled(0.5))


def test_control_trace_runs_only_the_control_plane() -> None:
    # azure-mcr's convergence set to 1 s like the others (ExpressRoute's is up to 1 min)
    azure = dataclasses.replace(HUB.link("azure-mcr"), convergence=Dist.constant(1.0))
    hub = dataclasses.replace(
        HUB, links=tuple(azure if x.name == "azure-mcr" else x for x in HUB.links)
    )
    scenario = Scenario(
        "c", hub, 10.0, 0.0, 1, (), (Failure(TargetKind.NODE, "mcr", 1.0, 2.0, FailureMode.DOWN),)
    )
    trace = control_trace(scenario, 10.0)
    assert len(trace.attempts) == 0
    assert trace.duration == 10.0
    kinds = [
        (round(e.time, 6), e.kind, e.subject)
        for e in trace.events
        if e.kind in ("failure", "detected", "switched", "repair", "restored")
    ]
    assert kinds == [
        (1.0, "failure", "mcr"),
        (1.0, "detected", "aws-mcr"),
        (1.0, "detected", "gcp-mcr"),
        (1.0, "detected", "azure-mcr"),
        (2.0, "switched", "aws-mcr"),
        (2.0, "switched", "gcp-mcr"),
        (2.0, "switched", "azure-mcr"),
        (3.0, "repair", "mcr"),
        (8.0, "restored", "aws-mcr"),
        (8.0, "restored", "gcp-mcr"),
        (8.0, "restored", "azure-mcr"),
    ]

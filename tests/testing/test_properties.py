"""Property-based tests of the simulator's failover against the invariants.

Each test draws scenarios (schedules of link / node / group failures, down / blackhole /
loss, overlapping, back-to-back and flapping; traffic mixes; random hub-and-spoke
topologies) and checks every invariant of :mod:`netsim.verify.invariants` on the trace.
The number of examples comes from the hypothesis profile (tests/testing/conftest.py).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from netsim.model import load_topology
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.sim.engine import build_simulation
from netsim.testing import strategies, topologies
from netsim.testing.profiles import scaled
from netsim.verify import bounds, invariants, metamorphic

MEGAPORT = load_topology("topologies/megaport-hub.yaml")
DUAL = load_topology("topologies/dual-mcr.yaml")


def _describe(scenario: Scenario) -> None:
    for f in scenario.failures:
        note(
            f"failure: {f.target.value} {f.name} {f.mode.value}"
            f"{f':{f.loss:g}' if f.loss else ''} at {f.at:g}s for {f.duration}s"
        )
    for c in scenario.traffic:
        note(f"traffic: {c.name} {c.kind.value} {c.src}->{','.join(c.dsts)} {c.rate:g}/s")


@given(strategies.scenarios(MEGAPORT))
def test_megaport_hub_failover_invariants(scenario: Scenario) -> None:
    _describe(scenario)
    trace = build_simulation(scenario, engine="exact").run()
    invariants.check_trace(trace, scenario)


@given(strategies.scenarios(DUAL, max_parts=2))
@settings(max_examples=scaled(0.5))
def test_dual_mcr_failover_invariants(scenario: Scenario) -> None:
    _describe(scenario)
    invariants.check_trace(build_simulation(scenario, engine="exact").run(), scenario)


@given(strategies.scenarios(topologies.hub_and_spoke()))
def test_hub_and_spoke_failover_invariants(scenario: Scenario) -> None:
    _describe(scenario)
    trace = build_simulation(scenario, engine="exact").run()
    invariants.check_trace(trace, scenario)


@given(strategies.scenarios(st.one_of(st.just(MEGAPORT), topologies.hub_and_spoke())))
@settings(max_examples=scaled(0.5))
def test_fast_engine_failover_invariants(scenario: Scenario) -> None:
    """The vectorised engine is held to the same invariants as the exact one."""
    _describe(scenario)
    invariants.check_trace(build_simulation(scenario, engine="fast").run(), scenario)


@given(strategies.scenarios(topologies.hub_and_spoke(max_spokes=3), max_parts=2, traffic=None))
@settings(max_examples=scaled(0.25))
def test_same_seed_same_trace(scenario: Scenario) -> None:
    metamorphic.check_deterministic(scenario)


@st.composite
def monotone_cases(
    draw: st.DrawFn, topology: object, modes: tuple[str, ...] = ("down", "blackhole")
) -> tuple[Scenario, Failure]:
    """A scenario of failures and one extra failure clear of all of them (in time)."""
    topo = draw(topology) if isinstance(topology, st.SearchStrategy) else topology
    settle = bounds.settle_bound(topo)  # type: ignore[arg-type]
    extra = draw(
        strategies.failures(
            topo,
            horizon=20.0,
            modes=modes,  # type: ignore[arg-type]
            max_duration=20.0,
        )
    )
    start = extra.at + (extra.duration or 0.0) + settle + 1.0
    base = draw(
        strategies.schedules(
            topo,
            horizon=40.0,
            modes=modes,  # type: ignore[arg-type]
            max_parts=2,
        )
    )
    base = tuple(dataclasses.replace(f, at=round(f.at + start, 6)) for f in base)
    scenario = draw(
        strategies.scenarios(
            topo,
            schedule=st.just(base),  # type: ignore[arg-type]
            horizon=start + 40.0,
        )
    )
    return scenario, extra


@given(monotone_cases(MEGAPORT, modes=("down",)))
@settings(max_examples=scaled(0.5))
def test_adding_a_carrier_loss_never_increases_deliveries(case: tuple[Scenario, Failure]) -> None:
    """Carrier losses draw no random numbers in the control plane (detection is at once and
    megaport-hub's convergence times are constants), so common random numbers hold."""
    scenario, extra = case
    _describe(scenario)
    metamorphic.check_adding_failure_monotone(scenario, extra)


# Common random numbers: every control-plane draw is keyed by (seed, purpose, link, time)
# and every request draws its values once, so an unrelated failure shifts no other draw.
@given(monotone_cases(MEGAPORT))
@settings(max_examples=scaled(0.5))
def test_adding_a_failure_never_increases_deliveries(case: tuple[Scenario, Failure]) -> None:
    scenario, extra = case
    _describe(scenario)
    note(f"extra: {extra}")
    metamorphic.check_adding_failure_monotone(scenario, extra)


def test_monotone_rejects_overlapping_failures() -> None:
    scenario = Scenario(
        "s",
        MEGAPORT,
        100.0,
        0.0,
        1,
        (),
        (Failure(TargetKind.LINK, "aws-mcr", 10.0, 5.0, FailureMode.BLACKHOLE),),
    )
    extra = Failure(TargetKind.LINK, "gcp-mcr", 12.0, 5.0, FailureMode.DOWN)
    with pytest.raises(ValueError, match="overlaps"):
        metamorphic.check_adding_failure_monotone(scenario, extra)

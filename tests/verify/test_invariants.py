"""Each invariant passes on a real trace and fails, with a message naming the problem, on the
same trace doctored to break exactly what it checks."""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.model.dist import Dist
from netsim.model.routing import Route
from netsim.model.scenario import (
    Failure,
    FailureMode,
    Scenario,
    TargetKind,
    TrafficClass,
    TrafficKind,
)
from netsim.sim.engine import build_simulation
from netsim.trace.core import LOST, OK, R_BLACKHOLE, Trace
from netsim.verify import invariants, metamorphic
from netsim.verify.replay import Replay
from tests.helpers import megaport_hub_1s_expressroute

if TYPE_CHECKING:
    from collections.abc import Callable

# megaport-hub with its pre-issue-10 1 s ExpressRoute convergence (see tests/helpers.py)
HUB = megaport_hub_1s_expressroute()
SCENARIO = Scenario(
    "doctored",
    HUB,
    120.0,
    0.0,
    11,
    (
        TrafficClass(
            "probes", TrafficKind.ONE_WAY, "aws", ("gcp",), rate=50.0, size=Dist.constant(200.0)
        ),
    ),
    (Failure(TargetKind.LINK, "aws-mcr", 20.0, 40.0, FailureMode.BLACKHOLE),),
)


@pytest.fixture(scope="module")
def pristine() -> Trace:
    return build_simulation(SCENARIO, engine="exact").run()


@pytest.fixture
def trace(pristine: Trace) -> Trace:
    return copy.deepcopy(pristine)


def test_replay_reads_the_trace_back(pristine: Trace) -> None:
    replay = Replay.of(pristine, HUB)
    assert replay.broken_intervals("aws-mcr") == [(20.0, 60.0)]
    assert replay.broken_at(30.0) == frozenset({"aws-mcr"})
    assert replay.routes_at(10.0)[("aws", "gcp")] == Route.single(("aws-mcr", "gcp-mcr"))
    assert replay.routes_at(30.0)[("aws", "gcp")] == Route.single(("vpn-aws-gcp",))  # at 21.9
    assert replay.routes_at(70.0)[("aws", "gcp")] == Route.single(("aws-mcr", "gcp-mcr"))
    assert replay.quiescent_windows(32.0) == [(0.0, 20.0), (52.0, 60.0), (92.0, 120.0)]
    (f,) = replay.failures
    assert (f.target, f.name, f.mode, f.at, f.repaired_at) == (
        "link",
        "aws-mcr",
        "blackhole",
        20.0,
        60.0,
    )


def test_every_invariant_holds_on_the_real_trace(pristine: Trace) -> None:
    assert invariants.trace_violations(pristine, SCENARIO) == {}


def _lost_in(trace: Trace, start: float, end: float) -> np.ndarray:
    a = trace.attempts
    return np.flatnonzero((a["t_send"] >= start) & (a["t_send"] < end) & (a["status"] == LOST))


def doctor_reason(trace: Trace) -> None:
    trace.attempts["reason"][_lost_in(trace, 20.0, 21.9)[0]] = 0


def doctor_hole(trace: Trace) -> None:
    trace.attempts["req"][100:] += 1


def doctor_link_state(trace: Trace) -> None:
    trace.events = [e for e in trace.events if e.kind != "link_state"]


def doctor_delivery(trace: Trace) -> None:
    i = _lost_in(trace, 20.5, 21.0)[0]
    a = trace.attempts
    a["status"][i], a["reason"][i], a["t_done"][i] = OK, 0, a["t_send"][i] + 0.02


def doctor_no_switch(trace: Trace) -> None:
    trace.events = [e for e in trace.events if e.kind != "switched"]


def doctor_long_gap(trace: Trace) -> None:
    a = trace.attempts
    rows = (a["t_send"] >= 20.0) & (a["t_send"] < 45.0)
    a["status"][rows], a["reason"][rows], a["t_done"][rows] = LOST, R_BLACKHOLE, np.nan


def doctor_early_restore(trace: Trace) -> None:
    trace.events = [
        dataclasses.replace(e, time=61.0) if e.kind == "restored" else e for e in trace.events
    ]


def doctor_lost_restore(trace: Trace) -> None:
    trace.events = [e for e in trace.events if e.kind != "restored"]


@pytest.mark.parametrize(
    ("doctor", "invariant", "message"),
    [
        (doctor_reason, "conservation", "are lost without a reason"),
        (doctor_hole, "conservation", "follow a hole in their flow's request ids"),
        (
            doctor_link_state,
            "link_states",
            "at 20s aws-mcr is up, expected blackhole (because of "
            "link aws-mcr blackhole at 20s until 60s)",
        ),
        (
            doctor_delivery,
            "no_delivery_over_broken_links",
            "1 attempt(s) delivered over aws-mcr while it was blackhole [20s, 60s)",
        ),
        (
            doctor_no_switch,
            "settled_routes",
            "in [52s, 60s): aws->gcp uses aws-mcr gcp-mcr, which is unusable: it crosses aws-mcr",
        ),
        (doctor_long_gap, "failover_gaps", "link aws-mcr (blackhole) at 20s: gap 25."),
        (
            doctor_early_restore,
            "restoration",
            "aws-mcr was restored at 61s, 1.000s after its repair; re-establishment takes 5s",
        ),
        (doctor_lost_restore, "restoration", "aws-mcr was repaired at 60s but not restored at 65s"),
    ],
)
def test_invariant_catches_its_violation(
    trace: Trace, doctor: Callable[[Trace], None], invariant: str, message: str
) -> None:
    doctor(trace)
    failed = invariants.trace_violations(trace, SCENARIO)
    assert invariant in failed
    assert message in failed[invariant]


def test_same_trace_detects_any_difference(pristine: Trace, trace: Trace) -> None:
    metamorphic.check_same_trace(pristine, trace)
    trace.attempts["t_done"][5] += 1e-9
    with pytest.raises(AssertionError, match="attempt column t_done differs first at row 5"):
        metamorphic.check_same_trace(pristine, trace)


def test_delivered_counts_requests_answered_and_datagrams_received(pristine: Trace) -> None:
    a = pristine.attempts
    assert metamorphic.delivered(pristine) == int((a["status"] == OK).sum())
    assert 0 < int((a["status"] == LOST).sum()) < 150  # ~1.9 s of 50/s probes lost

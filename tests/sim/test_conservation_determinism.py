"""Accounting and reproducibility of the simulator.

- conservation: every attempt ends delivered (with a time) or lost with a reason;
- the number sent matches the Poisson rate (an independent count, not the engine's);
- the same seed gives the same summary.json (wall time aside) and the same attempts, bit
  for bit; another seed gives another run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netsim.model import load_scenario
from netsim.trace.core import LATE, LOST, OK
from netsim.trace.files import dumps
from tests.helpers import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def blackhole() -> tuple:
    scenario = load_scenario(ROOT / "scenarios/replication-during-failover.yaml", ["duration=6m"])
    return scenario, run(scenario)


def test_every_attempt_is_delivered_or_lost_with_a_reason(blackhole: tuple) -> None:
    _, (trace, _) = blackhole
    a = trace.attempts
    status, reason, done = a["status"], a["reason"], a["t_done"]
    assert set(np.unique(status).tolist()) <= {OK, LOST, LATE}
    assert np.all(np.isfinite(done[status == OK]))
    assert np.all(reason[status == OK] == 0)
    assert np.all(np.isnan(done[status == LOST]))
    assert np.all(reason[status == LOST] > 0)
    assert (status == LOST).sum() > 100  # the failure did drop packets
    assert np.all(done[status == OK] >= a["t_send"][status == OK])


def test_sent_matches_the_poisson_rate(blackhole: tuple) -> None:
    scenario, (_trace, summary) = blackhole
    span = scenario.duration - scenario.warmup
    for name, rate in (("api", 40.0), ("probes", 100.0)):
        expected = rate * span
        assert abs(summary["traffic"][name]["sent"] - expected) < 4 * np.sqrt(expected)


def test_requests_conserved_across_summary(blackhole: tuple) -> None:
    _, (_, summary) = blackhole
    for stats in summary["traffic"].values():
        if "sent" in stats:
            assert stats["sent"] == stats["delivered"] + stats["lost"]


def _strip(summary: dict) -> bytes:
    return dumps({k: v for k, v in summary.items() if k != "wall_s"})


def test_same_seed_same_summary_and_trace(blackhole: tuple) -> None:
    scenario, (trace1, summary1) = blackhole
    trace2, summary2 = run(scenario)
    assert _strip(summary1) == _strip(summary2)
    for name in ("t_send", "t_done", "status", "reason", "path"):
        assert np.array_equal(trace1.attempts[name], trace2.attempts[name], equal_nan=True)
    assert [e.to_json() for e in trace1.events] == [e.to_json() for e in trace2.events]


def test_another_seed_gives_another_run(blackhole: tuple) -> None:
    scenario, (_, summary1) = blackhole
    _, summary2 = run(scenario, seed=scenario.seed + 1)
    assert json.loads(_strip(summary1)) != json.loads(_strip(summary2))

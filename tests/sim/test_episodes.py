"""Congestion episodes of internet paths (issue 11): two-state renewal, in both engines.

Oracle: the episodes are a seeded alternating renewal process (:mod:`netsim.sim.episodes`);
given its realised timeline, a probe sent at a uniform time meets the congested state with
the timeline's congested share, so the share of delayed probes and the loss rate follow from
it (binomial sampling error; thousands of probes). A tunnel over the link meets the same
episodes. The long-run share matches ``mean_congested / (mean_calm + mean_congested)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.model import load_scenario
from netsim.sim.episodes import link_episodes
from tests.helpers import run

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model.scenario import Scenario

CONGESTION = (
    "congestion: {calm: {mean: 10m, loss: 0.001}, congested: {mean: 5m, delay: 30ms, loss: 0.02}}"
)


def scenario_on(tmp_path: Path, duration: str = "4h") -> Scenario:
    (tmp_path / "t.yaml").write_text(f"""
name: episodes
nodes: {{a: {{role: cloud}}, b: {{role: cloud}}, c: {{role: cloud}}, net: {{role: internet}}}}
links:
  - {{name: ab, kind: internet, endpoints: [a, b], capacity: 1Gbps, delay: 10ms, {CONGESTION}}}
  - {{name: c-net, kind: internet, endpoints: [c, net], capacity: 1Gbps, delay: 1ms, {CONGESTION}}}
  - {{name: a-net, kind: internet, endpoints: [a, net], capacity: 1Gbps, delay: 1ms}}
  - {{name: vpn-ac, kind: vpn, endpoints: [a, c], underlay: [a-net, c-net], capacity: 1Gbps,
     delay: 5ms}}
""")
    (tmp_path / "s.yaml").write_text(f"""
name: s
topology: t.yaml
duration: {duration}
traffic:
  - {{name: ab, kind: one-way, from: a, to: b, rate: 5/s, size: 200B}}
  - {{name: ac, kind: one-way, from: a, to: c, rate: 5/s, size: 200B}}
""")
    return load_scenario(tmp_path / "s.yaml")


def congested_share(scenario: Scenario, link: str) -> float:
    steps = link_episodes(scenario.topology, scenario.seed, scenario.duration)[link]
    times = np.asarray([*steps.times, scenario.duration])
    hot = np.asarray([e.delay > 0 for e in steps.values])
    spans = np.diff(np.minimum(times, scenario.duration))
    return float(spans[hot].sum() / scenario.duration)


def test_long_run_share_is_the_stationary_probability(tmp_path: Path) -> None:
    scenario = scenario_on(tmp_path, duration="2000h")
    # 2000 h hold about 8000 episodes: the realised share is within 2 % of 1/3
    assert congested_share(scenario, "ab") == pytest.approx(1 / 3, abs=0.02)


@pytest.mark.parametrize(("cls", "link", "base"), [("ab", "ab", 0.010), ("ac", "c-net", 0.005)])
def test_probes_meet_the_episodes(tmp_path: Path, cls: str, link: str, base: float) -> None:
    scenario = scenario_on(tmp_path)
    share = congested_share(scenario, link)
    assert 0.1 < share < 0.6  # the 4 h hold several episodes
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        c = [x.name for x in scenario.traffic].index(cls)
        rows = trace.attempts["cls"] == c
        latency = (trace.attempts["t_done"] - trace.attempts["t_send"])[rows]
        arrived = latency[~np.isnan(latency)]
        n = len(latency)
        delayed = float(np.mean(arrived > base + 0.015))
        assert delayed == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / n) + 0.01)
        loss = 0.001 * (1 - share) + 0.02 * share
        lost = 1 - len(arrived) / n
        assert lost == pytest.approx(loss, abs=4 * np.sqrt(loss / n))


def test_a_congested_period_drains_and_keeps_order(tmp_path: Path) -> None:
    """Oracle: when a congested period ends at t0 with added delay a, the path's queue
    drains at DRAIN_RATE: a probe meeting the link at t >= t0 gets max(0, a - r (t - t0))
    added (r = 1/2), so the latency falls smoothly and no probe overtakes an earlier one;
    with the delay dropped at once, probes in the last 30 ms of each period would be
    overtaken. The link's delay is constant, so the added delay is read off exactly."""
    (tmp_path / "t.yaml").write_text("""
name: drain
nodes: {a: {role: cloud}, b: {role: cloud}}
links:
  - {name: ab, kind: internet, endpoints: [a, b], capacity: 1Gbps, delay: 10ms,
     congestion: {calm: {mean: 20s}, congested: {mean: 10s, delay: 30ms}}}
""")
    (tmp_path / "s.yaml").write_text("""
name: s
topology: t.yaml
duration: 5m
traffic:
  - {name: ab, kind: one-way, from: a, to: b, rate: 2000/s, size: 200B}
""")
    scenario = load_scenario(tmp_path / "s.yaml")
    steps = link_episodes(scenario.topology, scenario.seed, scenario.duration)["ab"]
    ends = [
        t
        for t, e, p in zip(steps.times[1:], steps.values[1:], steps.values, strict=False)
        if e.delay < p.delay
    ]
    assert len(ends) >= 5
    service = 200 * 8 / 1e9
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        a = trace.attempts
        order = np.argsort(a["t_send"], kind="stable")
        sent, done = a["t_send"][order], a["t_done"][order]
        assert int(np.sum(np.diff(done) < 0)) == 0, engine
        added = done - sent - 0.010 - service
        for t0 in ends:
            near = (sent >= t0) & (sent < t0 + 0.06)
            expected = np.maximum(0.0, 0.030 - 0.5 * (sent[near] - t0))
            # atol: a probe may wait behind another (1.6 us of service each)
            np.testing.assert_allclose(added[near], expected, atol=1e-5)

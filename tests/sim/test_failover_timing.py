"""Failover timing against architecture section 4 (the model's own contract; the lab
checks the same numbers against real FRR and strongSwan in tests/lab)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.trace.core import LOST, OK, R_BLACKHOLE, R_DOWN
from tests.helpers import pair_scenario, run

if TYPE_CHECKING:
    from pathlib import Path

BFD = "bfd: {interval: 300ms, multiplier: 3}\n    convergence: 1s"
NO_BFD = "bgp: {keepalive: 3s, hold: 9s}\n    convergence: 1s"


def test_blackhole_with_bfd_gap_is_detection_plus_convergence(tmp_path: Path) -> None:
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 30s, duration: 60s, mode: blackhole}", BFD
    )
    trace, summary = run(scenario)
    (f,) = summary["failovers"]
    assert f["detection"] == "bfd"
    assert f["detected_at_s"] == pytest.approx(30.9)
    assert f["switched_at_s"] == pytest.approx(31.9)
    assert f["gap_s"] == pytest.approx(1.9, abs=0.01)  # 200/s probes: 5 ms spacing
    assert f["lost"] == pytest.approx(1.9 * 200, rel=0.1)
    a = trace.attempts
    lost = a["status"] == LOST
    assert set(a["reason"][lost].tolist()) == {R_BLACKHOLE}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_blackhole_without_bfd_waits_for_the_hold_timer(tmp_path: Path, seed: int) -> None:
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 30s, duration: 60s, mode: blackhole}", NO_BFD, seed=seed
    )
    _, summary = run(scenario)
    (f,) = summary["failovers"]
    assert f["detection"] == "hold"
    # hold - U(0, keepalive) + convergence = 9 - U(0, 3) + 1 in [7, 10]
    assert 7.0 <= f["gap_s"] <= 10.0
    # the data-plane gap is read from Poisson probes (mean spacing 5 ms)
    assert f["gap_s"] == pytest.approx(f["switched_at_s"] - 30.0, abs=0.03)


def test_hold_timer_draws_spread_over_the_keepalive(tmp_path: Path) -> None:
    gaps = []
    for seed in range(12):
        scenario = pair_scenario(
            tmp_path,
            "  - {link: primary, at: 10s, duration: 20s, mode: blackhole}",
            NO_BFD,
            seed=seed,
            duration="40s",
            rate="50/s",
        )
        gaps.append(run(scenario)[1]["failovers"][0]["model_gap_s"])
    assert max(gaps) - min(gaps) > 1.0  # U(0, 3): twelve draws spread by more than 1 s


def test_carrier_loss_gap_is_the_convergence_time(tmp_path: Path) -> None:
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 30s, duration: 60s, mode: down}", "convergence: 1s"
    )
    trace, summary = run(scenario)
    (f,) = summary["failovers"]
    assert f["detection"] == "carrier"
    assert f["detected_at_s"] == pytest.approx(30.0)
    assert f["gap_s"] == pytest.approx(1.0, abs=0.01)
    assert set(trace.attempts["reason"][trace.attempts["status"] == LOST].tolist()) == {R_DOWN}


def test_failure_shorter_than_detection_loses_everything_sent_during_it(tmp_path: Path) -> None:
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 30s, duration: 500ms, mode: blackhole}", BFD
    )
    trace, summary = run(scenario)
    assert not trace.events_of("detected")
    assert not trace.events_of("switched")
    a = trace.attempts
    # a packet sent at t reaches the link at t (no sidecar): lost iff 30 <= t < 30.5
    during = (a["t_send"] >= 30.0) & (a["t_send"] < 30.5)
    assert np.all(a["status"][during] == LOST)
    assert np.all(a["status"][~during] == OK)
    assert summary["failovers"][0]["gap_s"] == pytest.approx(0.5, abs=0.01)


def test_traffic_returns_to_the_interconnect_without_loss(tmp_path: Path) -> None:
    scenario = pair_scenario(
        tmp_path,
        "  - {link: primary, at: 20s, duration: 30s, mode: blackhole}",
        BFD + "\n    bgp: {reestablish: 4s}",
    )
    trace, summary = run(scenario)
    (f,) = summary["failovers"]
    assert f["restored_at_s"] == pytest.approx(54.0)  # repair at 50 s + 4 s
    a = trace.attempts
    primary = trace.paths.index(("primary",))
    backup = trace.paths.index(("backup",))
    after = a["t_send"] >= 22.0  # after the switch (21.9 s)
    assert np.all(a["status"][after] == OK)  # make-before-break: no loss
    on_backup = a["path"] == backup
    assert a["t_send"][on_backup].min() == pytest.approx(21.9, abs=0.01)
    assert a["t_send"][on_backup].max() == pytest.approx(54.0, abs=0.01)
    assert np.all(a["path"][a["t_send"] > 54.0] == primary)


def test_loss_mode_is_never_detected_and_drops_about_p(tmp_path: Path) -> None:
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 10s, duration: 100s, mode: 'loss:0.1'}", BFD
    )
    trace, summary = run(scenario)
    assert not trace.events_of("detected")
    a = trace.attempts
    window = (a["t_send"] >= 10) & (a["t_send"] < 110)
    ratio = (a["status"][window] == LOST).mean()
    n = window.sum()
    assert abs(ratio - 0.1) < 4 * np.sqrt(0.1 * 0.9 / n)  # binomial, 4 sigma
    assert summary["failovers"][0]["gap_s"] == 0.0


def test_vpn_underlay_failure_is_detected_by_dpd(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("""
name: t
nodes: {a: {}, b: {}, inet: {}}
links:
  - {name: primary, endpoints: [a, b], capacity: 1Gbps, delay: 5ms, preference: 10}
  - {name: vpn, kind: vpn, endpoints: [a, b], underlay: [a-inet], capacity: 1Gbps, delay: 10ms,
     preference: 100, dpd: {delay: 10s, timeout: 30s}, bgp: {keepalive: 20s, hold: 60s}}
  - {name: a-inet, kind: internet, endpoints: [a, inet], capacity: 1Gbps}
""")
    (tmp_path / "s.yaml").write_text("""
name: s
topology: t.yaml
duration: 120s
traffic: [{name: p, kind: one-way, from: a, to: b, rate: 20/s, size: 100B}]
failures: [{link: a-inet, at: 10s, duration: 100s}]
""")
    from netsim.model import load_scenario

    trace, summary = run(load_scenario(tmp_path / "s.yaml"))
    detected = {e.subject: e for e in trace.events_of("detected")}
    assert detected["vpn"].attrs["method"] == "dpd"
    assert detected["vpn"].time == pytest.approx(40.0)  # DPD timeout 30 s < hold 40-60
    assert summary["failovers"][0]["gap_s"] == pytest.approx(31.0, abs=0.05)  # + 1 s conv.


def test_a_failure_at_the_start_is_measured_like_one_later(tmp_path: Path) -> None:
    """Oracle: the same contract as a failure in mid-run (detection + convergence). At 0 s
    no packet was sent before the failure, so the flows it hits are those whose first
    packets cross the failed link; a failure that partitions a flow from the start is a
    gap as long as the run, never "0 s, nothing lost"."""
    scenario = pair_scenario(
        tmp_path, "  - {link: primary, at: 0s, duration: 60s, mode: blackhole}", BFD
    )
    _, summary = run(scenario)
    (f,) = summary["failovers"]
    assert f["gap_s"] == pytest.approx(1.9, abs=0.01)
    assert f["lost"] == pytest.approx(1.9 * 200, rel=0.1)

    both = "  - {link: primary, at: 0s, mode: down}\n  - {link: backup, at: 0s, mode: down}"
    _, summary = run(pair_scenario(tmp_path, both, BFD, duration="30s"))
    gaps = [f["gap_s"] for f in summary["failovers"]]
    assert max(gaps) == pytest.approx(30.0, abs=0.1)
    assert max(f["lost"] for f in summary["failovers"]) == pytest.approx(30 * 200, rel=0.05)

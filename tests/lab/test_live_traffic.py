"""Whole scenarios in the lab against the simulator: requests, bulk and random failures (root).

The lab is the oracle of the model (architecture section 9): the same scenario file is
played on FRR + strongSwan with real TCP between the cloud hosts and simulated.

- Requests (``lab-requests``, no failure): P50 and P95 within 15 % of the lab's 95 %
  interval (a 40 s run's P95 has a sampling error of a few ms of its own). The model's request is
  one packet each way on paths of 21.2 ms (aws-gcp) and 23.2 ms (gcp-azure) round trip,
  plus server time and four sidecar waits; the lab adds TCP and its own processes, measured
  at under 1 ms a request (a one-relay tiny lab gave 10.73 ms for a 10 ms round trip), about
  3 % of these latencies, so 15 % leaves room for a loaded build machine. Requests in
  flight while the host stalled (a hypervisor taking the CPU: 2 ms or more in which the
  lab's processes did not run, :mod:`netsim.lab.host.stalls`) are left out: in CI such
  stalls put the lab's P95 at 49 ms, 14 ms above the model, with the network unchanged.
- Bulk (``lab-bulk``): throughput within 25 %. Real TCP (cubic) fills a link to about its
  rate less header overhead (1448 payload bytes in a 1514-byte frame: -4.4 %) and converges
  to a fair share within seconds; the fluid model gives the flows their max-min share at once.
- Random failures (``lab-random-failures``): the lab plays the simulator's own draw, and each
  failover gap agrees as the scripted ones do (30 % or 0.5 s, tests/lab/test_live_run.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.analysis.stats import quantile_ci
from tests.lab.conftest import holds_unless_stalled, run_stall_rate
from tests.lab.test_live_run import agree, play, play_steady

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.lab

LATENCY_TOLERANCE = 0.15
THROUGHPUT_TOLERANCE = 0.25


@pytest.mark.usefixtures("lab_root")
def test_requests_over_tcp_match_the_models_percentiles(tmp_path: Path) -> None:
    lab, sim, steady_ms = play_steady(tmp_path, "lab-requests", ("api", "api-azure"))
    for name in ("api", "api-azure"):
        got, want = lab["traffic"][name], sim["traffic"][name]
        print(
            f"\n{name}: lab p50 {got['latency_ms']['p50']} p95 {got['latency_ms']['p95']} ms, "
            f"model p50 {want['latency_ms']['p50']} p95 {want['latency_ms']['p95']} ms"
        )
        assert got["sent"] == pytest.approx(want["sent"], rel=0.1)  # 40/s, its own draws
        assert got["success_ratio"] == 1.0
        steady = steady_ms[name]  # the requests no host stall overlapped
        for q, level in (("p50", 0.5), ("p95", 0.95)):
            sim_q = want["latency_ms"][q]
            lab_q, (lo, hi) = quantile_ci(steady, level)
            print(f"  {q}: lab {lab_q:.2f} ms [{lo:.2f}, {hi:.2f}] without stalls, model {sim_q}")
            # the lab's own estimate has its sampling error (1,400 requests: about +-3 ms
            # at P95): the model's value must lie in the lab's 95 % interval widened by the
            # 15 % allowed for what the lab adds
            slack = LATENCY_TOLERANCE * sim_q
            holds_unless_stalled(
                lo - slack <= sim_q <= hi + slack,
                f"{name} {q}: lab {lab_q:.2f} ms [{lo:.2f}, {hi:.2f}], model {sim_q} ms",
                run_stall_rate(lab),
            )
    # the SLO (api P95 <= 50 ms) judged on the requests no stall overlapped agrees with the
    # model's verdict; the lab's own summary judges every request, stalled ones included
    holds_unless_stalled(
        (float(np.quantile(steady_ms["api"], 0.95)) <= 50.0) == sim["pass"],
        "api P95 <= 50 ms: the lab's verdict on its steady requests is the model's",
        run_stall_rate(lab),
    )


@pytest.mark.usefixtures("lab_root")
def test_bulk_over_tcp_matches_the_models_throughput(tmp_path: Path) -> None:
    lab, sim, _ = play(tmp_path, "lab-bulk")
    got, want = lab["traffic"]["replication"], sim["traffic"]["replication"]
    print(
        f"\nreplication: lab {got['throughput_mbps']} Mbit/s at model scale "
        f"(rate scale {lab['lab']['rate_scale']}), model {want['throughput_mbps']} Mbit/s"
    )
    assert lab["lab"]["rate_scale"] == pytest.approx(0.01)
    assert "reported at model scale" in lab["lab"]["notes"][0]
    assert got["transfers"] == want["transfers"] == 2
    assert got["completed"] == 2
    holds_unless_stalled(
        abs(got["throughput_mbps"] - want["throughput_mbps"])
        <= THROUGHPUT_TOLERANCE * want["throughput_mbps"],
        f"replication: lab {got['throughput_mbps']} Mbit/s, model {want['throughput_mbps']}",
        run_stall_rate(lab),
    )


@pytest.mark.usefixtures("lab_root")
def test_random_failures_are_the_simulators_draw_and_gaps_agree(tmp_path: Path) -> None:
    lab, sim, _ = play(tmp_path, "lab-random-failures")
    played = [(f["subject"], f["mode"]) for f in lab["failovers"]]
    drawn = [(f["subject"], f["mode"], round(f["failed_at_s"], 1)) for f in sim["failovers"]]
    assert drawn == [("aws-mcr", "blackhole", 11.3), ("aws-mcr", "blackhole", 30.6)]
    assert played == [d[:2] for d in drawn]
    # The lab records when a failure took effect: the wall clock reaching the drawn time plus
    # the nft commands that apply it, which a busy 2-core machine delayed by up to 0.3 s.
    for got, want in zip(lab["failovers"], sim["failovers"], strict=True):
        assert want["failed_at_s"] <= got["failed_at_s"] + 0.05 < want["failed_at_s"] + 0.55
    assert "the simulator's draw for seed 58 (2 played)" in lab["lab"]["notes"][-1]
    for got, want in zip(lab["failovers"], sim["failovers"], strict=True):
        agree(got["gap_s"], want["gap_s"], run_stall_rate(lab))

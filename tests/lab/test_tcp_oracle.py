"""Real Linux TCP is the oracle for the simulator's TCP model (run as root, under the lab lock).

Each case moves a fixed number of bytes over kernel TCP (cubic) between two namespaces this
test creates, through the lab's link relay at 20 Mbit/s, 20 ms one-way delay, a 150 KB buffer
and 0 %, 0.1 % or 1 % random loss (throughout, or from 4 s into the transfer), with 1 or 4
streams or a 64 KB window (the receive buffer, as ``iperf3 -w`` sets it)
(:mod:`benchmarks.tcp_oracle`); the simulator's prediction for the same link must be within
25 % of the measured time (the issue's tolerance: one transfer of a few MB holds only a few
dozen random losses, so the real time itself varies by about 10 % from run to run).
"""

from __future__ import annotations

import os

import pytest

from benchmarks.tcp_oracle import CASES, Case, measure_stalled, simulate

pytestmark = pytest.mark.lab

TOLERANCE = 0.25
#: A transfer during which the host stalled longer than this fraction of its time is
#: measured again (at most ``TRIES`` in all) and the least stalled one is compared: a
#: stalled relay, sender or receiver slows TCP down where the link would not (a 64 KB
#: window moves one window per round trip, so each stall adds its length to the time).
MAX_STALLED = 0.05
TRIES = 3


@pytest.mark.parametrize("case", [pytest.param(c, id=c.label.replace(" ", "-")) for c in CASES])
def test_transfer_time_within_25_percent_of_linux(case: Case) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    tries = []
    for _ in range(TRIES):
        real, stalled = measure_stalled(case, tag="tcpt")
        print(f"\n{case.label}: Linux {real:.2f} s, of which the host stalled {stalled:.3f} s")
        tries.append((stalled / real, real))
        if stalled / real <= MAX_STALLED:
            break
    real = min(tries)[1]
    sim = simulate(case)
    assert abs(sim / real - 1) <= TOLERANCE, f"{case.label}: Linux {real:.2f} s, sim {sim:.2f} s"

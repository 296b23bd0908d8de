"""Fluid bulk transfers: progress at the fair rate, stall on a broken path, resume after the
reroute, and finish (a transfer that ends a few bytes short must not hang the run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsim.model import load_scenario
from tests.helpers import run

ROOT = Path(__file__).resolve().parents[2]


def test_transfer_rides_through_a_failover_and_finishes(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(f"""
name: s
topology: {ROOT}/topologies/megaport-hub.yaml
duration: 150s
traffic:
  - {{name: p, kind: one-way, from: aws, to: gcp, rate: 10/s, size: 200B}}
  - {{name: r, kind: bulk, from: aws, to: gcp, transfers: [{{at: 20s, size: 50GB}}],
     max_rate: 5Gbps, window: 1GB}}
failures:
  - {{link: aws-mcr, at: 60s, duration: 40s, mode: blackhole}}
""")
    _, summary = run(load_scenario(tmp_path / "s.yaml"))
    r = summary["traffic"]["r"]
    assert r["completed"] == 1
    # Oracle, by hand (fluid): 40 s at 5 Gbit/s of goodput (25 GB); stalled from the failure
    # (60 s) until the switch (61.9 s); on the 1.25 Gbit/s VPN until the restoration at 105 s,
    # where each 1500 B packet carries 1386 B of TCP payload (62 B ESP, 52 B TCP/IP), so the
    # goodput is 1.155 Gbit/s (6.22 GB); the rest at 5 Gbit/s. Three slow starts (start, VPN,
    # back) each cost a few round trips (under 0.2 s each): the time is later by 0 to 0.6 s.
    vpn = 1.25e9 * 1386 / 1500
    fluid = 40 + 1.9 + 43.1 + (50e9 - 25e9 - 43.1 * vpn / 8) * 8 / 5e9
    assert 0 <= r["transfer_s"]["max"] - fluid <= 0.6
    assert summary["links"]["vpn-aws-gcp"]["bytes"] == pytest.approx(43.1 * 1.25e9 / 8, rel=0.01)

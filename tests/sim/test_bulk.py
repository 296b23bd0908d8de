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
     max_rate: 5Gbps}}
failures:
  - {{link: aws-mcr, at: 60s, duration: 40s, mode: blackhole}}
""")
    _, summary = run(load_scenario(tmp_path / "s.yaml"))
    r = summary["traffic"]["r"]
    assert r["completed"] == 1
    # Oracle, by hand: 40 s at 5 Gbit/s (25 GB); stalled from the failure (60 s) until the
    # switch (61.9 s); on the 1.25 Gbit/s VPN until the restoration at 105 s (6.74 GB); the
    # remaining 18.26 GB at 5 Gbit/s take 29.2 s: it finishes at ~134.2 s.
    expected = 40 + 1.9 + (105 - 61.9) + (50e9 - 25e9 - 43.1 * 1.25e9 / 8) * 8 / 5e9
    assert r["transfer_s"]["max"] == pytest.approx(expected, rel=0.002)
    assert summary["links"]["vpn-aws-gcp"]["bytes"] == pytest.approx(43.1 * 1.25e9 / 8, rel=0.01)

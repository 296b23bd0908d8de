"""Requests and responses as TCP segments (issue 11): oracle tests in both engines.

Oracles: the segment arithmetic (``ceil(size / MSS)`` segments, each paying 52 B of TCP/IP
headers and the link's overhead), FIFO service of the whole train, and the loss arithmetic
of independent segments (a message of ``n`` segments loses at least one with probability
``1 - (1 - p)^n``, and a lost segment costs a retransmission, not the request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.model import load_scenario
from tests.helpers import run

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model.scenario import Scenario

VPN_MSS = 1500 - 62 - 52  # 1386 B


def one_link(tmp_path: Path, link: str, traffic: str, failures: str = "  []") -> Scenario:
    (tmp_path / "t.yaml").write_text(f"""
name: one-link
nodes: {{a: {{role: cloud}}, b: {{role: cloud}}}}
links:
  - {link}
""")
    (tmp_path / "s.yaml").write_text(f"""
name: s
topology: t.yaml
duration: 60s
traffic:
{traffic}
failures:
{failures}
""")
    return load_scenario(tmp_path / "s.yaml")


def test_wire_bytes_add_up_per_segment(tmp_path: Path) -> None:
    # 10,000 B requests: 8 segments (7.2); 100,000 B responses: 73 segments (72.2); each
    # segment pays 52 B of headers and 62 B of ESP on the tunnel. One-way datagrams of 200 B
    # stay one packet of 262 B. Every request is answered (no loss, no queue to speak of).
    scenario = one_link(
        tmp_path,
        "{name: v, kind: vpn, endpoints: [a, b], capacity: 1Gbps, delay: 5ms}",
        "  - {name: api, kind: request-response, from: a, to: b, rate: 20/s,"
        " request_size: 10000B, response_size: 100000B}\n"
        "  - {name: dg, kind: one-way, from: a, to: b, rate: 10/s, size: 200B}",
    )
    assert (int(np.ceil(10000 / VPN_MSS)), int(np.ceil(100000 / VPN_MSS))) == (8, 73)
    per_request = 10000 + 8 * (52 + 62) + 100000 + 73 * (52 + 62)
    for engine in ("exact", "fast"):
        _, summary = run(scenario, engine=engine)
        api, dg = summary["traffic"]["api"], summary["traffic"]["dg"]
        assert api["delivered"] == api["sent"]
        wire = api["sent"] * per_request + dg["sent"] * 262
        assert summary["links"]["v"]["bytes"] == pytest.approx(wire, abs=1.0)


def test_a_message_larger_than_the_buffer_is_delivered_when_nothing_queues(
    tmp_path: Path,
) -> None:
    # A 2 MB response through a 50 KB buffer: TCP sends it a window at a time, so the queue
    # never holds more than its first 10 segments (15 KB). Alone on the link (a request every
    # 5 s on average, 17 ms of service at 1 Gbit/s), every response arrives, after 2 x 5 ms
    # and the train's
    # service: 10 KB + 2 MB and their 1444 + 8 segments' headers at 1 Gbit/s = 17.4 ms.
    scenario = one_link(
        tmp_path,
        "{name: v, kind: vpn, endpoints: [a, b], capacity: 1Gbps, delay: 5ms, buffer: 50KB}",
        "  - {name: api, kind: request-response, from: a, to: b, rate: 0.2/s,"
        " request_size: 10000B, response_size: 2MB}",
    )
    train = (10000 + 8 * 114 + 2e6 + 1444 * 114) * 8 / 1e9
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        sent, done = trace.attempts["t_send"], trace.attempts["t_done"]
        # alone: more than a train's time after the one before (Poisson arrivals can come
        # closer; then the first train's whole backlog counts against the buffer)
        alone = np.diff(sent, prepend=-1.0) > 0.05
        assert alone.sum() > 8
        assert not np.isnan(done[alone]).any()
        assert done[alone] - sent[alone] == pytest.approx(0.010 + train, abs=5e-5)


def test_lost_segments_cost_retransmissions_not_requests(tmp_path: Path) -> None:
    # 1 % loss both ways; request 1 segment, response 100 KB = 70 segments over a 1500 B MTU
    # (1448 B each): P(some segment lost) = 1 - 0.99^71 = 51 %. Such a request is late by a
    # round trip (fast retransmit, 10 ms) or an RTO (210 ms) but is answered: the success
    # ratio stays 1 within the 3 s timeout, and the share of requests later than the clean
    # latency (10 ms + 0.83 ms of service) by half a round trip is 51 % (+-4 % for 2400
    # requests).
    scenario = one_link(
        tmp_path,
        "{name: l, endpoints: [a, b], capacity: 1Gbps, delay: 5ms}",
        "  - {name: api, kind: request-response, from: a, to: b, rate: 40/s,"
        " request_size: 500B, response_size: 100000B, timeout: 3s}",
        "  - {link: l, at: 0s, mode: 'loss:0.01'}",
    )
    hit = 1 - 0.99**71
    shares = {}
    for engine in ("exact", "fast"):
        trace, summary = run(scenario, engine=engine)
        api = summary["traffic"]["api"]
        assert api["delivered"] == api["sent"] > 2000
        latency = trace.attempts["t_done"] - trace.attempts["t_send"]
        shares[engine] = float(np.mean(latency > 0.01084 + 0.005))
        assert shares[engine] == pytest.approx(hit, abs=0.04)
    assert shares["fast"] == pytest.approx(shares["exact"], abs=0.05)


def test_a_link_losing_everything_still_fails_requests(tmp_path: Path) -> None:
    scenario = one_link(
        tmp_path,
        "{name: l, endpoints: [a, b], capacity: 1Gbps, delay: 5ms}",
        "  - {name: api, kind: request-response, from: a, to: b, rate: 10/s,"
        " request_size: 500B, response_size: 5000B}",
        "  - {link: l, at: 0s, mode: 'loss:1'}",
    )
    for engine in ("exact", "fast"):
        _, summary = run(scenario, engine=engine)
        assert summary["traffic"]["api"]["delivered"] == 0

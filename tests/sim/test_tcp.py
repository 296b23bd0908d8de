"""Bulk transfers as TCP: oracle tests of the window, slow start, loss, sharing and wire cost.

Oracles: the Mathis et al. response ``MSS/RTT * sqrt(3/(2p))`` over the whole path's RTT and
loss; window/RTT for a window-limited stream; the slow-start doubling rule (10 segments, then
twice as many each round trip); max-min fairness among streams; the header and per-segment
overhead arithmetic of an MTU-sized segment. Bulk transfers live in the control timeline
both engines read, so each test also runs the fast engine and asks for the same answer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.sim.tcp import (
    BETA,
    INCREASE,
    alone_time,
    completion_spread,
    cycle_spread,
    padhye_window,
    slow_start_spread,
    slowest_weights,
    standing_queue,
    timeout_share,
)
from tests.helpers import run, scenario_on_t

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model.scenario import Scenario

MSS = 1448  # 1500 B MTU - 52 B of TCP/IP headers with timestamps


def chain(
    tmp_path: Path, traffic: str, *, failures: str = "", links: str = "", duration: str = "400s"
) -> Scenario:
    """a - b - c: h1 (1 ms) then h2 (20 ms), 1 Gbit/s each, unless ``links`` replaces them."""
    (tmp_path / "t.yaml").write_text(f"""
name: chain
nodes: {{a: {{role: cloud}}, b: {{role: router}}, c: {{role: cloud}}, d: {{role: cloud}}}}
links:
{
        links
        or '''  - {name: h1, endpoints: [a, b], capacity: 1Gbps, delay: 1ms}
  - {name: h2, endpoints: [b, c], capacity: 1Gbps, delay: 20ms}
  - {name: h3, endpoints: [d, b], capacity: 1Gbps, delay: 1ms}'''
    }
""")
    return scenario_on_t(tmp_path, traffic, duration, failures)


def transfer_times(scenario: Scenario, engine: str = "exact") -> list[float]:
    trace, _ = run(scenario, engine=engine)
    return [t.duration_s for t in trace.transfers if t.duration_s is not None]


def test_loss_response_over_the_whole_path_whichever_hop_loses(tmp_path: Path) -> None:
    # 1 % loss on the first or on the last hop of a 42 ms path: the same answer. Mathis alone,
    # MSS/RTT*sqrt(1.5/p) = 3.38 Mbit/s, moves 100 MB in 236.8 s; the Padhye response adds the
    # retransmission timeouts (T0 = RTT + 200 ms): 2.99 Mbit/s, 267.6 s (the real kernel at
    # 1 % loss is slower still than Mathis: benchmarks/tcp_oracle.py). The window starts in
    # slow start and converges within a few seconds: the transfer is within 1 % of that.
    mathis = MSS * 8 / 0.042 * math.sqrt(1.5 / 0.01)
    assert 100e6 * 8 / mathis == pytest.approx(236.8, abs=0.1)
    padhye = (
        MSS
        * 8
        / (0.042 * math.sqrt(2 * 0.01 / 3) + 0.242 * 3 * math.sqrt(0.03 / 8) * 0.01 * (1 + 32e-4))
    )
    expected = 100e6 * 8 / padhye
    assert expected == pytest.approx(267.6, abs=0.1)
    took = {}
    for hop in ("h1", "h2"):
        scenario = chain(
            tmp_path,
            "  - {name: r, kind: bulk, from: a, to: c, transfers: [{at: 0s, size: 100MB}]}",
            failures=f"  - {{link: {hop}, at: 0s, mode: 'loss:0.01'}}",
        )
        for engine in ("exact", "fast"):
            (took[hop, engine],) = transfer_times(scenario, engine)
            assert took[hop, engine] == pytest.approx(expected, rel=0.01)
    assert took["h1", "exact"] == pytest.approx(took["h2", "fast"], rel=1e-9)


def test_completion_spread_is_the_loss_cycle_chains() -> None:
    # Oracle: the loss-cycle Markov chain itself (Ott, Kemperman and Mathis), simulated
    # with a fixed seed: cycles of Geometric(p) segments, the squared window growing by
    # 2a per segment and multiplied by beta^2 at each loss, a cycle lasting
    # (RTT / a)(V - W), plus T0 = RTT + 200 ms of silence with Padhye's probability Q.
    # The long-run variance of time less r x segments, from batch means of 200 batches of
    # 100 cycles, has a relative standard error of 10 % (so 5 % on the spread); the closed
    # form linearises a square root. Within 15 %, at 1 % and 3 %, with and without the
    # timeouts.
    rng = np.random.default_rng(20261203)
    rtt, n = 0.0406, 4144
    for p in (0.01, 0.03):
        y = rng.geometric(p, 20_000).astype(float)
        silent = (rng.random(20_000) < timeout_share(p)) * (rtt + 0.2)
        d = np.empty_like(y)
        w = math.sqrt(2 * INCREASE / (p * (1 - BETA**2))) * BETA
        for k, seg in enumerate(y):
            v = math.sqrt(w * w + 2 * INCREASE * seg)
            d[k] = rtt / INCREASE * (v - w)
            w = BETA * v
        mean = n * rtt / padhye_window(p, rtt)  # the mean the spread is relative to
        model = cycle_spread(n, p, rtt) * mean
        sawtooth = n * rtt**2 * (1 - p) * (1 - BETA) / (2 * INCREASE * (1 + BETA))
        for extra, expected in ((silent, model), (0.0, math.sqrt(sawtooth))):
            cycles = d + extra
            r = cycles.sum() / y.sum()
            batches = (cycles - r * y).reshape(200, 100).sum(axis=1)
            sigma = math.sqrt(n * p * batches.var() / 100)  # n segments: n p cycles
            assert expected == pytest.approx(sigma, rel=0.15)


def test_slow_start_spread_is_that_of_random_first_losses(tmp_path: Path) -> None:
    # alone_time is the controller's own stream: a 6 MB transfer at 1 % loss over the
    # 42 ms chain, where nothing else binds, takes what it says (within 0.1 %: the
    # controller's steps are the same, its link adds headers to the wire, not to goodput).
    # Oracle for the quadrature: 4000 seeded first losses drawn from Geometric(p), whose
    # sample spread has a relative standard error of about 1.5 %, against 32 slices of the
    # law (within 3 % of 1000 slices): within 8 %. A later first loss never makes the stream
    # slower (a larger window moves the same segments sooner).
    segments = 6e6 / MSS
    scenario = chain(
        tmp_path,
        "  - {name: r, kind: bulk, from: a, to: c, transfers: [{at: 0s, size: 6MB}]}",
        failures="  - {link: h2, at: 0s, mode: 'loss:0.01'}",
    )
    (took,) = transfer_times(scenario)
    assert alone_time(segments, 0.01, 0.042) == pytest.approx(took, rel=1e-3)
    rng = np.random.default_rng(20261203)
    times = np.array(
        [alone_time(segments, 0.01, 0.042, float(y)) for y in rng.geometric(0.01, 4000)]
    )
    sampled = times.std() / alone_time(segments, 0.01, 0.042)
    assert slow_start_spread(segments, 0.01, 0.042) == pytest.approx(sampled, rel=0.08)
    ordered = [alone_time(segments, 0.01, 0.042, float(y)) for y in (5, 50, 100, 400, 2000)]
    assert ordered == sorted(ordered, reverse=True)
    assert slow_start_spread(segments, 0.0, 0.042) == 0.0


def test_slowest_weights_are_normal_order_statistics() -> None:
    # Oracle: the exact expected largest of n standard normals, by quadrature of
    # n x phi(x) Phi(x)^(n-1) with scipy's adaptive quadrature (the model integrates on a
    # fixed grid): within 1e-6; the shares add up to one; one stream or no spread keeps
    # equal shares.
    from scipy import integrate, stats

    for n in (2, 4, 8, 20):
        exact = integrate.quad(
            lambda x, n=n: n * x * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1),
            -np.inf,
            np.inf,
        )[0]
        w = slowest_weights(n, 0.01)
        assert sum(w) == pytest.approx(1.0, abs=1e-12)
        assert (w[-1] * n - 1) / 0.01 == pytest.approx(exact, abs=1e-6)
        assert w == sorted(w)
    assert slowest_weights(1, 0.1) == [1.0]
    assert slowest_weights(4, 0.0) == [0.25] * 4


def test_a_lossy_transfer_ends_with_its_slowest_stream(tmp_path: Path) -> None:
    # Four loss-limited streams (1 % loss, 42 ms, nothing else binds) move independently:
    # the transfer ends when the stream with the largest share (slowest_weights) does, so it
    # takes what one stream takes for that share alone (within 1 %: the single stream
    # waits behind no one either), and later than the even share by more than one spread.
    # Every byte is delivered. (Without loss streams share a bottleneck and end together:
    # test_streams_share_a_bottleneck_fairly.)
    size = 24e6
    spread = completion_spread(size / 4 / MSS, 0.01, 0.042)
    largest = slowest_weights(4, spread)[-1] * size
    loss = "  - {link: h2, at: 0s, mode: 'loss:0.01'}"

    def lossy(nbytes: float, streams: int) -> Scenario:
        transfer = f"transfers: [{{at: 0s, size: {nbytes:.0f}B}}], streams: {streams}"
        return chain(
            tmp_path, f"  - {{name: r, kind: bulk, from: a, to: c, {transfer}}}", failures=loss
        )

    four, one, even = lossy(size, 4), lossy(largest, 1), lossy(size / 4, 1)
    for engine in ("exact", "fast"):
        (alone_even,) = transfer_times(even, engine)
        trace, _ = run(four, engine=engine)
        (record,) = trace.transfers
        assert record.delivered_bytes == pytest.approx(size, rel=1e-9)
        (alone,) = transfer_times(one, engine)
        assert record.duration_s == pytest.approx(alone, rel=0.01)
        assert record.duration_s > alone_even * (1 + spread)


def test_a_loss_that_begins_mid_transfer_spreads_the_bytes_left(tmp_path: Path) -> None:
    # Four streams on links nothing binds (100 Gbit/s, a 1 GB buffer) are four independent
    # copies of one stream, until a 1 % loss begins at 0.2 s, in their slow start. From
    # then on each moves its part of the bytes left as an independent lossy stream would,
    # so the transfer ends with the slowest: later than one stream carrying an even share
    # under the same loss (which the four would match exactly if their shares stayed
    # equal) by more than one spread of that share (completion_spread shrinks as a part
    # grows, so the spread of the whole even share is a lower bound of that of its part
    # left). Linux is the oracle of the time itself: the same transfer through the lab's
    # relay, in benchmarks/tcp_oracle.py (tests/lab/test_tcp_oracle.py).
    size, begins = 24e6, 0.2
    links = """  - {name: h1, endpoints: [a, b], capacity: 100Gbps, delay: 1ms}
  - {name: h2, endpoints: [b, c], capacity: 100Gbps, delay: 20ms, buffer: 1GB}"""
    loss = f"  - {{link: h2, at: {begins}s, mode: 'loss:0.01'}}"

    def lossy(nbytes: float, streams: int) -> Scenario:
        transfer = f"transfers: [{{at: 0s, size: {nbytes:.0f}B}}], streams: {streams}"
        bulk = f"  - {{name: r, kind: bulk, from: a, to: c, {transfer}}}"
        return chain(tmp_path, bulk, failures=loss, links=links)

    spread = completion_spread(size / 4 / MSS, 0.01, 0.042)
    four, even = lossy(size, 4), lossy(size / 4, 1)
    for engine in ("exact", "fast"):
        trace, _ = run(four, engine=engine)
        (record,) = trace.transfers
        assert record.delivered_bytes == pytest.approx(size, rel=1e-9)
        (alone_even,) = transfer_times(even, engine)
        assert record.duration_s - begins > (alone_even - begins) * (1 + spread)


def test_window_limited_stream_gets_window_over_rtt(tmp_path: Path) -> None:
    # numbers.md: a 64 KB window over a 25 ms RTT gives about 21 Mbit/s (64,000 B * 8 / 0.025
    # = 20.48 Mbit/s). Slow start reaches the window in 3 round trips (75 ms of a 39 s run):
    # the mean rate is within 0.5 % of window/RTT.
    scenario = chain(
        tmp_path,
        "  - {name: r, kind: bulk, from: a, to: b, transfers: [{at: 0s, size: 100MB}],"
        " window: 64KB}",
        links="  - {name: h1, endpoints: [a, b], capacity: 1Gbps, delay: 12.5ms}",
    )
    for engine in ("exact", "fast"):
        (took,) = transfer_times(scenario, engine)
        assert 100e6 * 8 / took == pytest.approx(64000 * 8 / 0.025, rel=0.005)


def test_slow_start_doubles_each_round_trip(tmp_path: Path) -> None:
    # RTT 100 ms, 1 Gbit/s: round trip k carries 10 * 2^k segments; after 10 round trips (1 s)
    # that is 10 * 1023 * 1448 B = 14.81 MB, the last round trip at 593 Mbit/s (under the
    # link's 1 Gbit/s, and a 1 GB window: nothing else binds). A transfer of exactly that
    # size ends at 1 s.
    size = 10 * 1023 * MSS
    scenario = chain(
        tmp_path,
        f"  - {{name: r, kind: bulk, from: a, to: b, transfers: [{{at: 0s, size: {size}B}}],"
        " window: 1GB}",
        links="  - {name: h1, endpoints: [a, b], capacity: 1Gbps, delay: 50ms}",
        duration="10s",
    )
    for engine in ("exact", "fast"):
        (took,) = transfer_times(scenario, engine)
        assert took == pytest.approx(1.0, rel=1e-6)


def test_streams_share_a_bottleneck_fairly(tmp_path: Path) -> None:
    # Three transfers meet on h2 (1 Gbit/s): a -> c with 3 streams, d -> c with 1, and a second
    # a -> c with 1 stream: five streams, each a fifth of the goodput (1 Gbit/s * 1448/1500).
    # The 3-stream transfer moves 3x the bytes in the same time; all end together (10 %).
    traffic = "\n".join(
        [
            "  - {name: x, kind: bulk, from: a, to: c, transfers: [{at: 0s, size: 300MB}],"
            " streams: 3}",
            "  - {name: y, kind: bulk, from: d, to: c, transfers: [{at: 0s, size: 100MB}]}",
            "  - {name: z, kind: bulk, from: a, to: c, transfers: [{at: 0s, size: 100MB}]}",
        ]
    )
    scenario = chain(tmp_path, traffic)
    fair = 500e6 * 8 / (1e9 * MSS / 1500)  # 4.14 s for everything at full goodput
    for engine in ("exact", "fast"):
        times = transfer_times(scenario, engine)
        assert len(times) == 3
        for took in times:
            assert took == pytest.approx(fair, rel=0.10)


def test_wire_bytes_are_payload_plus_headers_and_overhead_per_segment(tmp_path: Path) -> None:
    # Over a VPN (62 B ESP, MTU 1500): MSS = 1500 - 62 - 52 = 1386 B; each segment puts
    # 1386 + 52 + 62 = 1500 B on the wire. 10 GB of payload: 7,215,007.2 segments, exactly
    # 10 GB * 1500 / 1386 on the wire, and the underlay's MTU is not exceeded.
    scenario = chain(
        tmp_path,
        "  - {name: r, kind: bulk, from: a, to: b, transfers: [{at: 0s, size: 10GB}]}",
        links="  - {name: v, kind: vpn, endpoints: [a, b], capacity: 1.25Gbps, delay: 5ms}",
        duration="200s",
    )
    for engine in ("exact", "fast"):
        _, summary = run(scenario, engine=engine)
        segments = 10e9 / 1386
        wire = 10e9 + segments * (52 + 62)
        assert summary["links"]["v"]["bytes"] == pytest.approx(wire, rel=1e-9)


def test_max_pps_caps_bulk_at_full_segments(tmp_path: Path) -> None:
    # A 10 Gbit/s tunnel limited to 140,000 packets/s of 1500 B carries 1.68 Gbit/s on the
    # wire: goodput 1.68e9 * 1386/1500 = 1.552 Gbit/s, whatever the capacity says.
    scenario = chain(
        tmp_path,
        "  - {name: r, kind: bulk, from: a, to: b, transfers: [{at: 0s, size: 10GB}], window: 1GB}",
        links="  - {name: v, kind: vpn, endpoints: [a, b], capacity: 10Gbps, delay: 1ms,"
        " max_pps: 140000/s}",
        duration="100s",
    )
    (took,) = transfer_times(scenario)
    assert 10e9 * 8 / took == pytest.approx(140000 * 1500 * 8 * 1386 / 1500, rel=0.005)


def test_standing_queue_depends_on_congestion_control() -> None:
    # 1 Gbit/s, 40 ms (BDP 5 MB), buffer 4 MB, one stream with a 1 GB window:
    # cubic fills the buffer and backs off to 0.7 * (5 + 4) - 5 = 1.3 MB: [10.4, 32] ms;
    # BBR keeps one BDP queued, limited by the buffer (4 MB), a quarter BDP (1.25 MB) less
    # over its gain cycle: [2.75, 4] MB = [22, 32] ms.
    low, high = standing_queue(1e9, 4e6, 0.04, [1e9], loss_based=True)
    assert (low, high) == pytest.approx((0.0104, 0.032))
    bbr = standing_queue(1e9, 4e6, 0.04, [1e9], loss_based=False)
    assert bbr == pytest.approx((0.022, 0.032))
    # a 64 KB window cannot fill anything at this BDP: no standing queue
    assert standing_queue(1e9, 4e6, 0.04, [65536], loss_based=True) == (0.0, 0.0)
    # BBR with a deep buffer: one BDP (1 MB at 200 Mbit/s over 40 ms), +-0.25 MB
    assert standing_queue(2e8, 4e6, 0.04, [1e9], loss_based=False) == pytest.approx((0.03, 0.05))


@pytest.mark.parametrize("cc", ["cubic", "bbr"])
def test_packets_behind_bulk_see_the_queue_of_its_cc(tmp_path: Path, cc: str) -> None:
    # Probes a -> b behind a saturating transfer on a 100 Mbit/s, 20 ms link with a 1 MB buffer
    # (BDP at the 40 ms RTT: 500 KB): cubic's queue swings in [0.7*(0.5+1)-0.5, 1] MB =
    # [44, 80] ms; BBR's stays about one BDP, [375, 625] KB = [30, 50] ms. Probe delay =
    # 20 ms + that queue, the median its middle; the engines agree within 2 %.
    scenario = chain(
        tmp_path,
        "  - {name: p, kind: one-way, from: a, to: b, rate: 200/s, size: 100B}\n"
        "  - {name: r, kind: bulk, from: a, to: b, transfers: [{at: 0s, size: 10GB}],"
        f" cc: {cc}}}",
        links="  - {name: h1, endpoints: [a, b], capacity: 100Mbps, delay: 20ms, buffer: 1MB}",
        duration="60s",
    )
    low, high = (0.044, 0.080) if cc == "cubic" else (0.030, 0.050)
    p50 = {}
    for engine in ("exact", "fast"):
        _, summary = run(scenario, engine=engine)
        lat = summary["traffic"]["p"]["latency_ms"]
        assert 20 + low * 1e3 - 1 <= lat["p50"] <= 20 + high * 1e3 + 1
        assert lat["p50"] == pytest.approx(20 + (low + high) / 2 * 1e3, abs=2)
        p50[engine] = lat["p50"]
    assert p50["fast"] == pytest.approx(p50["exact"], rel=0.02)


def test_max_pps_caps_a_small_packet_flood(tmp_path: Path) -> None:
    # 20,000 packets/s of 100 B onto a 1 Gbit/s tunnel declared at 10,000 packets/s: capacity
    # alone would carry them all (16 Mbit/s on the wire); max_pps lets one packet through per
    # 100 us, so over 4 s about 40,000 arrive (plus the few the 100 KB buffer holds at the end)
    # and the rest are dropped at the buffer, in both engines.
    scenario = chain(
        tmp_path,
        "  - {name: p, kind: one-way, from: a, to: b, rate: 20000/s, size: 100B}",
        links="  - {name: v, kind: vpn, endpoints: [a, b], capacity: 1Gbps, delay: 1ms,"
        " buffer: 100KB, max_pps: 10000/s}",
        duration="4s",
    )
    for engine in ("exact", "fast"):
        _, summary = run(scenario, engine=engine)
        p = summary["traffic"]["p"]
        assert p["sent"] == pytest.approx(80000, rel=0.02)
        assert p["delivered"] == pytest.approx(40000, rel=0.01)

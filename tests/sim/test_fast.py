"""The fast engine against its oracles: the exact engine, queueing theory, and links.Direction.

- The exact per-packet engine is the oracle for the fast one on shared (shortened)
  scenarios: same control timeline, independent random draws, so statistics must agree
  within sampling error (P95/P99 within 1.5 % or inside each other's CI; counts within a
  few Poisson standard deviations; failover gaps within a packet spacing).
- M/M/1 and M/D/1 sojourn times (queueing theory) with windows small enough that queue
  state crosses many window boundaries.
- ``netsim.sim.links.Direction.admit``, the exact engine's queue, fed one packet at a time,
  is the oracle for the vectorised ``fifo`` with drain clock, standing queue and drops.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.analysis.summary import summarize
from netsim.model import load_scenario, load_topology
from netsim.sim.control import BulkLoad, StepFunction
from netsim.sim.engine import build_simulation, run_fast
from netsim.sim.fast.queue import DrainClock, fifo
from netsim.sim.links import Direction
from netsim.trace.core import ATTEMPT_COLUMNS, OK

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]

SATURATED = """
name: sat
topology: pair.yaml
duration: {duration}
warmup: 2s
seed: 7
mesh:
  sidecar_latency: {{dist: lognorm, s: 0.5, scale: 0.5ms}}
  retries: {{attempts: 3, per_try_timeout: 200ms, backoff: 25ms}}
traffic:
  - {{name: api, kind: request-response, from: a, to: b, rate: 300/s, request_size: 2KB,
     response_size: {{dist: lognorm, s: 1.0, scale: 40KB}}, server_time: 2ms, timeout: 1s}}
  - {{name: probes, kind: one-way, from: b, to: a, rate: 500/s,
     size: {{dist: expon, scale: 1500B}}}}
  - {{name: bulk, kind: bulk, from: a, to: b, transfers: [{{at: 10s, size: 3GB}}],
     max_rate: 2Gbps}}
failures:
  - {{link: primary, at: {fail_at}, duration: 5s, mode: blackhole}}
"""
PAIR = """
name: pair
nodes: {a: {role: cloud}, b: {role: cloud}}
links:
  - {name: primary, kind: interconnect, endpoints: [a, b], capacity: 1Gbps,
     delay: {dist: norm, loc: 5ms, scale: 100us}, buffer: 1MB}
  - {name: backup, kind: vpn, endpoints: [a, b], capacity: 200Mbps,
     delay: {dist: lognorm, s: 0.5, loc: 10ms, scale: 3ms}, buffer: 500KB}
"""


def saturated(tmp_path: Path, duration: float = 60.0) -> Scenario:
    """A 1 Gbps link saturated by an elastic bulk transfer (standing queue, buffer drops),
    Istio retries, then an undetected 5 s blackhole: every mechanism at once."""
    (tmp_path / "pair.yaml").write_text(PAIR)
    (tmp_path / "sat.yaml").write_text(
        SATURATED.format(duration=f"{duration}s", fail_at=f"{duration * 0.6}s")
    )
    return load_scenario(tmp_path / "sat.yaml")


def _agree(fast: dict, exact: dict, key: str, rel: float = 0.015) -> None:
    """Within ``rel`` of the exact value, or the two CIs overlap."""
    f, e = fast[key], exact[key]
    (flo, fhi), (elo, ehi) = fast[f"{key}_ci"], exact[f"{key}_ci"]
    assert abs(f - e) <= rel * e or (flo <= ehi and elo <= fhi), (key, f, e)


def _poisson_close(a: int, b: int) -> None:
    assert abs(a - b) <= 4 * math.sqrt(a + b) + 5, (a, b)


def _both(scenario: Scenario) -> tuple[dict, dict]:
    return tuple(
        summarize(build_simulation(scenario, engine=e).run(), scenario).to_json()  # type: ignore
        for e in ("fast", "exact")
    )


def test_failover_scenario_agrees_with_exact() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "interconnect-blackhole.yaml")
    fast, exact = _both(scenario)
    for name in ("api", "probes"):
        f, e = fast["traffic"][name], exact["traffic"][name]
        for q in ("p50", "p95", "p99"):
            _agree(f["latency_ms"], e["latency_ms"], q)
        _poisson_close(
            f["lost_by_reason"].get("blackhole", 0), e["lost_by_reason"].get("blackhole", 0)
        )
    (fo,), (eo,) = fast["failovers"], exact["failovers"]
    assert fo["gap_s"] == pytest.approx(eo["gap_s"], abs=0.05)  # probes every 10 ms
    assert fast["data_plane"] == "fast"


def test_baseline_hour_agrees_with_exact() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["duration=1h"])
    fast, exact = _both(scenario)
    for name, e in exact["traffic"].items():
        if e["kind"] == "bulk":
            continue
        for q in ("p95", "p99"):
            _agree(fast["traffic"][name]["latency_ms"], e["latency_ms"], q)
    # Same load on the same links (replication is fluid and identical in both).
    for link, e in exact["links"].items():
        assert fast["links"][link]["bytes"] == pytest.approx(e["bytes"], rel=0.02)


def test_saturation_retries_and_blackhole_agree_with_exact(tmp_path: Path) -> None:
    scenario = saturated(tmp_path)
    fast, exact = _both(scenario)
    for name in ("api", "probes"):
        f, e = fast["traffic"][name], exact["traffic"][name]
        for q in ("p50", "p95", "p99"):
            _agree(f["latency_ms"], e["latency_ms"], q, rel=0.02)
        _poisson_close(f["lost"], e["lost"])
        _poisson_close(f["retried"], e["retried"])
        for why in ("blackhole", "buffer"):
            _poisson_close(f["lost_by_reason"].get(why, 0), e["lost_by_reason"].get(why, 0))
    assert fast["traffic"]["api"]["lost_by_reason"].get("buffer", 0) > 0  # drops happen


def test_local_resolve_is_exact(tmp_path: Path) -> None:
    """Later fixed-point rounds re-solve only busy periods around changes; re-solving whole
    directions (the reference) must give the same attempts (times up to float rounding:
    a recursion restarted mid-way sums in another order)."""
    scenario = saturated(tmp_path, 30.0)
    local = run_fast(scenario, 3)
    whole = run_fast(scenario, 3, local_resolve=False)
    assert local.meta["fast"]["rounds_max"] >= 3  # later rounds really happened
    for col, dtype in ATTEMPT_COLUMNS.items():
        x, y = local.attempts[col], whole.attempts[col]
        if dtype is np.float64:
            assert np.allclose(x, y, rtol=0, atol=1e-9, equal_nan=True), col
        else:
            assert np.array_equal(x, y), col


def test_same_seed_same_trace_other_seed_other_trace(tmp_path: Path) -> None:
    scenario = saturated(tmp_path, 20.0)
    a, b, c = run_fast(scenario, 5), run_fast(scenario, 5), run_fast(scenario, 6)
    for col in ATTEMPT_COLUMNS:
        assert np.array_equal(a.attempts[col], b.attempts[col], equal_nan=True)
    assert len(a.attempts) != len(c.attempts) or not np.array_equal(
        a.attempts["t_send"], c.attempts["t_send"]
    )
    assert a.link_bytes == b.link_bytes


def test_rows_around_failures_and_sketches_match_full_rows() -> None:
    """A long-run trace (rows only near failures, statistics from sketches) summarises
    like the full trace: same counts and gaps, quantiles within the sketch's 0.1 %."""
    scenario = load_scenario(ROOT / "scenarios" / "interconnect-blackhole.yaml")
    full = summarize(run_fast(scenario, 42, rows="all"), scenario).to_json()
    part_trace = run_fast(scenario, 42, rows="failures")
    part = summarize(part_trace, scenario).to_json()
    assert len(part_trace.attempts) < len(run_fast(scenario, 42).attempts) / 2
    assert part["statistics"] == "sketches"
    assert full["statistics"] == "rows"
    assert [f["gap_s"] for f in part["failovers"]] == [f["gap_s"] for f in full["failovers"]]
    for name, f in full["traffic"].items():
        p = part["traffic"][name]
        for key in ("sent", "delivered", "lost", "retried", "lost_by_reason"):
            assert p[key] == f[key], (name, key)
        for q in ("p50", "p95", "p99"):
            assert p["latency_ms"][q] == pytest.approx(f["latency_ms"][q], rel=2e-3)


# ---- queueing theory ------------------------------------------------------------------
MU = 1000.0


def _queue(tmp_path: Path, rho: float, size: str, duration: float) -> np.ndarray:
    (tmp_path / "one.yaml").write_text("""
name: one
nodes: {a: {}, b: {}}
links:
  - {name: ab, endpoints: [a, b], capacity: 8Mbps, delay: 0s}
""")
    (tmp_path / "q.yaml").write_text(f"""
name: q
topology: one.yaml
duration: {duration}s
warmup: 10s
seed: 3
traffic:
  - {{name: m, kind: one-way, from: a, to: b, rate: {rho * MU}/s, size: {size}, timeout: 1h}}
""")
    scenario = load_scenario(tmp_path / "q.yaml")
    # ~60 s windows: the queue state crosses a window boundary about every minute.
    trace = run_fast(scenario, 11, rows="all", window_attempts=int(rho * MU * 60))
    a = trace.attempts
    keep = (a["t_send"] >= 10.0) & (a["status"] == OK)
    assert trace.meta["fast"]["windows"] >= 10
    return a["t_done"][keep] - a["t_send"][keep]


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_mm1_sojourn(tmp_path: Path, rho: float) -> None:
    """M/M/1: sojourn ~ Exp(mu - lambda): mean 1/(mu-lambda), P95 ln(20)/(mu-lambda)."""
    sojourn = _queue(tmp_path, rho, "{dist: expon, scale: 1000B}", 900 if rho < 0.6 else 2000)
    lam = rho * MU
    assert sojourn.mean() == pytest.approx(1 / (MU - lam), rel=0.03)
    assert np.quantile(sojourn, 0.95) == pytest.approx(math.log(20) / (MU - lam), rel=0.03)


def test_md1_pollaczek_khinchine(tmp_path: Path) -> None:
    rho = 0.7
    sojourn = _queue(tmp_path, rho, "1000B", 900)
    assert sojourn.mean() == pytest.approx(1 / MU + rho / (2 * MU * (1 - rho)), rel=0.03)
    assert sojourn.min() >= 1 / MU - 1e-12


# ---- the vectorised queue against the exact engine's queue ---------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fifo_matches_direction_admit(seed: int) -> None:
    """Overload (rho 1.3) through a small buffer, with a bulk step function that slows the
    drain and saturates for a while: every departure and drop must match the exact
    engine's ``Direction.admit`` called packet by packet."""
    topo = load_topology(ROOT / "topologies" / "megaport-hub.yaml")
    link = topo.link("vpn-aws-gcp")  # 1.25 Gbps, 4 MB buffer
    rng = np.random.default_rng(seed)
    n = 20000
    t = np.sort(rng.uniform(0, 0.2, n))
    size = rng.exponential(1700, n)  # ~1.36 Gbps offered: overload
    u = rng.random(n)
    bulk = StepFunction(
        times=[0.0, 0.05, 0.1, 0.15],
        values=[
            BulkLoad(0.0, False),
            BulkLoad(4e8, False),
            BulkLoad(9e8, True, 0.005, 0.025),  # TCP's standing queue: 5 to 25 ms
            BulkLoad(2e8, False),
        ],
    )
    ref = Direction(link, 0, bulk, seed)
    departs = [
        ref.admit(float(ti), float(si), float(ui)) for ti, si, ui in zip(t, size, u, strict=True)
    ]
    clock = DrainClock.from_steps(bulk.times, bulk.values, link.capacity)
    # a VPN tunnel also sends no more than max_pps packets/s (140,000 by default)
    assert link.max_pps == 140000
    service = np.maximum((size + link.overhead) * 8 / link.capacity, 1 / link.max_pps)
    standing = np.where(clock.saturated_at(t), clock.standing(t, u), 0.0)
    sojourn, dropped = fifo(
        t, service, standing, clock.tau(t), service, buffer_s=link.buffer * 8 / link.capacity
    )
    expect_drop = np.array([d is None for d in departs])
    assert expect_drop.sum() > 100  # the buffer really overflows
    assert np.array_equal(dropped, expect_drop)
    ok = ~expect_drop
    expect = np.array([d for d in departs if d is not None])
    assert np.allclose(t[ok] + sojourn[ok], expect, rtol=0, atol=1e-9)


def test_drain_clock_integrates_the_drain_rate() -> None:
    """tau(t) is the integral of 1 - m/C (1 while saturated): checked by quadrature."""
    clock = DrainClock.from_steps(
        [0.0, 1.0, 2.5], [BulkLoad(0.0, False), BulkLoad(5e9, False), BulkLoad(9e9, True)], 10e9
    )
    grid = np.linspace(0, 4, 400001)
    rate = np.where(grid < 1, 1.0, np.where(grid < 2.5, 0.5, 1.0))
    integral = np.concatenate([[0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(grid))])
    probe = np.array([0.5, 1.0, 2.0, 3.7])
    assert np.allclose(clock.tau(probe), np.interp(probe, grid, integral), atol=1e-6)


def test_drain_clock_finds_the_step_in_force_as_a_whole_search_does() -> None:
    """A clock of a year has thousands of steps and searches only those a window's times
    span (``DrainClock.step``): the oracle is NumPy's search over all of them, which it
    must equal exactly, for sorted and unsorted times, times before the first step, after
    the last and on a step, and a single time."""
    rng = np.random.default_rng(5)
    times = np.concatenate([[0.0], np.sort(rng.uniform(1, 1e6, 5000))])
    loads = [
        BulkLoad(float(r), bool(s))
        for r, s in zip(rng.uniform(0, 5e9, len(times)), rng.random(len(times)) < 0.3, strict=True)
    ]
    clock = DrainClock.from_steps(list(times), loads, 10e9)
    probes = [
        np.sort(rng.uniform(4e5, 4.1e5, 20000)),
        rng.uniform(-5, 2e6, 20000),
        times[100:200].copy(),
        np.array([times[-1] + 1.0]),
        np.array([-1.0, 0.0]),
    ]
    probes.append(np.sort(rng.uniform(times[7], times[8], 1000)))  # inside one step
    for t in probes:
        whole = np.searchsorted(times, t, side="right") - 1
        assert np.array_equal(clock.step(t), whole)
        assert np.array_equal(clock.saturated_at(t), clock.saturated[whole])
        # tau and the standing queue, on one index when all of t is in one step: the same
        # values, bit for bit, as gathered per time
        u = rng.random(len(t))
        gathered = clock.taus[whole] + clock.rates[whole] * (t - clock.times[whole])
        assert np.array_equal(clock.tau(t), gathered)
        assert np.array_equal(clock.standing(t, u), clock.low[whole] + u * clock.span[whole])

"""Coverage is the oracle: the reported 95 % intervals contain the analytic truth in
90-99 % of independent runs (issue 15's acceptance).

Each case runs one scenario with many independent seeds (the replication seeds of
``netsim sweep``, run by its own runner on two local processes) and counts the runs whose
interval, as ``summary.json`` reports it, contains the value queueing theory gives:

- M/M/1 at loads 0.5 and 0.8 (Poisson arrivals, exponential sizes on one FIFO link,
  no propagation delay): the sojourn time is Exp(mu - lambda), mean ``1/(mu - lambda)``,
  P95 ``ln(20)/(mu - lambda)``;
- M/D/1 at load 0.8 (fixed sizes): mean sojourn ``1/mu + rho/(2 mu (1 - rho))``
  (Pollaczek-Khinchine), P95 from the exact M/D/1 waiting-time distribution
  (:func:`md1_sojourn_quantile`, Erlang's formula, summed in 60-digit decimals because
  its terms alternate in sign and grow like ``exp(lambda t)``; checked against a
  10-million-customer Lindley recursion in ``test_md1_quantile_formula``);
- a success ratio with a known loss probability: one internet link failing at random
  (exponential up times of mean 50 s, exponential repairs of mean 5 s, carrier loss
  detected at once, no alternative path, sessions back at once) loses every probe sent
  while it is down, so by PASTA the success ratio is the link's availability
  ``mtbf / (mtbf + mttr) = 50/55``. Losses come in bursts of seconds: strongly correlated;
- the fast engine keeping sketches instead of rows on a long run (a slower M/M/1 at load
  0.8 for two simulated hours, so that its buckets are the batches).

Why the runs are long enough and cheap enough: at mu = 1000/s and load 0.8 the queue's
relaxation time is ``1/(mu (1 - sqrt(rho))^2)`` = 0.09 s, and batches of 3 s (60 s runs,
20 batches) leave the batch means' variance within a few percent of its limit (measured:
95 % coverage). The slow link of the sketch case has mu = 20/s, so its time scale is 50
times longer and two hours correspond to 144 s at mu = 1000/s. The fast engine is exact
on one FIFO link (the vectorised Lindley recursion, docs/fast-engine.md), about 0.1 s a
run. 200 seeds per case keep the binomial noise of a coverage near 95 % at 1.5 %, so the
90-99 % band is more than 3 standard deviations from the nominal level on the low side.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal, getcontext
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.analysis.summary import summarize
from netsim.model import load_scenario
from netsim.sim.engine import run_fast
from netsim.sweep import replication_seeds, run_replications

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.analysis.results import Summary
    from netsim.model import Scenario

SEEDS = 200
BAND = (0.90, 0.99)
MU = 1000.0  # messages per second: 1000 B at 8 Mbit/s


def md1_sojourn_quantile(lam: float, mu: float, q: float) -> float:
    """The ``q``-quantile of the M/D/1 sojourn time: service ``D = 1/mu`` plus the waiting
    time, whose distribution is ``P(W <= t) = (1 - rho) sum_{k=0}^{floor(t/D)}
    (lambda (k D - t))^k / k! exp(-lambda (k D - t))`` (Erlang 1909; e.g. Franx, Oper.
    Res. Lett. 29, 2001), inverted by bisection.

    >>> round(md1_sojourn_quantile(800.0, 1000.0, 0.95) * 1e3, 4)
    7.6203
    """
    getcontext().prec = 60
    d, lam_d = Decimal(1) / Decimal(mu), Decimal(lam)
    rho = lam_d * d

    def cdf(t: float) -> Decimal:
        td, total, k = Decimal(t), Decimal(0), 0
        while k * d <= td:
            u = lam_d * (k * d - td)
            total += u**k / math.factorial(k) * (-u).exp()
            k += 1
        return (1 - rho) * total

    lo, hi = 0.0, 1.0 / mu
    while cdf(hi) < q:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return 1.0 / mu + (lo + hi) / 2


def _queue(tmp_path: Path, rate: float, size: str) -> Scenario:
    (tmp_path / "one-link.yaml").write_text(f"""
name: one-link
nodes: {{a: {{}}, b: {{}}}}
links:
  - {{name: ab, endpoints: [a, b], capacity: {MU * 8000:.0f}bps, delay: 0s}}
""")
    (tmp_path / "queue.yaml").write_text(f"""
name: queue
topology: one-link.yaml
duration: 70s
warmup: 10s
seed: 15
traffic:
  - {{name: msgs, kind: one-way, from: a, to: b, rate: {rate}/s, size: {size}, timeout: 1h}}
""")
    return load_scenario(tmp_path / "queue.yaml")


def _runs(scenario: Scenario) -> list[Summary]:
    seeds = replication_seeds(scenario.seed, SEEDS)
    return run_replications(scenario, seeds, engine="fast", workers=2)


def coverage(intervals: list[tuple[float | None, float | None]], truth: float) -> float:
    hits = [lo is not None and hi is not None and lo <= truth <= hi for lo, hi in intervals]
    return sum(hits) / len(hits)


def test_md1_quantile_formula() -> None:
    """The exact M/D/1 P95 against a long Lindley recursion (10 million customers)."""
    rng = np.random.default_rng(2024)
    n, lam = 10_000_000, 800.0
    gaps = rng.exponential(1 / lam, n)
    # W_{i+1} = max(0, W_i + D - A_{i+1}) as a running maximum of a cumulative sum.
    walk = np.cumsum(np.concatenate([[0.0], 1 / MU - gaps[1:]]))
    waits = walk - np.minimum.accumulate(np.minimum(walk, 0.0))
    simulated = float(np.quantile(waits[n // 10 :] + 1 / MU, 0.95))
    # 9 million correlated customers at load 0.8: the quantile is good to a few 0.1 %.
    assert simulated == pytest.approx(md1_sojourn_quantile(lam, MU, 0.95), rel=0.01)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "rho", "size"),
    [
        ("M/M/1", 0.5, "{dist: expon, scale: 1000B}"),
        ("M/M/1", 0.8, "{dist: expon, scale: 1000B}"),
        ("M/D/1", 0.8, "1000B"),
    ],
)
def test_mean_and_p95_intervals_cover_queueing_theory(
    tmp_path: Path, name: str, rho: float, size: str
) -> None:
    lam = rho * MU
    if name == "M/M/1":
        mean, p95 = 1 / (MU - lam), math.log(20) / (MU - lam)
    else:
        mean = 1 / MU + rho / (2 * MU * (1 - rho))
        p95 = md1_sojourn_quantile(lam, MU, 0.95)
    runs = _runs(_queue(tmp_path, lam, size))
    latency = [s.traffic["msgs"].latency_ms for s in runs]
    assert all(lat is not None for lat in latency)
    means = [lat.mean_ci for lat in latency if lat is not None]
    p95s = [lat.p95_ci for lat in latency if lat is not None]
    assert BAND[0] <= coverage(means, mean * 1e3) <= BAND[1]
    assert BAND[0] <= coverage(p95s, p95 * 1e3) <= BAND[1]


@pytest.mark.slow
def test_success_ratio_interval_covers_the_availability(tmp_path: Path) -> None:
    (tmp_path / "flaky.yaml").write_text("""
name: flaky
nodes: {a: {}, b: {}}
links:
  - name: ab
    kind: internet
    endpoints: [a, b]
    capacity: 10Mbps
    delay: 0s
    mtbf: 50s
    mttr: {dist: expon, scale: 5s}
    bgp: {keepalive: 1s, hold: 3s, reestablish: 0s}
""")
    (tmp_path / "loss.yaml").write_text("""
name: loss
topology: flaky.yaml
duration: 1860s
warmup: 60s
seed: 15
traffic:
  - {name: probes, kind: one-way, from: a, to: b, rate: 50/s, size: 100B, timeout: 10s}
failures:
  - {random: true}
""")
    runs = _runs(load_scenario(tmp_path / "loss.yaml"))
    stats = [s.traffic["probes"] for s in runs]
    ratios = [c.success_ratio_ci for c in stats if hasattr(c, "success_ratio_ci")]
    assert len(ratios) == SEEDS
    assert BAND[0] <= coverage(ratios, 50 / 55) <= BAND[1]


def sketch_run(args: tuple[Scenario, int]) -> Summary:
    """One run that keeps sketches, not rows (module level: it runs on a worker)."""
    scenario, seed = args
    trace = run_fast(scenario, seed, rows="failures")
    assert trace.meta["rows"] == "failures"
    return summarize(trace, scenario)


@pytest.mark.slow
def test_sketch_intervals_cover_queueing_theory_on_a_long_run(tmp_path: Path) -> None:
    mu, lam = 20.0, 16.0  # 1000 B at 160 kbit/s; load 0.8
    (tmp_path / "slow-link.yaml").write_text("""
name: slow-link
nodes: {a: {}, b: {}}
links:
  - {name: ab, endpoints: [a, b], capacity: 160Kbps, delay: 0s}
""")
    (tmp_path / "slow.yaml").write_text(f"""
name: slow-queue
topology: slow-link.yaml
duration: 7500s
warmup: 300s
seed: 15
traffic:
  - {{name: msgs, kind: one-way, from: a, to: b, rate: {lam}/s,
     size: {{dist: expon, scale: 1000B}}, timeout: 1h}}
""")
    scenario = load_scenario(tmp_path / "slow.yaml")
    seeds = replication_seeds(scenario.seed, SEEDS)
    with ProcessPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(sketch_run, [(scenario, s) for s in seeds]))
    assert {s.statistics for s in runs} == {"sketches"}
    latency = [s.traffic["msgs"].latency_ms for s in runs]
    means = [lat.mean_ci for lat in latency if lat is not None]
    p95s = [lat.p95_ci for lat in latency if lat is not None]
    assert BAND[0] <= coverage(means, 1e3 / (mu - lam)) <= BAND[1]
    assert BAND[0] <= coverage(p95s, 1e3 * math.log(20) / (mu - lam)) <= BAND[1]

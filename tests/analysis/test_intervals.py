"""Intervals for correlated output (:mod:`netsim.analysis.intervals`, ``batching``).

Oracles: the AR(1) process, whose mean has the closed-form long-run variance
``sigma^2 / (1 - phi)^2`` per sample (sigma the innovations' standard deviation), so the
variance batch means must find is known; the binomial order-statistic and Wilson intervals
for independent samples (what the new intervals reduce to, or must contain); and simple
constructed samples for the zero-width rule and the strata.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from netsim.analysis.batching import (
    K_MIN,
    Cells,
    combine,
    iid_variance,
    stratum_variance,
    von_neumann_rejects,
)
from netsim.analysis.evidence import outward, sketch_estimate, sketch_set
from netsim.analysis.intervals import CiInfo, CiMethod, Sample, Stat, interval_of
from netsim.analysis.stats import quantile_ci, wilson
from netsim.trace.sketch import SketchSet


def ar1(seed: int, n: int, phi: float) -> np.ndarray:
    """``x[t] = phi x[t-1] + e[t]``, unit innovations, started in its stationary law."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, 1.0, n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi * phi)
    for t in range(1, n):  # a test fixture, not netsim code
        x[t] = phi * x[t - 1] + e[t]
    return x


def test_von_neumann_test_sees_correlation_and_not_noise() -> None:
    assert von_neumann_rejects(ar1(1, 200, 0.5))
    rejected = sum(
        von_neumann_rejects(np.random.default_rng(s).normal(size=200)) for s in range(200)
    )
    # Level 0.10, one-sided: about 20 of 200 independent series are rejected by chance.
    assert 8 <= rejected <= 35


def test_batch_means_find_the_long_run_variance_of_ar1() -> None:
    phi, n = 0.9, 100_000
    x = ar1(2, n, phi)
    cells = Cells.of(x, np.arange(n, dtype=float), (0.0, float(n)), 320)
    part = stratum_variance(cells, float(x.mean()))
    # Var(sum) ~ n / (1 - phi)^2 = 100 n; a 20-batch estimate is good to ~ +-50 % (chi2_19)
    assert part.independent
    assert 50 * n < part.var < 160 * n
    # ... while the samples' own variance (1 / (1 - phi^2) = 5.3 per sample) is 19x too small.
    assert iid_variance(cells, float(x.mean())).var < 6 * n


def test_ar1_mean_intervals_cover_zero() -> None:
    """Coverage on 300 AR(1) series (phi 0.8): batch means near 95 %, independent ~ 60 %."""
    hits, iid_hits = 0, 0
    for seed in range(300):
        x = ar1(seed, 5000, 0.8)
        t = np.arange(5000, dtype=float)
        lo, hi = interval_of(x, t, Stat.mean(), span=(0.0, 5000.0)).ci
        hits += lo <= 0.0 <= hi
        half = 1.96 * x.std() / math.sqrt(len(x))
        iid_hits += abs(x.mean()) <= half
    assert 0.90 <= hits / 300 <= 0.99
    assert iid_hits / 300 < 0.75


def test_independent_samples_get_about_the_order_statistic_interval() -> None:
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 1000, 40_000))
    x = rng.exponential(1.0, len(t))
    est = interval_of(x, t, Stat.quantile(0.95), span=(0.0, 1000.0))
    _, (lo, hi) = quantile_ci(x, 0.95)
    assert est.ci[0] <= lo
    assert est.ci[1] >= hi
    # batch means on independent data: no more than ~1.5 x the exact-for-iid width
    assert est.ci[1] - est.ci[0] < 1.5 * (hi - lo)
    assert est.method.method is CiMethod.BATCH_MEANS
    assert est.method.independent


def test_no_loss_at_all_still_has_the_wilson_width() -> None:
    est = interval_of(np.ones(5000), np.linspace(0, 100, 5000), Stat.ratio())
    assert est.point == 1.0
    assert est.ci == pytest.approx(wilson(5000, 5000))
    assert est.ci[0] < 1.0


def test_zero_width_only_when_every_sample_is_equal() -> None:
    t = np.linspace(0, 100, 1000)
    same = interval_of(np.full(1000, 7.0), t, Stat.quantile(0.95))
    assert same.ci == (7.0, 7.0)
    # 90 % of the samples are exactly 7: the P50 is 7 with certainty, yet the interval is
    # widened to the nearest distinct values rather than reported as [7, 7].
    x = np.where(np.arange(1000) % 10 == 0, np.linspace(1, 20, 1000), 7.0)
    atom = interval_of(x, t, Stat.quantile(0.5))
    assert atom.point == 7.0
    assert atom.ci[0] < 7.0 < atom.ci[1]


def test_rounding_goes_outwards() -> None:
    assert outward((18.00691, 18.00694)) == (18.006, 18.007)
    assert outward((2.0, 3.0)) == (2.0, 3.0)
    assert outward((math.nan, 1.0)) == (None, 1.0)


def test_strata_keep_a_scripted_change_of_level_out_of_the_noise() -> None:
    """Latency 10 ms before a failover at 300 s and 30 ms after, plus noise: with the break
    the interval is as narrow as the sampling allows; without it the jump counts as noise.

    What the sampling allows: the 60 000 send times are uniform, so the number falling
    before the break is binomial (variance n/4), and each one more there moves the mean by
    20/n: sd = 20 sqrt(n/4) / n = 0.041 (the noise adds 1/sqrt(n) = 0.004), width ~0.16.
    """
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 600, 60_000))
    x = np.where(t < 300, 10.0, 30.0) + rng.normal(0, 1, len(t))
    span = (0.0, 600.0)
    cut = interval_of(x, t, Stat.mean(), span=span, breaks=[300.0])
    whole = interval_of(x, t, Stat.mean(), span=span)
    assert cut.method.strata == 2
    assert cut.ci[0] < 20.0 < cut.ci[1]
    assert 0.12 < cut.ci[1] - cut.ci[0] < 0.25
    assert whole.ci[1] - whole.ci[0] > 10 * (cut.ci[1] - cut.ci[0])


def test_a_short_stratum_counts_its_samples_as_independent() -> None:
    """A 2 s failover gap in which every request is lost: too short to batch, it still
    adds the Poisson variance of how many requests fell into it."""
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 600, 60_000))
    ok = ~((t >= 100) & (t < 102))
    cells = Cells(np.zeros(1), np.zeros(1), np.zeros(1), np.array([200.0]), 2.0)
    gap = iid_variance(cells, 0.99)
    assert gap.var == pytest.approx(200 * 0.99**2)
    assert gap.batches == 0
    est = interval_of(ok.astype(float), t, Stat.ratio(), span=(0.0, 600.0), breaks=[100, 102])
    assert est.ci[0] < est.point < est.ci[1]
    assert est.method.strata == 3


def test_sketch_estimates_agree_with_the_rows() -> None:
    rng = np.random.default_rng(6)
    n = 200_000
    t0 = np.sort(rng.uniform(0, 7200, n))
    lat = rng.lognormal(-4.0, 0.5, n)
    ok = rng.random(n) > 0.001
    sketches = SketchSet(["c"], SketchSet.buckets(7200.0, 0.0))
    sketches.add_requests(np.zeros(n, np.int64), t0, ok, lat, np.ones(n, np.int64))
    for stat in (Stat.mean(), Stat.quantile(0.95), Stat.ratio()):
        values = ok.astype(float) if stat == Stat.ratio() else lat[ok]
        times = t0 if stat == Stat.ratio() else t0[ok]
        rows = interval_of(values, times, stat, span=(0.0, 7200.0))
        sk = sketch_estimate(sketches, 0, stat)
        assert sk.point == pytest.approx(rows.point, rel=2e-3)
        width, sk_width = rows.ci[1] - rows.ci[0], sk.ci[1] - sk.ci[0]
        assert 0.5 * width < sk_width < 2.5 * width + 4e-3 * rows.point
        assert sk.method.method is CiMethod.BATCH_MEANS
        assert sk.method.batches is not None
        assert sk.method.batches >= K_MIN


def test_method_reads_back() -> None:
    est = Sample(np.arange(1000.0), np.arange(1000.0)).estimate(Stat.mean())
    assert CiInfo.from_json(est.method.to_json()) == est.method
    reps = CiInfo(CiMethod.REPLICATIONS, 10, replications=10)
    assert CiInfo.from_json(reps.to_json()) == reps


def test_strata_combine_degrees_of_freedom() -> None:
    rng = np.random.default_rng(7)
    parts = []
    for _ in range(2):
        x = rng.normal(size=4000)
        cells = Cells.of(x, np.arange(4000.0), (0.0, 4000.0), 320)
        parts.append(stratum_variance(cells, 0.0))
    spread = combine(parts)
    assert spread.var == pytest.approx(parts[0].var + parts[1].var)
    # Welch-Satterthwaite: between the smaller df and their sum.
    assert min(p.df for p in parts) <= spread.df <= sum(p.df for p in parts)


def test_windows_of_a_run_from_rows_and_from_sketches() -> None:
    """A failure window's P95 (the API on the VPN for a minute) against the minutes before,
    from the rows and from the sketches of the same scenario: the window is slower, and
    the two evidences agree on it."""
    from netsim.analysis.evidence import Evidence
    from netsim.analysis.strata import scripted_breaks
    from netsim.model import load_scenario
    from netsim.sim.engine import run_fast

    scenario = load_scenario("scenarios/interconnect-cut.yaml", ["duration=4m"])
    api = 0
    p95 = Stat.quantile(0.95)
    estimates = []
    for rows in ("all", "failures"):
        trace = run_fast(scenario, 1, rows=rows)
        breaks = scripted_breaks(trace, scenario)
        sketches = sketch_set(trace) if rows == "failures" else None
        evidence = Evidence(trace, sketches, breaks)
        # Windows on the sketches' minute buckets (30 s warmup, then 30-90, 90-150, ...).
        before = evidence.window(api, p95, (30.0, 90.0))
        during = evidence.window(api, p95, (90.0, 210.0))
        assert during.ci[0] > before.ci[1]  # on the VPN: slower beyond doubt
        assert during.ci[0] < during.point < during.ci[1]
        ok = evidence.window(api, Stat.ratio(), (90.0, 210.0))
        assert 0.9 < ok.point <= 1.0
        estimates.append(during.point)
    assert estimates[1] == pytest.approx(estimates[0], rel=0.05)


def test_sketch_intervals_are_stratified_at_the_breaks_like_the_rows() -> None:
    """Oracle: the rows' interval of the same data, stratified at the scripted breaks. A
    2-minute failure (3 % lost) in 12 minutes of minute buckets: without strata the
    failure's minutes made the between-bucket variance, and the sketch interval of the
    success ratio was about 20 times the rows'; with the same strata the two agree."""
    rng = np.random.default_rng(8)
    n = 120_000
    t0 = np.sort(rng.uniform(0, 720, n))
    failing = (t0 >= 300) & (t0 < 420)
    ok = rng.random(n) > np.where(failing, 0.03, 0.0005)
    lat = rng.lognormal(-4.0, 0.3, n)
    sketches = SketchSet(["c"], SketchSet.buckets(720.0, 0.0))
    sketches.add_requests(np.zeros(n, np.int64), t0, ok, lat, np.ones(n, np.int64))
    breaks = [300.0, 420.0]
    rows = interval_of(ok.astype(float), t0, Stat.ratio(), span=(0.0, 720.0), breaks=breaks)
    flat = sketch_estimate(sketches, 0, Stat.ratio())
    strata = sketch_estimate(sketches, 0, Stat.ratio(), breaks=breaks)
    width = rows.ci[1] - rows.ci[0]
    assert strata.point == pytest.approx(rows.point)
    assert strata.ci[1] - strata.ci[0] < 2.0 * width
    assert flat.ci[1] - flat.ci[0] > 3.0 * width  # what the strata fix
    assert strata.method.strata == rows.method.strata == 3


def test_a_mean_latency_interval_never_goes_below_zero() -> None:
    """A few huge latencies among small ones (a saturated fallback) make the mean's
    symmetric interval reach below zero; a latency, and so its mean, cannot be negative."""
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.uniform(0.001, 0.002, 300), [5.0, 7.0]])
    t = np.sort(rng.uniform(0, 300, len(x)))
    est = Sample(x, t).estimate(Stat.mean())
    assert est.ci[0] >= 0.0
    assert est.ci[0] <= est.point <= est.ci[1]

"""Independent replications pooled into one summary with between-run intervals.

``netsim run --replications N`` runs the scenario with N independent seeds (the
replication seeds of :func:`netsim.sweep.replication_seeds`, on local processes or Dask)
and :func:`pool` turns their summaries into one. Each run is one observation, so the
intervals need no batching: the runs are independent by construction.

- counts (sent, delivered, retried, losses by reason) are totals over the runs;
- a success ratio is ``sum(delivered) / sum(sent)``, and the mean latency the
  delivered-weighted mean: ratio estimators whose variance comes from the runs' residuals
  ``a_r - R n_r`` (:func:`netsim.analysis.batching.batch_variance`), with Student's t on
  ``N - 1`` degrees of freedom and the same skewness adjustment as batch means;
- a quantile (a class's P50/P95/P99, a latency SLO) and any other SLO figure (the longest
  failover gap, a throughput) is the mean of the runs' figures with its t interval;
- no interval is narrower than the runs' own intervals averaged over ``sqrt(N)`` (what N
  independent estimates of that precision give), nor, for a success ratio, than the
  Wilson interval of the pooled counts, so N identical runs still get an honest width;
- links and cost are averages over the runs, ``max`` the largest of all, and the
  failovers of every run are listed with the replication they happened in.

Verdicts are judged on the pooled figures like a single run's
(:func:`netsim.analysis.slos.verdict_of`); an inconclusive one says how many replications
would settle it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.batching import Cells, batch_variance, combine
from netsim.analysis.evidence import outward
from netsim.analysis.intervals import LEVEL, CiInfo, CiMethod, Stat, margins
from netsim.analysis.results import (
    ClassStats,
    CostSummary,
    LatencyStats,
    LinkStats,
    ReplicationNote,
    Summary,
)
from netsim.analysis.slos import verdict_of
from netsim.analysis.stats import wilson
from netsim.analysis.strata import has_scripted_breaks
from netsim.analysis.traffic import LATENCY_STATS, BulkStats, TransferTimes
from netsim.analysis.verdicts import Bound, SloVerdict, Verdict, judge, overall, settle
from netsim.analysis.windows import WindowCounts, WorstWindow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.traffic import Interval, TrafficStats
    from netsim.model.scenario import Scenario


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def between_runs(
    a: Sequence[float],
    n: Sequence[float],
    stat: Stat,
    level: float = LEVEL,
    floor: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, tuple[float, float]]:
    """``R = sum(a) / sum(n)`` over runs and its between-run interval, no narrower than
    ``floor`` (distances below and above ``R``).

    >>> point, (lo, hi) = between_runs([10.0, 12.0, 11.0, 13.0], [1, 1, 1, 1], Stat.mean())
    >>> point, round(lo, 2), round(hi, 2)
    (11.5, 9.45, 13.55)
    """
    av, nv = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    total = float(nv.sum())
    point = float(av.sum()) / total
    cells = Cells(av, av * av, av**3, nv, 0.0)
    below, above = margins(stat, combine([batch_variance(cells, point)]), 1, level)
    below, above = below / total, above / total  # from the sum of residuals to the ratio
    return point, (point - max(below, floor[0]), point + max(above, floor[1]))


def _floor(points: Sequence[float | None], cis: Sequence[Interval]) -> tuple[float, float]:
    """The runs' own interval half-widths, averaged, over ``sqrt(N)``."""
    below = [
        p - lo for p, (lo, _) in zip(points, cis, strict=True) if p is not None and lo is not None
    ]
    above = [
        hi - p for p, (_, hi) in zip(points, cis, strict=True) if p is not None and hi is not None
    ]
    root = math.sqrt(len(points))
    return (
        float(np.mean(below)) / root if below else 0.0,
        float(np.mean(above)) / root if above else 0.0,
    )


def _latency(runs: Sequence[LatencyStats], delivered: Sequence[int], info: CiInfo) -> LatencyStats:
    """Pooled latency statistics of one class (runs that delivered something)."""
    out: dict[str, tuple[float, Interval]] = {}
    for name in LATENCY_STATS:
        points = [getattr(r, name) or 0.0 for r in runs]
        cis = [r.mean_ci if name == "mean" else getattr(r, f"{name}_ci") for r in runs]
        if name == "mean":
            a = [p * d for p, d in zip(points, delivered, strict=True)]
            point, ci = between_runs(a, delivered, Stat.mean(), floor=_floor(points, cis))
        else:
            point, ci = between_runs(
                points, [1] * len(runs), Stat.mean(), floor=_floor(points, cis)
            )
        out[name] = (point, outward(ci))
    return LatencyStats(
        _r(out["mean"][0]),
        _r(max(r.max or 0.0 for r in runs)),
        _r(out["p50"][0]),
        out["p50"][1],
        _r(out["p95"][0]),
        out["p95"][1],
        _r(out["p99"][0]),
        out["p99"][1],
        out["mean"][1],
        dict.fromkeys(LATENCY_STATS, info),
    )


def _class(runs: Sequence[ClassStats], info: CiInfo) -> ClassStats:
    sent = sum(r.sent for r in runs)
    delivered = sum(r.delivered for r in runs)
    reasons: dict[str, int] = {}
    for r in runs:
        for reason, count in r.lost_by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + count
    ratio: float | None = None
    ratio_ci: Interval = (None, None)
    if sent:
        _, ci = between_runs([r.delivered for r in runs], [r.sent for r in runs], Stat.ratio())
        wl, wh = wilson(delivered, sent)
        ratio = _r(delivered / sent, 6)
        ratio_ci = outward((max(min(ci[0], wl), 0.0), min(max(ci[1], wh), 1.0)), 6)
    with_latency = [r for r in runs if r.latency_ms is not None]
    latency = None
    if with_latency:
        latency = _latency(
            [r.latency_ms for r in with_latency if r.latency_ms is not None],
            [r.delivered for r in with_latency],
            info,
        )
    return ClassStats(
        runs[0].kind,
        sent,
        delivered,
        ratio,
        ratio_ci,
        latency,
        sum(r.retried for r in runs),
        reasons,
        info if sent else None,
    )


def _bulk(runs: Sequence[BulkStats]) -> BulkStats:
    done = [r.transfer_s for r in runs if r.transfer_s is not None]
    return BulkStats(
        sum(r.transfers for r in runs),
        sum(r.completed for r in runs),
        sum(r.delivered_bytes for r in runs),
        _r(float(np.mean([r.active_s or 0.0 for r in runs]))),
        _r(float(np.mean([r.throughput_mbps or 0.0 for r in runs]))),
        TransferTimes(
            _r(float(np.mean([t.mean or 0.0 for t in done]))),
            _r(max(t.max or 0.0 for t in done)),
        )
        if done
        else None,
    )


def _mean(values: Sequence[float | None], digits: int) -> float | None:
    kept = [v for v in values if v is not None]
    return _r(float(np.mean(kept)), digits) if kept else None


def _pooled_windows(pooled: SloVerdict, per_run: Sequence[SloVerdict], count: int) -> SloVerdict:
    """A windowed SLO pooled: the mean of the runs' worst windows, with its between-run
    interval, judged against the target (the windows of all runs counted together)."""
    worst = [v.worst_window for v in per_run if v.worst_window is not None]
    counts = [v.windows for v in per_run if v.windows is not None]
    if not worst or pooled.target is None or per_run[0].window_s is None:
        return pooled
    points = [float(w.measured) for w in worst if w.measured is not None]
    floor = _floor(points, [w.ci for w in worst if w.measured is not None])
    mean, raw = between_runs(points, [1] * len(points), Stat.mean(), floor=floor)
    digits = 6 if pooled.unit == "" else 3
    ci = outward(raw, digits)
    verdict = judge(round(mean, digits), ci, pooled.target, pooled.bound)
    sign = 1.0 if pooled.bound is Bound.MAX else -1.0
    where = max(worst, key=lambda w: sign * (w.measured or 0.0))
    how = None
    if verdict is Verdict.AT_RISK and ci[0] is not None and ci[1] is not None:
        how = settle(
            round(mean, digits),
            (ci[0], ci[1]),
            pooled.target,
            duration_s=where.end_s - where.start_s,
            warmup_s=0.0,
            window=True,
            replications=count,
        )
    return dataclasses.replace(
        pooled,
        verdict=verdict,
        settle=how,
        window_s=per_run[0].window_s,
        worst_window=WorstWindow(where.start_s, where.end_s, round(mean, digits), ci),
        windows=WindowCounts(
            sum(c.count for c in counts),
            sum(c.failing for c in counts),
            sum(c.at_risk for c in counts),
        ),
    )


def pool(
    summaries: Sequence[Summary],
    scenario: Scenario,
    seeds: Sequence[int],
    base_seed: int | None = None,
) -> Summary:
    """One :class:`Summary` of independent replications of ``scenario`` (module docstring);
    ``base_seed`` is the seed the replications' seeds were derived from."""
    first, count = summaries[0], len(summaries)
    info = CiInfo(CiMethod.REPLICATIONS, count, replications=count)
    traffic: dict[str, TrafficStats] = {}
    for name, kind in first.traffic.items():
        runs = [s.traffic[name] for s in summaries]
        if isinstance(kind, BulkStats):
            traffic[name] = _bulk([r for r in runs if isinstance(r, BulkStats)])
        else:
            traffic[name] = _class([r for r in runs if isinstance(r, ClassStats)], info)
    run = (first.duration_s, first.warmup_s, has_scripted_breaks(scenario))
    slos = []
    for j, slo in enumerate(scenario.slos):
        per_run = [s.slos[j] for s in summaries]
        stats = traffic.get(slo.traffic_class or "")
        measured: float | None = None
        ci: Interval = (None, None)
        if slo.metric == "success_ratio" and isinstance(stats, ClassStats):
            measured, ci = stats.success_ratio, stats.success_ratio_ci
        else:
            with_data = [v for v in per_run if v.measured is not None]
            if with_data:
                points = [float(v.measured or 0.0) for v in with_data]
                floor = _floor(points, [v.ci for v in with_data])
                measured, raw = between_runs(points, [1] * len(points), Stat.mean(), floor=floor)
                ci = outward(raw, 6 if per_run[0].unit == "" else 3)
        pooled = verdict_of(slo, measured, ci, per_run[0].unit, info, run=run, replications=count)
        slos.append(_pooled_windows(pooled, per_run, count))
    failovers = tuple(
        dataclasses.replace(f, replication=i) for i, s in enumerate(summaries) for f in s.failovers
    )
    links = {
        name: LinkStats(
            _mean([s.links[name].carried_bytes for s in summaries], 1),
            _mean([s.links[name].utilization_mean for s in summaries], 6),
            _mean([s.links[name].down_s for s in summaries], 3),
        )
        for name in first.links
    }
    costs = [s.cost for s in summaries]
    cost = CostSummary(
        _mean([c.monthly_usd for c in costs], 2),
        _mean([c.per_gb_usd for c in costs], 2),
        _mean([c.total_monthly_usd for c in costs], 2),
        _mean([c.run_per_gb_usd for c in costs], 4),
        first.cost.unpriced,
    )
    return dataclasses.replace(
        first,
        seed=scenario.seed if base_seed is None else base_seed,
        wall_s=round(sum(s.wall_s for s in summaries), 3),
        traffic=traffic,
        slos=tuple(slos),
        failovers=failovers,
        links=links,
        cost=cost,
        verdict=overall(s.verdict for s in slos if s.verdict is not None),
        replications=ReplicationNote(count, tuple(seeds)),
    )


__all__ = ["between_runs", "pool"]

"""SLOs judged on one run: :func:`evaluate_slo` gives a :class:`SloVerdict` per SLO.

The measured value and its interval come from the run's
:class:`~netsim.analysis.evidence.Evidence` (latency quantiles) or from the class
statistics already computed (success ratio), so an SLO on a class's P95 reports exactly
the class's P95 and interval. ``"pass"`` compares the measured value with the target, as
it always has; the verdict compares the interval (:func:`netsim.analysis.verdicts.judge`),
and an inconclusive one says what would settle it (:func:`netsim.analysis.verdicts.settle`).
Failover gaps and throughput have no sampling interval in one run: they are judged on
their value, and only replications give them one (:mod:`netsim.analysis.pooled`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from netsim.analysis.evidence import outward
from netsim.analysis.intervals import Stat
from netsim.analysis.traffic import BulkStats, ClassStats
from netsim.analysis.verdicts import Bound, SloVerdict, Verdict, judge, settle

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from netsim.analysis.evidence import Evidence
    from netsim.analysis.intervals import CiInfo
    from netsim.analysis.results import FailoverResult
    from netsim.analysis.traffic import Interval, TrafficStats
    from netsim.model.scenario import Slo

#: How SLO targets in SI units become the units ``summary.json`` reports them in.
UNIT_SCALE = {"ms": 1e3, "Mbps": 1e-6}


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def measure(
    slo: Slo,
    traffic: Mapping[str, TrafficStats],
    failovers: Sequence[FailoverResult],
    evidence: Evidence,
) -> tuple[float | None, Interval, str, CiInfo | None]:
    """(measured value, its interval, unit, how the interval was built) of one SLO."""
    if slo.metric == "latency":
        est = evidence.latency(
            evidence.trace.classes.index(slo.traffic_class or ""),
            Stat.quantile(slo.quantile or 0.95),
        )
        if not math.isfinite(est.point):
            return None, (None, None), "ms", None
        return est.point, outward(est.ci), "ms", est.method
    stats = traffic.get(slo.traffic_class or "")
    if slo.metric == "success_ratio":
        if isinstance(stats, ClassStats):
            return (
                stats.success_ratio,
                stats.success_ratio_ci,
                "",
                stats.success_ratio_method,
            )
        return None, (None, None), "", None
    if slo.metric == "failover_gap":
        return max((f.gap_s for f in failovers), default=0.0), (None, None), "s", None
    throughput = stats.throughput_mbps if isinstance(stats, BulkStats) else None
    return throughput, (None, None), "Mbps", None


def evaluate_slo(
    slo: Slo,
    traffic: Mapping[str, TrafficStats],
    failovers: Sequence[FailoverResult],
    evidence: Evidence,
) -> SloVerdict:
    """One SLO verdict: target, measured value, its CI, pass, verdict, a sentence."""
    measured, ci, unit, method = measure(slo, traffic, failovers, evidence)
    return verdict_of(
        slo,
        measured,
        ci,
        unit,
        method,
        run=(evidence.trace.duration, evidence.trace.warmup, bool(evidence.breaks)),
    )


def verdict_of(
    slo: Slo,
    measured: float | None,
    ci: Interval,
    unit: str,
    method: CiInfo | None,
    *,
    run: tuple[float, float, bool],
    replications: int | None = None,
) -> SloVerdict:
    """The :class:`SloVerdict` of a measured value and its interval (``run``: duration,
    warmup and whether the scenario has scripted breaks, for :func:`settle`).

    ``"pass"`` and the sentence use ``measured`` as given, the verdict and the document
    the value rounded to 6 digits, as ``summary.json`` has always reported it.
    """
    scale = UNIT_SCALE.get(unit, 1.0)
    target_max = None if slo.max is None else slo.max * scale
    target_min = None if slo.min is None else slo.min * scale
    ok = (
        measured is not None
        and (target_max is None or measured <= target_max)
        and (target_min is None or measured >= target_min)
    )
    raw_target = target_max if target_max is not None else target_min
    target, reported = _r(raw_target, 6), _r(measured, 6)
    bound = Bound.MAX if target_max is not None else Bound.MIN
    verdict = judge(reported, ci, target, bound)
    how = None
    lo, hi = ci
    if (
        verdict is Verdict.INCONCLUSIVE
        and reported is not None
        and target is not None
        and lo is not None
        and hi is not None
    ):
        duration, warmup, scripted = run
        how = settle(
            reported,
            (lo, hi),
            target,
            duration_s=duration,
            warmup_s=warmup,
            scripted=scripted,
            replications=replications,
        )
    return SloVerdict(
        slo.name,
        slo.metric,
        slo.traffic_class,
        slo.quantile,
        target,
        bound,
        reported,
        ci,
        unit,
        bool(ok),
        sentence(slo, measured, raw_target, unit, ok),
        verdict,
        method,
        how,
    )


def sentence(slo: Slo, measured: float | None, target: float | None, unit: str, ok: bool) -> str:
    """The SLO's ``"text"``: the measured value against the target, met or VIOLATED."""
    if measured is None:
        return f"{slo.name}: no data to judge (no successful traffic)"
    what = {
        "latency": f"P{(slo.quantile or 0) * 100:g} latency of {slo.traffic_class}",
        "success_ratio": f"success ratio of {slo.traffic_class}",
        "failover_gap": "longest failover gap",
        "throughput": f"throughput of {slo.traffic_class}",
    }[slo.metric]
    rel = "at most" if slo.max is not None else "at least"
    return (
        f"{what} is {measured:.6g}{(' ' + unit) if unit else ''}; the target is {rel} "
        f"{target:.6g}{(' ' + unit) if unit else ''}: {'met' if ok else 'VIOLATED'}"
    )


__all__ = ["evaluate_slo", "measure", "sentence", "verdict_of"]

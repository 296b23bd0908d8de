"""SLOs judged on one run: :func:`evaluate_slo` gives a :class:`SloVerdict` per SLO.

The measured value and its interval come from the run's
:class:`~netsim.analysis.evidence.Evidence` (latency quantiles) or from the class
statistics already computed (success ratio), so an SLO on a class's P95 reports exactly
the class's P95 and interval. ``"pass"`` compares that whole-run value with the target, as
it always has. The verdict reads intervals (:func:`netsim.analysis.verdicts.judge`): of
every window for a latency or success SLO (:mod:`netsim.analysis.windows`: it holds only
if every window holds), of the composed monthly figure for ``window: month``
(:mod:`netsim.analysis.monthly`), of the run for the others; one at risk says what would
settle it (:func:`netsim.analysis.verdicts.settle`). Failover gaps and throughput have no
sampling interval in one run: they are judged on their value, and only replications give
them one (:mod:`netsim.analysis.pooled`). A throughput SLO of a bulk class with no transfer
in the run is not judged: nothing was due.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from netsim.analysis.evidence import outward
from netsim.analysis.intervals import Stat
from netsim.analysis.traffic import BulkStats, ClassStats
from netsim.analysis.verdicts import Bound, SloVerdict, Verdict, duration_text, judge, settle
from netsim.model.scenario import DEFAULT_SLO_WINDOW

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from netsim.analysis.evidence import Evidence
    from netsim.analysis.intervals import CiInfo
    from netsim.analysis.results import FailoverResult
    from netsim.analysis.traffic import Interval, TrafficStats
    from netsim.model.scenario import Scenario, Slo

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


def nothing_due(slo: Slo, traffic: Mapping[str, TrafficStats]) -> bool:
    """A throughput SLO of a bulk class that had no transfer in the run."""
    stats = traffic.get(slo.traffic_class or "")
    return slo.metric == "throughput" and isinstance(stats, BulkStats) and stats.transfers == 0


def evaluate_slo(
    slo: Slo,
    traffic: Mapping[str, TrafficStats],
    failovers: Sequence[FailoverResult],
    evidence: Evidence,
    scenario: Scenario | None = None,
) -> SloVerdict:
    """One SLO verdict: target, measured value, its CI, pass, verdict, a sentence.

    ``scenario`` (the run's) is needed to compose a ``window: month`` figure."""
    if nothing_due(slo, traffic):
        return not_judged(slo, "Mbps", "no transfer was due in this run")
    idle = traffic.get(slo.traffic_class or "")
    if slo.metric in WINDOWED and isinstance(idle, ClassStats) and idle.sent == 0:
        # the class sends nothing after the warmup (it starts after the run, or stops
        # before the warmup ends): there is nothing to judge, which is not a failure
        return not_judged(
            slo,
            "ms" if slo.metric == "latency" else "",
            f"{slo.traffic_class} sends nothing after the warmup in this run",
        )
    measured, ci, unit, method = measure(slo, traffic, failovers, evidence)
    whole = verdict_of(
        slo,
        measured,
        ci,
        unit,
        method,
        run=(evidence.trace.duration, evidence.trace.warmup, bool(evidence.breaks)),
    )
    if slo.metric not in WINDOWED or whole.target is None or measured is None:
        return whole
    if slo.monthly:
        return _monthly(whole, slo, evidence, scenario)
    return _windowed(whole, slo, evidence)


WINDOWED = ("latency", "success_ratio")


def _windowed(whole: SloVerdict, slo: Slo, evidence: Evidence) -> SloVerdict:
    from netsim.analysis.windows import judge_windows

    window = slo.window or DEFAULT_SLO_WINDOW
    latency = slo.metric == "latency"
    stat = Stat.quantile(slo.quantile or 0.95) if latency else Stat.ratio()
    cls = evidence.trace.classes.index(slo.traffic_class or "")
    assert whole.target is not None
    found = judge_windows(
        evidence,
        cls,
        stat,
        target=whole.target,
        bound=whole.bound,
        window=window,
        digits=3 if latency else 6,
    )
    if found is None:
        return whole
    worst = found.worst
    how = None
    lo, hi = worst.ci
    trace = evidence.trace
    if found.verdict is Verdict.AT_RISK and worst.measured is not None and None not in (lo, hi):
        assert lo is not None
        assert hi is not None
        # A run shorter than its window is one window: a longer run adds to it. Otherwise
        # more data for the worst window comes only from more runs: replications.
        whole_run = trace.duration - trace.warmup <= window
        how = settle(
            worst.measured,
            (lo, hi),
            whole.target,
            duration_s=trace.duration if whole_run else worst.end_s - worst.start_s,
            warmup_s=trace.warmup if whole_run else 0.0,
            scripted=bool(evidence.breaks),
            window=not whole_run,
        )
    judged = dataclasses.replace(
        whole,
        verdict=found.verdict,
        settle=how,
        window_s=window,
        worst_window=worst,
        windows=found.counts,
    )
    return dataclasses.replace(judged, text=sentence_of(judged, slo))


def _monthly(
    whole: SloVerdict, slo: Slo, evidence: Evidence, scenario: Scenario | None
) -> SloVerdict:
    from netsim.analysis.monthly import compose_month

    if scenario is None:
        return whole
    month = compose_month(evidence, slo, scenario)
    if month.measured is None:
        verdict = Verdict.NOT_JUDGED
    else:
        verdict = judge(month.measured, month.ci, whole.target, whole.bound)
    judged = dataclasses.replace(whole, verdict=verdict, settle=None, month=month)
    return dataclasses.replace(judged, text=sentence_of(judged, slo))


def not_judged(slo: Slo, unit: str, why: str) -> SloVerdict:
    """An SLO with nothing to judge in this run: it passes vacuously and says why."""
    scale = UNIT_SCALE.get(unit, 1.0)
    target = slo.max if slo.max is not None else slo.min
    return SloVerdict(
        slo.name,
        slo.metric,
        slo.traffic_class,
        slo.quantile,
        _r(None if target is None else target * scale, 6),
        Bound.MAX if slo.max is not None else Bound.MIN,
        None,
        (None, None),
        unit,
        True,
        f"{slo.name}: not judged: {why}",
        Verdict.NOT_JUDGED,
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


def _what(slo: Slo) -> str:
    return {
        "latency": f"P{(slo.quantile or 0) * 100:g} latency of {slo.traffic_class}",
        "success_ratio": f"success ratio of {slo.traffic_class}",
        "failover_gap": "longest failover gap",
        "throughput": f"throughput of {slo.traffic_class}",
    }[slo.metric]


def _value(x: float | None, unit: str) -> str:
    return "-" if x is None else f"{x:.6g}{(' ' + unit) if unit else ''}"


def sentence(slo: Slo, measured: float | None, target: float | None, unit: str, ok: bool) -> str:
    """The SLO's ``"text"`` for a run judged as a whole: the value against the target."""
    if measured is None:
        return f"{slo.name}: no data to judge (no successful traffic)"
    rel = "at most" if slo.max is not None else "at least"
    return (
        f"{_what(slo)} is {_value(measured, unit)}; the target is {rel} "
        f"{_value(target, unit)}: {'holds' if ok else 'does not hold'}"
    )


def sentence_of(v: SloVerdict, slo: Slo) -> str:
    """The ``"text"`` of an SLO judged per window or per month: what the verdict rests on."""
    rel = "at most" if v.bound is Bound.MAX else "at least"
    verdict = v.verdict.value if v.verdict is not None else "-"
    target = f"the target is {rel} {_value(v.target, v.unit)}"
    if v.month is not None:
        m = v.month
        if m.measured is None:
            return f"{_what(slo)} over a month: not judged: {m.note}"
        return (
            f"{_what(slo)} over a month is {_value(m.measured, v.unit)} "
            f"({100 * m.failure_fraction:.3g}% of the month in the failure state, "
            f"{m.failure_min:.3g} min); {target}: {verdict}"
        )
    w, n = v.worst_window, v.windows
    if w is None or n is None or v.window_s is None:
        return v.text
    span = f"{duration_text(v.window_s).replace(' ', '-')} windows"
    return (
        f"{_what(slo)} is {_value(v.measured, v.unit)} over the run and "
        f"{_value(w.measured, v.unit)} in the worst of {n.count} {span} "
        f"({w.start_s:.0f}-{w.end_s:.0f} s); {n.failing} do not hold, {n.at_risk} at risk; "
        f"{target}: {verdict}"
    )


__all__ = [
    "evaluate_slo",
    "measure",
    "not_judged",
    "nothing_due",
    "sentence",
    "sentence_of",
    "verdict_of",
]

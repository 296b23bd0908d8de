"""SLO windows: a latency or success SLO judged over every window of a run.

An SLO such as "P95 ≤ 50 ms" is a promise about every stretch of time of its window
(``window: 5m`` by default), not about the average of a run: a 1-minute failover dilutes
into a 40-minute run and stands out in a 5-minute one. :func:`judge_windows` slides a
window over the run after the warmup, half a window at a time (so any event up to half a
window long falls wholly inside at least one window, whatever the run's length or where
the event starts), with one more window ending at the run's end so every instant is
covered. Each window gets its estimate and interval from the run's
:class:`~netsim.analysis.evidence.Evidence` (batch means, stratified at the scripted
breaks inside it) and its own three-way verdict; the SLO holds only if every window
holds, does not hold if one does not, and is at risk otherwise. The worst window (the
highest latency, the lowest success ratio) is reported with its bounds.

A run shorter than its window is one window, the whole run. Long fast-engine runs that
kept sketches instead of rows are judged on whole sketch buckets (a minute to hours):
the same windows with their ends moved to the nearest bucket edges (:func:`bucket_spans`).

:func:`failure_spans` is the one definition of "during a failure" for the analysis and
the report: from each failure to the restoration of the preferred path (or the repair,
or the end of the run).

Examples
--------
>>> window_spans((30.0, 600.0), 300.0)
[(30.0, 330.0), (180.0, 480.0), (300.0, 600.0)]
>>> window_spans((0.0, 200.0), 300.0)
[(0.0, 200.0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.evidence import outward
from netsim.analysis.judged import WindowCounts, WorstWindow
from netsim.analysis.verdicts import Bound, Verdict, judge, overall

if TYPE_CHECKING:
    from netsim.analysis.evidence import Evidence
    from netsim.analysis.intervals import Estimate, Stat
    from netsim.analysis.traffic import Interval
    from netsim.trace.core import Trace

#: Windows slide by this fraction of their length.
STEP = 0.5
EPS = 1e-9


def failure_spans(trace: Trace) -> list[tuple[float, float]]:
    """(start, end) of every failure: end = restored, else repaired, else the run's end."""
    out = []
    for rec in trace.failovers:
        end = rec.restored_at_s or rec.repaired_at_s or trace.duration
        out.append((float(rec.failed_at_s), float(end)))
    return out


def in_spans(t: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Boolean mask of ``t`` inside any span.

    >>> in_spans(np.array([1.0, 5.0, 9.0]), [(4.0, 6.0)]).tolist()
    [False, True, False]
    """
    mask = np.zeros(len(t), dtype=bool)
    for start, end in spans:
        mask |= (t >= start) & (t < end)
    return mask


def window_spans(span: tuple[float, float], window: float) -> list[tuple[float, float]]:
    """The windows of ``span`` (module docstring)."""
    lo, hi = span
    if hi - lo <= window + EPS:
        return [(lo, hi)]
    step = window * STEP
    count = math.floor((hi - lo - window) / step + EPS) + 1
    spans = [(lo + i * step, lo + i * step + window) for i in range(count)]
    if spans[-1][1] < hi - EPS:
        spans.append((hi - window, hi))
    return spans


def bucket_spans(
    edges: np.ndarray, span: tuple[float, float], window: float
) -> list[tuple[float, float]]:
    """The windows of ``span`` (:func:`window_spans`) for a run kept as sketch buckets
    (``edges``; bucket 0 is the warmup, the last runs to infinity): each window's ends
    moved to the nearest bucket edges, the last edge being the run's end, so that a run
    is judged on as many windows, sliding the same way, whichever way it kept its
    statistics. Buckets longer than half a window (an hour's buckets of a year) cannot
    slide by half a window: then each window is the fewest whole buckets that make
    ``window`` seconds.

    >>> edges = np.array([0.0, 10.0, *np.arange(70.0, 720.0, 60.0), np.inf])
    >>> bucket_spans(edges, (10.0, 720.0), 300.0)
    [(10.0, 310.0), (130.0, 430.0), (310.0, 610.0), (430.0, 720.0)]
    >>> bucket_spans(np.array([0.0, 60.0, 660.0, 1260.0, np.inf]), (60.0, 1800.0), 900.0)
    [(60.0, 1260.0), (660.0, 1800.0)]
    """
    lo, hi = span
    e = np.unique(np.clip(edges[1:], lo, hi))  # the warmup's end onward, inf at the end
    if len(e) <= 1:  # no bucket after the warmup
        return []
    wanted = window_spans(span, window)
    if len(wanted) > 1 and float(np.max(np.diff(e))) > window * STEP + EPS:
        out = []
        for i in range(len(e) - 1):
            j = int(np.searchsorted(e, e[i] + window - EPS, side="left"))
            out.append((float(e[i]), float(e[min(j, len(e) - 1)])))
            if j >= len(e) - 1:
                break
        return out
    spans: list[tuple[float, float]] = []
    for a, b in wanted:
        i = int(np.argmin(np.abs(e - a)))
        j = max(int(np.argmin(np.abs(e - b))), i + 1)
        if j < len(e) and (float(e[i]), float(e[j])) not in spans:
            spans.append((float(e[i]), float(e[j])))
    return spans


@dataclass(frozen=True, slots=True)
class Windowed:
    """An SLO judged per window: the verdict, the worst window and the counts."""

    verdict: Verdict
    worst: WorstWindow
    counts: WindowCounts


def _rounded(est: Estimate, digits: int) -> tuple[float | None, Interval]:
    point = round(est.point, digits) if math.isfinite(est.point) else None
    return point, outward(est.ci, digits)


def judge_windows(
    evidence: Evidence,
    cls: int,
    stat: Stat,
    *,
    target: float,
    bound: Bound,
    window: float,
    digits: int,
) -> Windowed | None:
    """Every window's estimate of ``stat`` for class ``cls`` against ``target``
    (module docstring); None when no window has data. ``digits``: the rounding of
    ``summary.json`` (3 for milliseconds, 6 for ratios), applied before judging."""
    trace = evidence.trace
    span = (trace.warmup, trace.duration)
    if evidence.sketches is not None:
        spans = bucket_spans(evidence.sketches.edges, span, window) or [span]
    else:
        spans = window_spans(span, window)
    verdicts: list[Verdict] = []
    worst: WorstWindow | None = None
    for lo, hi in spans:
        est = evidence.window(cls, stat, (lo, hi))
        point, ci = _rounded(est, digits)
        if point is None:
            continue
        verdicts.append(judge(point, ci, target, bound))
        sign = 1.0 if bound is Bound.MAX else -1.0
        if worst is None or sign * point > sign * (worst.measured or 0.0):
            worst = WorstWindow(lo, hi, point, ci)
    if worst is None:
        return None
    counts = WindowCounts(
        len(verdicts),
        sum(v is Verdict.FAILS for v in verdicts),
        sum(v is Verdict.AT_RISK for v in verdicts),
    )
    return Windowed(overall(verdicts), worst, counts)


__all__ = [
    "WindowCounts",
    "Windowed",
    "WorstWindow",
    "bucket_spans",
    "failure_spans",
    "in_spans",
    "judge_windows",
    "window_spans",
]

"""What a run's statistics and their intervals are computed from: rows or sketches.

An :class:`Evidence` holds one run's requests (its attempt rows grouped into requests,
:func:`netsim.analysis.requests.request_table`) or, for a long fast-engine run that kept
rows only around failures, its per-bucket sketches; and the breaks its intervals are
stratified at (:func:`netsim.analysis.strata.scripted_breaks`). It answers
:meth:`Evidence.latency` (in ms) and :meth:`Evidence.success` as
:class:`~netsim.analysis.intervals.Estimate`, each computed once per run, so a class's P95
and an SLO on that P95 share one estimate; :meth:`Evidence.window` gives the same for one
window of the run (SLO windows, failure windows).

:func:`sketch_estimate` is :func:`~netsim.analysis.intervals.interval_of` for sketches:
the buckets of :class:`~netsim.trace.sketch.SketchSet` (a minute to hours each) are the
cells that batch means merge, and quantile intervals are widened by the sketch's relative
accuracy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.batching import (
    K_MIN,
    Cells,
    StratumVariance,
    combine,
    iid_variance,
    stratum_variance,
)
from netsim.analysis.intervals import (
    LEVEL,
    NO_DATA,
    Estimate,
    Sample,
    Stat,
    StatKind,
    margins,
    method_of,
    min_cell,
    strata_of,
)
from netsim.analysis.requests import request_table
from netsim.analysis.stats import wilson
from netsim.trace.sketch import LatencySketch, SketchSet, value_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.traffic import Interval
    from netsim.trace.core import Trace

#: The latency statistics a class reports with an interval, by their ``summary.json`` name.
LATENCY_ESTIMATES = {
    "mean": Stat.mean(),
    "p50": Stat.quantile(0.5),
    "p95": Stat.quantile(0.95),
    "p99": Stat.quantile(0.99),
}


def sketch_set(trace: Trace) -> SketchSet | None:
    """The run's sketches when its rows are incomplete (else None: use the rows)."""
    if trace.meta.get("rows", "all") == "all" or "sketches" not in trace.meta:
        return None
    return SketchSet.from_json(trace.meta["sketches"])


def outward(ci: tuple[float, float], digits: int = 3) -> Interval:
    """An interval rounded outwards to ``digits`` (None where it is not finite), so that
    rounding never narrows it: an interval of width 0.0004 ms stays wider than zero.

    >>> outward((1.23449, 1.23451)), outward((0.99999981, 1.0), 6)
    ((1.234, 1.235), (0.999999, 1.0))
    """
    scale = 10.0**digits
    lo, hi = ci
    # The 1e-6 keeps a value that is already round (2.0 read as 1.99999...) where it is.
    return (
        round(math.floor(lo * scale + 1e-6) / scale, digits) if math.isfinite(lo) else None,
        round(math.ceil(hi * scale - 1e-6) / scale, digits) if math.isfinite(hi) else None,
    )


def _scaled(est: Estimate, k: float) -> Estimate:
    return Estimate(est.point * k, (est.ci[0] * k, est.ci[1] * k), est.method)


class Evidence:
    """One run's requests or sketches, and its breaks (module docstring)."""

    def __init__(self, trace: Trace, sketches: SketchSet | None, breaks: Sequence[float]) -> None:
        self.trace, self.sketches, self.breaks = trace, sketches, tuple(breaks)
        self.requests = request_table(trace)
        self.span = (trace.warmup, trace.duration)
        self._samples: dict[tuple[int, bool], Sample] = {}
        self._estimates: dict[tuple[int, Stat | None], Estimate] = {}

    def _sample(self, ci: int, latency: bool) -> Sample:
        if (ci, latency) not in self._samples:
            req = self.requests
            mask = req.cls == ci
            if latency:
                mask &= req.ok
            values = req.latency[mask] * 1e3 if latency else req.ok[mask].astype(float)
            self._samples[ci, latency] = Sample(
                values, req.t_send[mask], span=self.span, breaks=self.breaks
            )
        return self._samples[ci, latency]

    def latency(self, ci: int, stat: Stat) -> Estimate:
        """The mean or a quantile of class ``ci``'s latency (ms) with its interval."""
        if (ci, stat) not in self._estimates:
            if self.sketches is not None:
                est = _scaled(sketch_estimate(self.sketches, ci, stat, breaks=self.breaks), 1e3)
            else:
                est = self._sample(ci, latency=True).estimate(stat)
            self._estimates[ci, stat] = est
        return self._estimates[ci, stat]

    def latency_max(self, ci: int) -> float:
        """The longest latency of class ``ci`` (ms)."""
        if self.sketches is not None:
            return float(self.sketches.lat_max[ci, 1:].max()) * 1e3
        return float(self._sample(ci, latency=True).sorted[-1])

    def window(self, ci: int, stat: Stat, span: tuple[float, float]) -> Estimate:
        """An estimate over one window of the run (an SLO window, a failure window): the
        requests of class ``ci`` first sent within ``span``, stratified at the breaks
        inside it; a ratio is the success ratio, anything else is latency (ms). With
        sketches, the window is widened to whole buckets."""
        if self.sketches is not None:
            edges = self.sketches.edges
            first = max(int(np.searchsorted(edges, span[0], side="right")) - 1, 1)
            last = max(int(np.searchsorted(edges, span[1], side="left")), first + 1)
            est = sketch_estimate(
                self.sketches, ci, stat, first=first, last=last, breaks=self.breaks
            )
            return est if stat.kind is StatKind.RATIO else _scaled(est, 1e3)
        latency = stat.kind is not StatKind.RATIO
        sample = self._sample(ci, latency)
        # The sample is in time order: cut the window out before Sample copies it.
        lo, hi = np.searchsorted(sample.times, span, side="left")
        hi = int(np.searchsorted(sample.times, span[1], side="right"))
        part = slice(int(lo), hi)
        return Sample(
            sample.values[part], sample.times[part], span=span, breaks=self.breaks
        ).estimate(stat)

    def success(self, ci: int) -> Estimate:
        """The success ratio of class ``ci`` with its interval."""
        if (ci, None) not in self._estimates:
            if self.sketches is not None:
                est = sketch_estimate(self.sketches, ci, Stat.ratio(), breaks=self.breaks)
            else:
                est = self._sample(ci, latency=False).estimate(Stat.ratio())
            self._estimates[ci, None] = est
        return self._estimates[ci, None]


def sketch_estimate(
    sketches: SketchSet,
    ci: int,
    stat: Stat,
    *,
    level: float = LEVEL,
    first: int = 1,
    last: int | None = None,
    breaks: Sequence[float] = (),
) -> Estimate:
    """The estimate of ``stat`` for class ``ci`` over buckets ``first`` to ``last``
    (excluded; default: every bucket after the warmup) with its interval, the buckets
    being the cells (latencies in seconds)."""
    stop = len(sketches.edges) - 1 if last is None else last
    buckets = sketches.sketches[ci][first:stop]
    sent = sketches.count["sent"][ci, first:stop].astype(float)
    delivered = sketches.count["delivered"][ci, first:stop].astype(float)
    merged = LatencySketch(alpha=sketches.alpha)
    for bucket in buckets:
        merged.merge(bucket)
    finite = np.diff(sketches.edges[first : min(stop + 1, len(sketches.edges) - 1)])
    span_s = float(np.median(finite)) * len(buckets) if len(finite) else math.nan
    n = int(sent.sum()) if stat.kind is StatKind.RATIO else merged.n
    if n == 0:
        return NO_DATA
    if stat.kind is StatKind.RATIO:
        point = float(delivered.sum()) / n
        cells = Cells(delivered, delivered, delivered, sent, span_s)
    elif stat.kind is StatKind.MEAN:
        lat_sum = sketches.lat_sum[ci, first:stop].astype(float)
        point = float(lat_sum.sum()) / n
        a2, a3 = ([_sum_powers(s, k) for s in buckets] for k in (2, 3))
        cells = Cells(lat_sum, np.array(a2), np.array(a3), delivered, span_s)
    else:
        point = merged.quantile(stat.q)
        key = merged.key_at_rank(stat.q * (n - 1))
        below_key = np.array([float(s.count_at_most(key)) for s in buckets])
        cells = Cells(below_key, below_key, below_key, delivered, span_s)
    ratio = float(cells.a.sum()) / max(float(cells.n.sum()), 1.0)
    parts = _bucket_strata(cells, sketches.edges[first:stop], breaks, min_cell(stat, ratio), ratio)
    below, above = margins(stat, combine(parts), n, level)
    if stat.kind is StatKind.QUANTILE:
        lo = merged.at_rank(max(math.floor((stat.q - above) * n) - 1, 0))
        hi = merged.at_rank(min(math.ceil((stat.q + below) * n), n - 1))
        _, iid = merged.quantile_ci(stat.q, level)
        lo, hi = min(lo, iid[0]) * (1 - merged.alpha), max(hi, iid[1]) * (1 + merged.alpha)
        # a bucket's value is within alpha of the values in it: no quantile is above the
        # largest latency itself, which the sketches keep exactly
        top = float(sketches.lat_max[ci, first:stop].max())
        if math.isfinite(top):
            point, hi = min(point, top), min(hi, top)
    elif stat.kind is StatKind.RATIO:
        lo, hi = max(point - below, 0.0), min(point + above, 1.0)
        wl, wh = wilson(int(delivered.sum()), n, level)
        lo, hi = min(lo, wl), max(hi, wh)
    else:
        iid_half = margins(stat, combine([iid_variance(cells.total(), point)]), n, level)
        lo, hi = min(point - below, point - iid_half[0]), max(point + above, point + iid_half[1])
        lo = max(lo, 0.0)  # latencies are never negative, nor is their mean
    return Estimate(point, (min(lo, point), max(hi, point)), method_of(parts, n))


def _bucket_strata(
    cells: Cells, starts: np.ndarray, breaks: Sequence[float], least: float, ratio: float
) -> list[StratumVariance]:
    """The variance parts of sketch buckets (``cells``, starting at ``starts``) in strata
    cut at the scripted ``breaks``, as the rows' intervals are: a bucket belongs to the
    stratum its start falls in, so a failure's minutes are not batched with calm ones.
    Within a stratum, buckets with fewer than ``least`` samples are merged in pairs."""
    cuts = strata_of((float(starts[0]), math.inf), breaks)
    stratum = np.searchsorted(cuts, starts, side="right") - 1
    parts = []
    for k in np.unique(stratum).tolist():
        mine = stratum == k
        group = Cells(cells.a[mine], cells.a2[mine], cells.a3[mine], cells.n[mine], cells.span_s)
        while len(group.n) >= 2 * K_MIN and float(group.n.mean()) < least:
            group = group.merged()
        batched = len(group.n) >= K_MIN
        parts.append(stratum_variance(group, ratio) if batched else iid_variance(group, ratio))
    return parts


def _sum_powers(sketch: LatencySketch, power: int) -> float:
    """Sum of the values' ``power`` a sketch holds (each at its bucket's value)."""
    if not len(sketch.counts):
        return 0.0
    values = value_of(np.arange(len(sketch.counts)) + sketch.offset, sketch.alpha)
    return float(np.dot(sketch.counts, values**power))


__all__ = ["LATENCY_ESTIMATES", "Evidence", "outward", "sketch_estimate", "sketch_set"]

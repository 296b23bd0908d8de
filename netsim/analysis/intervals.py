"""Confidence intervals built for correlated output: means, quantiles, success ratios.

:func:`interval_of` is the one entry point: samples with their times, a statistic
(:meth:`Stat.mean`, :meth:`Stat.quantile`, :meth:`Stat.ratio`), the window they belong to
(the whole run after the warmup, an SLO window, a failure window) and the moments inside
it where the scenario changes on purpose (``breaks``). It returns an :class:`Estimate`:
the point estimate, its interval and how the interval was built (:class:`CiInfo`).
:func:`netsim.analysis.evidence.sketch_estimate` does the same from the per-bucket
sketches of a long fast-engine run, its buckets serving as cells.

How each interval is built (docs/design.md, "Confidence intervals", has the coverage):

- mean and success ratio: ``R = sum(a) / sum(n)``, its variance by batch means within
  strata (:mod:`netsim.analysis.batching`), Student's t adjusted for skewness;
- a quantile ``q``: the same interval for the empirical distribution function at the
  point estimate ``F(x_q)``, ``[q - h, q + h]``, inverted through the empirical quantile
  function (Woodruff, JASA 47, 1952), so no density has to be estimated and the
  interval follows the sample's shape;
- every interval is then widened, where it is narrower, to the interval for independent
  samples (order statistics, Wilson, the plain t interval): no correlated sample carries
  more information than as many independent ones, and a success ratio with no loss at
  all still gets the width its sample size allows;
- an interval has zero width only if every sample is equal: a quantile interval that
  collapses onto one repeated value is widened to the neighbouring distinct values.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(7)
>>> t = np.sort(rng.uniform(0, 600, 50_000))
>>> x = rng.exponential(1.0, len(t))
>>> est = interval_of(x, t, Stat.quantile(0.95), span=(0.0, 600.0))
>>> lo, hi = est.ci
>>> bool(lo < np.log(20) < hi), est.method.method.value
(True, 'batch means')
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.batching import (
    K_MAX,
    K_MIN,
    Cells,
    Spread,
    StratumVariance,
    combine,
    iid_variance,
    stratum_variance,
    t_quantile,
)
from netsim.analysis.stats import quantile_ci, wilson
from netsim.trace.fields import Fields

if TYPE_CHECKING:
    from collections.abc import Sequence

LEVEL = 0.95
MIN_CELL = 10  # samples a cell should hold on average (more for rare events: min_cell)
RARE_EVENTS = 5  # events of the rarer kind a cell of a ratio should hold on average


class StatKind(enum.Enum):
    MEAN = "mean"
    QUANTILE = "quantile"
    RATIO = "ratio"


@dataclass(frozen=True, slots=True)
class Stat:
    """What to estimate: a mean, the ``q``-quantile, or a ratio of 0/1 outcomes."""

    kind: StatKind
    q: float = 0.5

    @staticmethod
    def mean() -> Stat:
        return Stat(StatKind.MEAN)

    @staticmethod
    def quantile(q: float) -> Stat:
        return Stat(StatKind.QUANTILE, q)

    @staticmethod
    def ratio() -> Stat:
        return Stat(StatKind.RATIO)


class CiMethod(enum.Enum):
    """How an interval was built (``summary.json`` names it)."""

    BATCH_MEANS = "batch means"
    INDEPENDENT = "independent samples"
    REPLICATIONS = "replications"


@dataclass(frozen=True, slots=True)
class CiInfo:
    """How one interval was built: the method and what it rests on.

    ``batches`` (all strata together) and ``batch_s`` (their mean length) for batch means;
    ``strata``: the stretches the window was cut into; ``independent``: whether every
    batched stratum's batches passed the independence test (False: the run is too short
    for its correlation, and the interval was inflated for it); ``replications`` for
    between-run intervals; ``samples`` the sample size.
    """

    method: CiMethod
    samples: int
    batches: int | None = None
    batch_s: float | None = None
    strata: int | None = None
    independent: bool | None = None
    replications: int | None = None

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {"method": self.method.value, "samples": self.samples}
        if self.method is CiMethod.BATCH_MEANS:
            doc.update(
                batches=self.batches,
                batch_s=self.batch_s,
                strata=self.strata,
                independent=self.independent,
            )
        elif self.method is CiMethod.REPLICATIONS:
            doc["replications"] = self.replications
        else:
            doc["strata"] = self.strata
        return doc

    @classmethod
    def from_json(cls, doc: object) -> CiInfo:
        f = Fields.of(doc)
        independent = None if f.raw("independent") is None else f.flag("independent")
        return cls(
            f.member("method", CiMethod),
            f.integer("samples"),
            f.opt_integer("batches"),
            f.opt_number("batch_s"),
            f.opt_integer("strata"),
            independent,
            f.opt_integer("replications"),
        )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate, its interval (``level``, 95 % by default) and how it was built."""

    point: float
    ci: tuple[float, float]
    method: CiInfo


NO_DATA = Estimate(math.nan, (math.nan, math.nan), CiInfo(CiMethod.INDEPENDENT, 0))


def strata_of(span: tuple[float, float], breaks: Sequence[float]) -> np.ndarray:
    """Edges of the strata of ``span`` cut at the ``breaks`` inside it.

    >>> strata_of((10.0, 100.0), [5.0, 30.0, 30.0, 60.0, 200.0]).tolist()
    [10.0, 30.0, 60.0, 100.0]
    """
    lo, hi = span
    inner = sorted({float(b) for b in breaks if lo < b < hi})
    return np.array([lo, *inner, hi])


def min_cell(stat: Stat, p: float) -> float:
    """Samples per cell: enough that a cell of a ratio holds a few of its rarer outcome."""
    if stat.kind is StatKind.MEAN:
        return MIN_CELL
    rare = min(p, 1.0 - p)
    return MIN_CELL if rare <= 0 else max(MIN_CELL, RARE_EVENTS / rare)


def margins(stat: Stat, spread: Spread, n: int, level: float) -> tuple[float, float]:
    """How far below and above the ratio ``sum(a) / n`` its interval reaches.

    The skewness adjustment (:meth:`~netsim.analysis.batching.Spread.bounds`) is left out
    for quantiles: measured, it widened their intervals without raising their coverage,
    which inverting the distribution function already keeps at the nominal level.
    """
    skew = stat.kind is not StatKind.QUANTILE
    below, above = spread.bounds(level, skew=skew)
    sd = math.sqrt(spread.var) / n
    return below * sd, above * sd


def method_of(parts: Sequence[StratumVariance], samples: int) -> CiInfo:
    batched = [p for p in parts if p.batches]
    if not batched:
        return CiInfo(CiMethod.INDEPENDENT, samples, strata=len(parts))
    batches = sum(p.batches for p in batched)
    seconds = sum(p.batches * (p.batch_s or 0.0) for p in batched)
    return CiInfo(
        CiMethod.BATCH_MEANS,
        samples,
        batches,
        round(seconds / batches, 3) if math.isfinite(seconds) else None,
        len(parts),
        all(p.independent for p in batched),
    )


class Sample:
    """Values with their times in one window, sorted once for any number of statistics.

    ``span`` is the window (default: the first to the last time); ``breaks`` the moments
    inside it where the scenario changes on purpose
    (:func:`netsim.analysis.strata.scripted_breaks`). The samples are kept in time order,
    so each stratum is a slice.
    """

    def __init__(
        self,
        values: np.ndarray,
        times: np.ndarray,
        *,
        span: tuple[float, float] | None = None,
        breaks: Sequence[float] = (),
    ) -> None:
        values = np.asarray(values, dtype=float)
        times = np.asarray(times, dtype=float)
        if span is None:
            span = (float(times.min()), float(times.max())) if len(times) else (0.0, 0.0)
        keep = (times >= span[0]) & (times <= span[1])
        order = np.argsort(times[keep], kind="stable")
        self.values, self.times = values[keep][order], times[keep][order]
        self.sorted = np.sort(self.values)
        self.edges = strata_of(span, breaks)
        # Stratum s is the slice bounds[s]:bounds[s + 1]; the last one includes its end.
        self.bounds = np.searchsorted(self.times, self.edges, side="left")
        self.bounds[-1] = len(self.times)

    def __len__(self) -> int:
        return len(self.values)

    def estimate(self, stat: Stat, level: float = LEVEL) -> Estimate:
        """The point estimate of ``stat`` and its interval (module docstring)."""
        n = len(self.values)
        if n == 0:
            return NO_DATA
        x = self.sorted
        if stat.kind is StatKind.QUANTILE:
            point = float(np.quantile(x, stat.q))
            a = (self.values <= point).astype(float)
        else:
            point = float(self.values.mean())
            a = self.values
        ratio = float(a.mean())
        parts = self._variances(a, ratio, min_cell(stat, ratio))
        below, above = margins(stat, combine(parts), n, level)
        info = method_of(parts, n)
        if stat.kind is StatKind.QUANTILE:
            # F's interval [F - below, F + above] holds q exactly for x in this range:
            lo, hi = _invert(x, stat.q - above, stat.q + below)
            _, iid = quantile_ci(x, stat.q, level)
        elif stat.kind is StatKind.RATIO:
            lo, hi = max(point - below, 0.0), min(point + above, 1.0)
            iid = wilson(round(float(a.sum())), n, level)
        else:
            lo, hi = point - below, point + above
            iid = _iid_mean(x, level)
        lo, hi = min(lo, iid[0], point), max(hi, iid[1], point)
        if x[0] >= 0:  # a non-negative quantity (a latency): so is every mean it can have
            lo = max(lo, 0.0)
        if lo == hi and x[0] != x[-1]:
            lo, hi = _neighbours(x, point)
        return Estimate(point, (float(lo), float(hi)), info)

    def _variances(self, a: np.ndarray, ratio: float, min_cell: float) -> list[StratumVariance]:
        parts = []
        for s in range(len(self.edges) - 1):
            part = slice(int(self.bounds[s]), int(self.bounds[s + 1]))
            count = part.stop - part.start
            if count == 0:
                continue
            span = (float(self.edges[s]), float(self.edges[s + 1]))
            cells = min(K_MAX, int(count / min_cell))
            grid = Cells.of(a[part], self.times[part], span, max(cells, 1))
            batched = cells >= K_MIN
            parts.append(stratum_variance(grid, ratio) if batched else iid_variance(grid, ratio))
        return parts


def interval_of(
    values: np.ndarray,
    times: np.ndarray,
    stat: Stat,
    *,
    span: tuple[float, float] | None = None,
    breaks: Sequence[float] = (),
    level: float = LEVEL,
) -> Estimate:
    """The estimate of ``stat`` over the samples of one window, with its interval.

    ``values`` are latencies (mean, quantile) or 0/1 outcomes (ratio), ``times`` when each
    sample was taken (a request's first send), ``span`` the window (samples outside it are
    left out) and ``breaks`` the moments inside it where the scenario changes on purpose.

    >>> import numpy as np
    >>> est = interval_of(np.ones(100), np.arange(100.0), Stat.ratio())
    >>> est.point, est.ci[1], est.ci[0] < 1.0      # no loss at all: still not [1, 1]
    (1.0, 1.0, True)
    """
    return Sample(values, times, span=span, breaks=breaks).estimate(stat, level)


def _invert(x: np.ndarray, q_lo: float, q_hi: float) -> tuple[float, float]:
    """The quantiles ``q_lo`` (rounded down) and ``q_hi`` (up) of sorted ``x``."""
    n = len(x)
    lo = math.floor(q_lo * n) - 1
    hi = math.ceil(q_hi * n)
    return float(x[min(max(lo, 0), n - 1)]), float(x[min(max(hi, 0), n - 1)])


def _iid_mean(x: np.ndarray, level: float) -> tuple[float, float]:
    n = len(x)
    if n == 1:
        return float(x[0]), float(x[0])
    half = t_quantile(n - 1, level) * float(x.std(ddof=1)) / math.sqrt(n)
    return float(x.mean()) - half, float(x.mean()) + half


def _neighbours(x: np.ndarray, point: float) -> tuple[float, float]:
    """The nearest distinct values below and above ``point`` (or ``point`` at an end)."""
    below = x[: np.searchsorted(x, point, side="left")]
    above = x[np.searchsorted(x, point, side="right") :]
    return (float(below[-1]) if len(below) else point), (float(above[0]) if len(above) else point)


__all__ = [
    "CiInfo",
    "CiMethod",
    "Estimate",
    "Sample",
    "Stat",
    "StatKind",
    "interval_of",
    "strata_of",
]

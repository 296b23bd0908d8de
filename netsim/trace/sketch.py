"""Mergeable latency sketches and counters per traffic class and time bucket.

A run of a simulated year has about a billion attempts: too many rows to keep. The fast
engine therefore also records, per traffic class and time bucket, a DDSketch of the
latency of successful requests and exact counters (sent, delivered, retried, lost by
reason, latency sum and max). Buckets are mergeable by adding counts, so any span of
buckets gives quantiles with relative error at most ``alpha`` (DDSketch's guarantee: the
returned value is within ``alpha`` of the exact order statistic of that rank).

Keys follow :class:`ddsketch.mapping.LogarithmicMapping` exactly (``ceil(log_gamma(v))``),
vectorised with numpy instead of one ``add`` call per value; :meth:`LatencySketch.to_ddsketch`
gives the ddsketch object for interoperation. The whole set serialises to plain JSON
(:meth:`SketchSet.to_json`), which is how it rides in ``Trace.meta["sketches"]`` and so in a
run directory's ``trace.json``.

Examples
--------
>>> import numpy as np
>>> s = LatencySketch.of(np.linspace(0.001, 0.1, 1000))
>>> abs(s.quantile(0.5) - 0.0505) / 0.0505 < 0.002
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from netsim.trace.core import REASONS

if TYPE_CHECKING:
    from collections.abc import Iterable

ALPHA = 0.001  # relative accuracy of every quantile read from a sketch
MIN_VALUE = 1e-9  # latencies are clamped up to this (the log needs v > 0)
HISTOGRAM_CELLS = 4_000_000  # (group, key) cells counted in one bincount at most
MAX_GROUP_LOOP = 8  # buckets (or groups) a window's values are split in with one pass each


def binom_ppf(q: float, n: int, p: float) -> int:
    """``scipy.stats.binom.ppf(q, n, p)`` for ``0 < q < 1`` without importing
    ``scipy.stats`` (most of a second; a command that only summarises a run should not pay
    for it): the same ``scipy.special`` function ``scipy.stats.binom`` calls, or, if a
    scipy release renames it, the inverse of ``bdtr``. Held to scipy by
    tests/trace/test_rows.py.

    >>> binom_ppf(0.025, 1000, 0.95), binom_ppf(0.975, 1000, 0.95)
    (936, 963)
    """
    from scipy.special import _ufuncs, bdtr, bdtrik

    same = getattr(_ufuncs, "_binom_ppf", None)
    if same is not None:
        return int(same(q, n, p))
    k = math.ceil(float(bdtrik(q, n, p)))
    below = max(k - 1, 0)
    return int(below if bdtr(below, n, p) >= q else k)


#: Bucket widths tried in turn before hours and their doubles (s).
SUB_HOUR_BUCKETS_S = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


def _mapping(alpha: float) -> tuple[float, float]:
    """(gamma, multiplier) of ddsketch's LogarithmicMapping for ``alpha``."""
    mantissa = 2 * alpha / (1 - alpha)
    return 1 + mantissa, math.log(2) / math.log1p(mantissa)


def keys_of(values: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Bucket keys of positive values (ddsketch ``LogarithmicMapping.key``, vectorised)."""
    _, mult = _mapping(alpha)
    v = np.maximum(np.asarray(values, dtype=float), MIN_VALUE)
    np.log2(v, out=v)
    v *= mult
    return np.asarray(np.ceil(v, out=v), dtype=np.int64)


def value_of(keys: np.ndarray | int, alpha: float = ALPHA) -> np.ndarray:
    """The value a key stands for (ddsketch ``LogarithmicMapping.value``)."""
    gamma, mult = _mapping(alpha)
    return np.power(2.0, np.asarray(keys, dtype=float) / mult) * (2.0 / (1 + gamma))


@dataclass
class LatencySketch:
    """Counts per key over ``[offset, offset + len(counts))``; an empty sketch has no counts."""

    offset: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    alpha: float = ALPHA

    @staticmethod
    def of(values: np.ndarray, alpha: float = ALPHA) -> LatencySketch:
        s = LatencySketch(alpha=alpha)
        s.add(values)
        return s

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        keys = keys_of(values, self.alpha)
        self.add_counts(int(keys.min()), np.bincount(keys - keys.min()))

    def add_counts(self, offset: int, counts: np.ndarray) -> None:
        if len(counts) == 0:
            return
        if len(self.counts) == 0:
            self.offset, self.counts = offset, counts.astype(np.int64)
            return
        lo = min(self.offset, offset)
        hi = max(self.offset + len(self.counts), offset + len(counts))
        out = np.zeros(hi - lo, dtype=np.int64)
        out[self.offset - lo : self.offset - lo + len(self.counts)] += self.counts
        out[offset - lo : offset - lo + len(counts)] += counts
        self.offset, self.counts = lo, out

    def merge(self, other: LatencySketch) -> None:
        self.add_counts(other.offset, other.counts)

    def key_at_rank(self, rank: float) -> int:
        """Key of the order statistic of 0-based ``rank`` (ddsketch ``key_at_rank``)."""
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, rank, side="right"))
        return self.offset + min(i, len(cum) - 1)

    def at_rank(self, rank: float) -> float:
        """Value of the order statistic of 0-based ``rank``."""
        return float(value_of(self.key_at_rank(rank), self.alpha))

    def count_at_most(self, key: int) -> int:
        """How many values fall in buckets with keys up to ``key``."""
        return int(self.counts[: max(key - self.offset + 1, 0)].sum())

    def quantile(self, q: float) -> float:
        n = self.n
        return math.nan if n == 0 else self.at_rank(q * (n - 1))

    def quantile_ci(self, q: float, level: float = 0.95) -> tuple[float, tuple[float, float]]:
        """Like :func:`netsim.analysis.stats.quantile_ci`, with order statistics read from
        the sketch (each within ``alpha`` of the exact one)."""
        n = self.n
        if n == 0:
            return math.nan, (math.nan, math.nan)
        a = 1.0 - level
        lo = binom_ppf(a / 2, n, q)
        hi = binom_ppf(1 - a / 2, n, q) + 1
        return self.quantile(q), (self.at_rank(max(lo - 1, 0)), self.at_rank(min(hi - 1, n - 1)))

    def to_ddsketch(self) -> Any:
        """The equivalent :class:`ddsketch.DDSketch` (same mapping, same keys)."""
        from ddsketch import DDSketch

        sk = DDSketch(self.alpha)
        for i in np.flatnonzero(self.counts):
            sk.add(float(value_of(self.offset + int(i), self.alpha)), float(self.counts[i]))
        return sk


class SketchSet:
    """Per (class, bucket): a :class:`LatencySketch` of successful requests and counters.

    Bucket ``b`` covers ``[edges[b], edges[b + 1])`` of the *first* send time of a request
    (of the send time of an attempt, for losses). ``edges[1]`` is the warmup, so the
    statistics after the warmup are exactly the buckets from 1 on.
    """

    COUNTERS = ("sent", "delivered", "retried")

    def __init__(self, classes: list[str], edges: np.ndarray, alpha: float = ALPHA) -> None:
        self.classes = list(classes)
        self.edges = np.asarray(edges, dtype=float)
        self.alpha = alpha
        shape = (len(classes), len(self.edges) - 1)
        self.sketches = [
            [LatencySketch(alpha=alpha) for _ in range(shape[1])] for _ in range(shape[0])
        ]
        self.count = {name: np.zeros(shape, dtype=np.int64) for name in self.COUNTERS}
        # the latency sum in whole nanoseconds: integer sums do not depend on the order
        # parts of a run are added in, so any number of workers gives the same summary
        self.lat_ns = np.zeros(shape, dtype=np.int64)
        self.lat_max = np.full(shape, -np.inf)
        self.lost = np.zeros((*shape, len(REASONS)), dtype=np.int64)

    @staticmethod
    def buckets(duration: float, warmup: float, max_buckets: int = 64) -> np.ndarray:
        """Edges: ``[0, warmup]``, then buckets as short as a minute (an hour, or multiples,
        for runs longer than ``max_buckets`` hours) up to the end, and beyond.

        Short runs get minutes rather than one bucket so that their confidence intervals
        can batch over buckets (:func:`netsim.analysis.intervals.sketch_estimate`); at most
        ``max_buckets`` either way, so memory is bounded as before.
        """
        widths = iter(SUB_HOUR_BUCKETS_S)
        width = next(widths)
        while (duration - warmup) / width > max_buckets:
            width = next(widths, width * 2)
        inner: list[float] = (
            np.arange(warmup, duration, width)[1:].tolist() if duration > warmup else []
        )
        return np.array([0.0, warmup, *inner, np.inf])

    def _bucket(self, t: np.ndarray) -> np.ndarray:
        top = len(self.edges) - 2
        if len(t) == 0:
            return np.zeros(0, np.int64)
        lo, hi = float(t.min()), float(t.max())
        if not math.isnan(lo):  # (a NaN would be the min and max) a window's few buckets
            first, last = np.searchsorted(self.edges, [lo, hi], side="right") - 1
            if last - first <= MAX_GROUP_LOOP:
                b = np.full(len(t), first, np.int64)
                for e in self.edges[first + 1 : last + 1].tolist():  # the edges inside
                    b += t >= e
                return np.clip(b, 0, top, out=b)
        return np.clip(np.searchsorted(self.edges, t, side="right") - 1, 0, top)

    def add_requests(
        self,
        cls: np.ndarray,
        t0: np.ndarray,
        ok: np.ndarray,
        latency: np.ndarray,
        attempts: np.ndarray,
    ) -> None:
        """Requests of classes ``cls`` first sent at ``t0``: delivered (``ok``) with
        ``latency``, after ``attempts`` attempts. Vectorised: no loop over requests."""
        b = self._bucket(t0)
        shape = self.lat_ns.shape
        size = shape[0] * shape[1]
        flat = cls.astype(np.int64) * shape[1] + b
        sent = np.bincount(flat, minlength=size).reshape(shape)
        self.count["sent"] += sent
        if ok.all():  # the common case: every request delivered
            f, lat = flat, latency
            self.count["delivered"] += sent
        else:
            f, lat = flat[ok], latency[ok]
            self.count["delivered"] += np.bincount(f, minlength=size).reshape(shape)
        retried = attempts > 1
        if retried.any():
            self.count["retried"] += np.bincount(flat[retried], minlength=size).reshape(shape)
        self.lat_ns += (
            np.rint(np.bincount(f, weights=lat, minlength=size) * 1e9)
            .astype(np.int64)
            .reshape(shape)
        )
        if len(lat):
            self._add_max(f, lat)
            self._add_keys(f, keys_of(lat, self.alpha))

    def _add_max(self, group: np.ndarray, lat: np.ndarray) -> None:
        """The largest latency per (class, bucket) ``group``: a maximum per run of equal
        groups (a window's requests come flow by flow in time order: a few long runs)."""
        runs = np.flatnonzero(np.diff(group)) + 1
        runs = np.concatenate([[0], runs])
        np.maximum.at(self.lat_max.reshape(-1), group[runs], np.maximum.reduceat(lat, runs))

    def _add_keys(self, group: np.ndarray, keys: np.ndarray) -> None:
        """Count sketch ``keys`` into the sketches of their (class, bucket) ``group``."""
        width = self.lat_ns.shape[1]
        present = np.flatnonzero(np.bincount(group))
        low = int(keys.min())
        span = int(keys.max()) - low + 1
        if len(present) * span <= HISTOGRAM_CELLS:  # one histogram for every group at once
            dense = np.zeros(int(present[-1]) + 1, np.int64)
            dense[present] = np.arange(len(present))
            cells = dense[group] * span + (keys - low)
            hist = np.bincount(cells, minlength=len(present) * span).reshape(len(present), span)
            rows: Iterable[tuple[int, np.ndarray]] = zip(present.tolist(), hist, strict=True)
        else:  # too wide: one histogram per group
            order = np.argsort(group, kind="stable")
            bounds = np.searchsorted(group[order], present)
            ends = [*bounds[1:].tolist(), len(order)]
            rows = (
                (g, np.bincount(keys[order[a:e]] - low))
                for g, a, e in zip(present.tolist(), bounds.tolist(), ends, strict=True)
            )
        for g, row in rows:
            used = np.flatnonzero(row)
            c, bb = divmod(g, width)
            self.sketches[c][bb].add_counts(low + int(used[0]), row[used[0] : used[-1] + 1])

    def add_losses(self, cls: np.ndarray, t_send: np.ndarray, reason: np.ndarray) -> None:
        np.add.at(
            self.lost, (cls.astype(np.int64), self._bucket(t_send), reason.astype(np.int64)), 1
        )

    def merged(self, ci: int, first: int = 1) -> LatencySketch:
        """The sketch of class ``ci`` over buckets ``first..`` (default: after the warmup)."""
        out = LatencySketch(alpha=self.alpha)
        for s in self.sketches[ci][first:]:
            out.merge(s)
        return out

    @property
    def lat_sum(self) -> np.ndarray:
        """The latency sum per (class, bucket), in seconds."""
        return np.asarray(self.lat_ns / 1e9)

    def merge(self, other: SketchSet) -> None:
        """Add ``other`` (the same classes and buckets, e.g. another part of the run)."""
        for name, counts in other.count.items():
            self.count[name] += counts
        self.lat_ns += other.lat_ns
        self.lat_max = np.maximum(self.lat_max, other.lat_max)
        self.lost += other.lost
        for mine, theirs in zip(self.sketches, other.sketches, strict=True):
            for a, b in zip(mine, theirs, strict=True):
                a.merge(b)

    def to_json(self) -> dict[str, object]:
        """The set as a JSON document (arrays stay numpy arrays until written)."""
        return {
            "alpha": self.alpha,
            "classes": self.classes,
            "edges": [float(e) if math.isfinite(e) else None for e in self.edges],
            "counters": dict(self.count),
            "lat_sum": self.lat_sum,
            "lat_max": np.where(np.isfinite(self.lat_max), self.lat_max, -1.0),
            "lost": self.lost,
            "sketches": [[[s.offset, s.counts] for s in row] for row in self.sketches],
        }

    @staticmethod
    def from_json(doc: dict[str, Any]) -> SketchSet:  # parsed trace.json: arrays read as is
        edges = np.array([np.inf if e is None else e for e in doc["edges"]])
        out = SketchSet(doc["classes"], edges, doc["alpha"])
        out.count = {k: np.asarray(v, dtype=np.int64) for k, v in doc["counters"].items()}
        out.lat_ns = np.rint(np.asarray(doc["lat_sum"], dtype=float) * 1e9).astype(np.int64)
        lat_max = np.asarray(doc["lat_max"], dtype=float)
        out.lat_max = np.where(lat_max < 0, -np.inf, lat_max)
        out.lost = np.asarray(doc["lost"], dtype=np.int64)
        out.sketches = [
            [LatencySketch(o, np.asarray(c, dtype=np.int64), out.alpha) for o, c in row]
            for row in doc["sketches"]
        ]
        return out

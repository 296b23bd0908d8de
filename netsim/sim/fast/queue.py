"""Vectorised building blocks of the fast data plane: FIFO queues, drain clocks and draws.

A link direction of the exact engine (:class:`netsim.sim.links.Direction`) is a fluid FIFO:
its unfinished work drains at ``1 - m/C`` while an unsaturated bulk rate ``m`` crosses it
(at 1 while saturated), an arrival waits for the work ahead of it, a saturated direction
adds the standing queue its TCP keeps (``low + u * span``, set by the bulk controller) and
a packet that would overflow ``buffer`` is dropped without adding work.
Here the same queue is computed for a whole array of arrivals at once:

* :class:`DrainClock` maps wall time to *virtual* time ``tau(t)``, the integral of the drain
  rate, so that the work drains at unit rate in virtual time;
* :func:`fifo` is Lindley's recursion in closed form, ``W_n = Z_n - min(min_k Z_k, c)``
  with ``Z_n = (service before n) - tau_n`` (a cumulative sum and a running minimum), and
  resolves buffer drops *exactly* by iterating the drop set to its fixed point (the map
  from a drop set to the drops it implies is antitone, so the iterates bracket the causal
  solution and agree with it once two successive ones are equal);
* :func:`transform` turns standard normal draws into samples of a :class:`Dist`.

Examples
--------
M/D/1 by hand: three packets of 1 s service arriving at 0, 0.5 and 4 s.

>>> import numpy as np
>>> wait, dropped = fifo(np.array([0.0, 0.5, 4.0]), np.ones(3), np.zeros(3),
...                      np.array([0.0, 0.5, 4.0]), np.zeros(3))
>>> wait.tolist(), dropped.tolist()
([1.0, 1.5, 1.0], [False, False, False])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.streams import purpose_key

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.sim.control import BulkLoad

MAX_DROP_ROUNDS = 64
LOCAL_STEPS = 64  # a clock with more steps than this is searched over the ones ``t`` spans


@dataclass(frozen=True, slots=True)
class DrainClock:
    """Piecewise-linear virtual time of one direction: ``tau(t)``, and saturation at ``t``.

    ``times`` are the bulk step function's change times (the first is 0), ``rates`` the
    drain rate in force from each, ``saturated`` whether the direction was saturated then,
    ``low``/``span`` the standing queue's range then (seconds: ``low + u * span``).
    """

    times: np.ndarray
    rates: np.ndarray
    saturated: np.ndarray
    taus: np.ndarray  # tau at each of ``times``
    low: np.ndarray
    span: np.ndarray
    ever_saturated: bool = field(init=False)
    trivial: bool = field(init=False)  # ``tau(t) == t`` and never saturated

    def __post_init__(self) -> None:
        sat = bool(self.saturated.any())
        object.__setattr__(self, "ever_saturated", sat)
        object.__setattr__(self, "trivial", bool(np.all(self.rates == 1.0)) and not sat)

    @staticmethod
    def from_steps(times: list[float], values: list[BulkLoad], capacity: float) -> DrainClock:
        t = np.asarray(times, dtype=float)
        sat = np.asarray([bool(v.saturated) for v in values])
        # A saturating elastic flow backs off for packets: its effect is the standing
        # queue, so only unsaturated fluid slows the drain (as in links.Direction.backlog).
        rates = np.where(sat, 1.0, 1.0 - np.asarray([v.rate for v in values]) / capacity)
        taus = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(t))]) + t[0]
        low = np.asarray([v.queue_low for v in values], dtype=float)
        span = np.asarray([v.queue_high for v in values], dtype=float) - low
        return DrainClock(t, rates, sat, taus, low, span)

    def standing(self, t: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The standing queue (s) met at ``t`` with phase ``u``, where saturated."""
        i = self.step_of(t)
        return np.asarray(self.low[i] + u * self.span[i])

    def tau(self, t: np.ndarray) -> np.ndarray:
        if self.trivial:
            return t
        i = self.step_of(t)
        return np.asarray(self.taus[i] + self.rates[i] * (t - self.times[i]))

    def saturated_at(self, t: np.ndarray) -> np.ndarray:
        if not self.ever_saturated:
            return np.zeros(len(t), dtype=bool)
        i = self.step_of(t)
        if isinstance(i, int):
            return np.full(len(t), bool(self.saturated[i]))
        return np.asarray(self.saturated[i])

    def step_of(self, t: np.ndarray) -> np.ndarray | int:
        """:meth:`step`, as one index when every one of ``t`` falls in the same step (most
        windows fall between two bulk steps): the arithmetic on it is then on scalars,
        element for element the same, without a search and gathers per arrival."""
        span = self._span(t)
        if span is not None and span[0] == span[1]:
            return span[0]
        return self.step(t, span)

    def step(self, t: np.ndarray, span: tuple[int, int] | None = None) -> np.ndarray:
        """The step in force at each of ``t``: ``searchsorted(times, t, "right") - 1``.

        A year has thousands of steps (every bulk transfer's) and a window's times span a
        few of them: the search runs over those (3 to 5x faster, the same indices).
        ``span``: :meth:`_span` of ``t``, if the caller has it.
        """
        times = self.times
        if len(times) > LOCAL_STEPS:
            span = span if span is not None else self._span(t)
            if span is not None:
                lo, hi = max(span[0], 0), span[1] + 1
                return np.searchsorted(times[lo:hi], t, side="right") + (lo - 1)
        return np.searchsorted(times, t, side="right") - 1

    def _span(self, t: np.ndarray) -> tuple[int, int] | None:
        """The steps in force at the first and the last of ``t`` (None: no times, or NaN)."""
        if not len(t):
            return None
        first, last = t.min(), t.max()
        if not first <= last:  # NaN
            return None
        lo, hi = np.searchsorted(self.times, [first, last], side="right") - 1
        return int(lo), int(hi)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array: ``np.unique`` by a sort.

    NumPy 2.4's ``np.unique`` of integers hashes first, which here took 0.97 s for a
    million values where a sort and a comparison of neighbours take 0.015 s; the fast
    engine asks for such sets in every fixed-point round.

    >>> distinct(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    out = np.sort(values, axis=None)
    if not len(out):
        return out
    keep = np.empty(len(out), bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


_INF_BITS = int(np.array(np.inf).view(np.int64))


def time_order(t: np.ndarray) -> np.ndarray:
    """``np.argsort(t, kind="stable")`` of times, sorted by their bit patterns when every
    one is in [+0, +inf]: there IEEE 754 doubles order as their bits do as integers, and
    NumPy's timsort compares integers faster (8 against 12 ns an arrival here, on the
    engine's nearly sorted runs). Anything else (a negative time, a NaN) sorts as floats.

    >>> time_order(np.array([2.5, 0.0, np.inf, 1.0, 2.5])).tolist()
    [1, 3, 0, 4, 2]
    """
    bits = t.view(np.int64)
    if len(bits) and int(bits.min()) >= 0 and int(bits.max()) <= _INF_BITS:
        return np.argsort(bits, kind="stable")
    return np.argsort(t, kind="stable")


def fifo(
    t: np.ndarray,
    service: np.ndarray,
    standing: np.ndarray,
    tau: np.ndarray,
    wire: np.ndarray,
    *,
    buffer_s: float = np.inf,
    v0: float = 0.0,
    tau0: float = -np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Sojourn (standing + queueing + service) and drop flags of arrivals sorted by ``t``.

    ``service`` is per packet (seconds at full rate, ``wire * 8 / C``), ``wire`` the same
    for the buffer test (``-inf`` for a packet whose admission is already decided, e.g. one
    carried over from the previous window), ``tau`` the virtual
    arrival times, ``buffer_s`` the buffer in seconds at full rate, ``(v0, tau0)`` the
    work left by earlier packets at virtual time ``tau0``. A packet is dropped when its
    queue plus standing queue plus its own size would exceed the buffer
    (``links.Direction.admit``); a dropped packet adds no work.
    """
    queue, dropped = fifo_queue(service, standing, tau, wire, buffer_s=buffer_s, v0=v0, tau0=tau0)
    return standing + queue + service, dropped


def fifo_queue(
    service: np.ndarray,
    standing: np.ndarray | float,
    tau: np.ndarray,
    wire: np.ndarray,
    *,
    buffer_s: float = np.inf,
    v0: float = 0.0,
    tau0: float = -np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """The work each arrival finds ahead of it (exactly 0 when the queue is empty) and the
    drop flags: the core of :func:`fifo`."""
    n = len(tau)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    floor = -v0 - tau0 if np.isfinite(tau0) else np.inf
    s = service
    dropped = np.zeros(n, dtype=bool)
    for _ in range(MAX_DROP_ROUNDS):
        z = np.empty(n)
        z[0] = 0.0
        np.cumsum(s[:-1], out=z[1:])
        z -= tau
        queue = np.minimum.accumulate(z)
        if floor < np.inf:
            np.minimum(queue, floor, out=queue)
        np.subtract(z, queue, out=queue)  # z - min(running min of z, floor)
        if not np.isfinite(buffer_s):
            break
        new = queue + standing + wire > buffer_s * (1 + 1e-12)
        if np.array_equal(new, dropped):
            break
        dropped = new
        s = np.where(dropped, 0.0, service)
    else:  # pragma: no cover - pathological overload: resolve sequentially
        queue, dropped = _fifo_loop(
            service,
            np.broadcast_to(standing, n),
            tau,
            wire,
            buffer_s=buffer_s,
            v0=v0,
            tau0=tau0,
        )
    return queue, dropped


def _fifo_loop(
    service: np.ndarray,
    standing: np.ndarray,
    tau: np.ndarray,
    wire: np.ndarray,
    *,
    buffer_s: float,
    v0: float,
    tau0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The same recursion one packet at a time (fallback, and the reference in tests)."""
    n = len(tau)
    queue, dropped = np.zeros(n), np.zeros(n, dtype=bool)
    v, last = v0, tau0 if np.isfinite(tau0) else (tau[0] if n else 0.0)
    for i in range(n):
        v = max(v - (tau[i] - last), 0.0)
        last = tau[i]
        queue[i] = v
        if v + standing[i] + wire[i] > buffer_s * (1 + 1e-12):
            dropped[i] = True
        else:
            v += service[i]
    return queue, dropped


def transform(dist: Dist, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Samples of ``dist`` from standard normal draws ``z`` (one sample per draw), into
    ``out`` if given (an array of the shape of ``z``).

    Constants, ``norm``, ``lognorm``, ``expon`` and ``uniform`` are closed-form; any other
    scipy distribution goes through its quantile function, ``ppf(Phi(z))``. Negative
    samples (of a delay, a size or a time: possible only with probability below 1e-9, the
    loader rejects more) are clipped to 0 where the exact engine redraws them.
    """
    p = dict(dist.params)
    if dist.is_constant:
        if out is None:
            return np.full(z.shape, p["value"])
        out[...] = p["value"]
        return out
    loc, scale = p.get("loc", 0.0), p.get("scale", 1.0)
    if dist.name == "norm":
        out = np.multiply(scale, z, out=out)
        np.add(loc, out, out=out)
    elif dist.name == "lognorm":
        out = np.multiply(p["s"], z, out=out)
        np.exp(out, out=out)
        out *= scale
        if loc:
            out += loc
        if loc >= 0 and scale >= 0:  # exp is never negative: nothing to clip
            return out
    else:
        value = _quantile(dist, z, loc, scale)
        if out is None:
            out = value
        else:
            out[...] = value
    return np.maximum(out, 0.0, out=out)


def _quantile(dist: Dist, z: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """``F^-1(Phi(z))`` of the other families (scipy)."""
    import scipy.special  # only these families need it

    if dist.name == "expon":  # ppf(Phi(z)) = -log(1 - Phi(z)) = -log(Phi(-z))
        return np.asarray(loc - scale * scipy.special.log_ndtr(-z))
    if dist.name == "uniform":
        return np.asarray(loc + scale * scipy.special.ndtr(z))
    return np.asarray(dist.frozen().ppf(scipy.special.ndtr(z)), dtype=float)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def hashed_uniform(key: int, index: np.ndarray) -> np.ndarray:
    """Uniforms on [0, 1) that are a pure function of ``(key, index)`` (SplitMix64).

    A counter-based stream: the draw for a packet does not depend on which other packets
    asked for one, or in which order, so it can be taken lazily and only where needed
    (a lossy link, a saturated direction) and stays the same across fixed-point rounds.

    >>> u = hashed_uniform(7, np.arange(100000))
    >>> bool(0.49 < u.mean() < 0.51 and hashed_uniform(7, np.array([5]))[0] == u[5])
    True
    """
    with np.errstate(over="ignore"):
        x = np.asarray(index, dtype=np.uint64) * _GOLDEN + np.uint64(key)
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def hashed_normal(key: int, index: np.ndarray) -> np.ndarray:
    """Standard normals that are a pure function of ``(key, index)`` (Box-Muller on two
    :func:`hashed_uniform` draws): random access for the rare draws a window makes for
    a sparse subset of its requests (retries).

    >>> z = hashed_normal(3, np.arange(200000))
    >>> bool(abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01)
    True
    """
    twice = np.asarray(index, dtype=np.uint64) * np.uint64(2)
    radius = np.sqrt(-2.0 * np.log1p(-hashed_uniform(key, twice)))
    return np.asarray(radius * np.cos(2 * np.pi * hashed_uniform(key, twice + np.uint64(1))))


_TWO_PI32 = np.float32(2.0 * np.pi)


def block_normals(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normals of ``shape`` from ``rng`` by Box-Muller: twice as fast here as
    ``rng.standard_normal`` (NumPy's ziggurat draws one at a time through a branch it
    mispredicts half the time; these are five whole-array passes NumPy vectorises).

    The radius ``sqrt(-2 log u)`` takes a 53-bit uniform ``u`` in (0, 1], so the tail
    reaches 8.6 standard deviations; the angle takes a 24-bit uniform and ``cos``/``sin``
    in single precision (errors of about 1e-7, far below any figure a latency model
    has). The first half of the values are ``r cos``, the second ``r sin``: independent.

    >>> z = block_normals(np.random.default_rng(3), (4, 50001))
    >>> z.shape, bool(abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01)
    ((4, 50001), True)
    """
    n = math.prod(shape)
    half = (n + 1) // 2
    radius = rng.random(half)
    np.subtract(1.0, radius, out=radius)
    np.log(radius, out=radius)
    radius *= -2.0
    np.sqrt(radius, out=radius)
    angle = rng.random(half, dtype=np.float32)
    angle *= _TWO_PI32
    out = np.empty(2 * half)
    np.multiply(radius, np.cos(angle), out=out[:half])
    np.multiply(radius, np.sin(angle, out=angle), out=out[half:])
    return out[:n].reshape(shape)


def stream_key(seed: int, purpose: str, *index: int) -> int:
    """A 64-bit key for :func:`hashed_uniform`, derived like :func:`netsim.model.streams.stream`."""
    seq = np.random.SeedSequence([seed, purpose_key(purpose), *index])
    return int(seq.generate_state(1, np.uint64)[0])

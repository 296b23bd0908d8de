"""TCP streams as fluid windows: slow start, the window limit, the loss response, the queue.

A bulk transfer is ``streams`` TCP connections (architecture section 3, second round). Each
stream's demand is its window over its round trip: ``min(cwnd, window) / RTT`` with RTT the
path's propagation there and back plus the standing queue of the saturated directions on it.
The controller (:mod:`netsim.sim.bulk`) shares capacity max-min fairly among the demands and
advances each stream's congestion window between its events with the rules here:

- **Slow start** (after a start, a path change or a stall): ``cwnd`` starts at 10 segments
  (Linux's initial window, RFC 6928) and doubles every round trip, held for one round trip at
  a time (the doubling rule). It ends when the stream is held below its demand by a
  bottleneck (the buffer overflows there: ``cwnd`` becomes what the share carries), or, on a
  path with random loss ``p``, after the ``1/p`` segments that on average precede the first
  loss (``cwnd`` then drops by the multiplicative decrease ``beta``).
- **Congestion avoidance under random loss** (loss-based ``cubic``): the expected window
  follows ``dW/dt = (a/RTT)(1 - (W/W*)^2)``: ``a`` segments of growth per round trip and
  ``(1 - beta) W`` lost at each of the ``p W`` losses per round trip (``a = 1.5 (1 - beta)``
  makes the Mathis et al. window ``sqrt(3/(2p))`` its fixed point). ``W*`` is the Padhye et
  al. window, Mathis's plus the retransmission timeouts (:func:`padhye_window`). It is solved
  in closed form (``tanh`` below ``W*``, ``coth`` above), so a long transfer converges on that
  rate over the *whole* path's RTT and loss (``1 - prod(1 - p_i)``), whichever hop loses.
  ``bbr`` does not back off on random loss: its rate is the window or the share.
- **A transfer ends with its slowest stream.** Streams that random loss governs move
  independently, so a transfer of ``n`` streams is shared out unevenly (the expected order
  statistics of the spread of one stream's time, :func:`completion_spread` and
  :func:`slowest_weights`): the last stream ends when the slowest of ``n`` would.
- Every stream's goodput costs the wire ``(MSS + 52 + overhead) / MSS / (1 - p)`` per byte on
  each hop: TCP/IP headers (52 B with timestamps), the link's own overhead (ESP on tunnels)
  per segment, and the retransmissions of lost segments. The MSS is the path's smallest
  ``mtu - overhead``, less 52 B.

The standing queue a saturated direction keeps (what packets queued behind bulk wait) depends
on the congestion control (:func:`standing_queue`): loss-based TCP fills the buffer and backs
off by ``beta`` after the overflow, so the queue swings between ``beta (BDP + B) - BDP`` and
``B``; BBR keeps about one bandwidth-delay product queued, a quarter BDP more or less over
its gain cycle (within the buffer); windows that cannot fill the buffer keep a constant
queue of ``sum(windows) - BDP``.

Examples
--------
>>> round(mathis_window(0.01), 2)   # segments
12.25
>>> round(path_loss([0.01, 0.0]), 4)
0.01
>>> [round(x, 4) for x in standing_queue(8e6, 100_000, 0.05, [6e6], loss_based=True)]
[0.055, 0.1]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.scenario import CongestionControl

if TYPE_CHECKING:
    from collections.abc import Iterable

    from netsim.model.topology import Link

HEADERS = 52.0  # IPv4 20 B + TCP 20 B + timestamps 12 B per segment
INITIAL_WINDOW = 10.0  # segments (RFC 6928, the Linux default)
BETA = 0.7  # multiplicative decrease of CUBIC (RFC 8312), also BBR's loss response bound
MATHIS_K = 1.5  # Mathis et al.: W* = sqrt(K / p) segments
RTO_MIN = 0.2  # Linux's minimum retransmission timeout (s)
INCREASE = MATHIS_K * (1 - BETA)  # segments per round trip in congestion avoidance
SETTLED = 0.002  # a window this close to its fixed point is put on it: no more events
EXACT = 1e-12  # a window this close to its fixed point stays there
STEP = 0.1  # re-evaluate a converging window when it has moved about 10 %


def path_mss(links: Iterable[Link]) -> float:
    """Segment payload on a path: the smallest ``mtu - overhead`` less TCP/IP headers."""
    return min(link.mtu - link.overhead for link in links) - HEADERS


def wire_factor(link: Link, mss: float, loss: float) -> float:
    """Bytes on ``link``'s wire per byte of goodput (headers, overhead, retransmissions)."""
    return (mss + HEADERS + link.overhead) / mss / max(1.0 - loss, 1e-9)


def path_loss(losses: Iterable[float]) -> float:
    """Probability that a segment is lost somewhere on a path of independent hops."""
    through = 1.0
    for p in losses:
        through *= 1.0 - p
    return 1.0 - through


def mathis_window(loss: float) -> float:
    """The Mathis et al. average window (segments) under random loss ``loss``."""
    return math.sqrt(MATHIS_K / loss) if loss > 0 else math.inf


def padhye_window(loss: float, rtt: float) -> float:
    """The Padhye et al. window (segments per round trip) under random loss ``loss``.

    Mathis's term plus the retransmission timeouts (``T0`` = RTT + the 200 ms minimum RTO of
    Linux, backing off): at 1 % loss over 42 ms it is 11.5 % below Mathis, as the kernel
    oracle measures (docs/design.md); at 0.1 % the difference is 1 %.

    >>> round(padhye_window(0.01, 0.042) / mathis_window(0.01), 3)
    0.885
    """
    if loss <= 0:
        return math.inf
    t0 = rtt + RTO_MIN
    mathis = rtt / mathis_window(loss)
    timeouts = t0 * timeout_share(loss) * loss * (1 + 32 * loss * loss)
    return rtt / (mathis + timeouts)


def timeout_share(loss: float) -> float:
    """Padhye et al.'s probability that a loss indication is a retransmission timeout (not
    three duplicate ACKs): ``min(1, 3 sqrt(3 p / 8))``, about 3 over the window."""
    return min(1.0, 3 * math.sqrt(3 * loss / 8))


def cycle_spread(segments: float, loss: float, rtt: float) -> float:
    """Coefficient of variation of the time one loss-limited stream takes for ``segments``
    in congestion avoidance.

    The renewal-reward variance over the ``N p`` loss cycles of time less the mean time
    per segment times segments, in three terms:

    - The window's sawtooth (Ott, Kemperman and Mathis): a cycle between losses carries
      ``Y ~ Geometric(p)`` segments; with ``a`` segments of growth per round trip the
      squared window ``U`` grows by ``2 a`` per segment and is multiplied by ``beta^2`` at
      each loss, an AR(1) process ``U_k = beta^2 U_{k-1} + 2 a Y_k``, and a cycle takes
      ``(RTT / a)(sqrt U_k - beta sqrt U_{k-1})``. Linearising the square root about the
      mean ``m = 2 a / (p (1 - beta^2))`` of ``U``, the AR(1)'s long-run variance gives
      ``N RTT^2 (1 - p)(1 - beta) / (2 a (1 + beta))`` (``N RTT^2 (1 - p) / 5.1`` for
      CUBIC's ``beta = 0.7``; to first order it does not depend on the loss rate).
    - The retransmission timeouts of Padhye's mean (:func:`padhye_window`): each loss
      indication is one with probability ``Q`` (:func:`timeout_share`) and adds ``T0 =
      RTT + 200 ms`` of silence, ``N p Q T0^2``.
    - Their covariance: the timeouts' mean cost is charged per segment, so a cycle with
      many segments (which the sawtooth makes fast) is also charged much silence:
      ``2 N Q T0 RTT (1 - p) / ((1 + beta) sqrt(m))``.

    The mean is ``N`` times Padhye's time per segment. A seeded simulation of the chain
    agrees (test_tcp).

    >>> round(cycle_spread(4144, 0.01, 0.0406), 3)   # 6 MB at 1 %: 1.55 s of 15.5 s
    0.1
    """
    if not 0 < loss < 1 or segments <= 0:  # nothing lost, or nothing gets through
        return 0.0
    return _cycle_sd(segments, loss, rtt) / (segments * rtt / padhye_window(loss, rtt))


def _cycle_sd(segments: float, loss: float, rtt: float) -> float:
    """The standard deviation (s) whose terms :func:`cycle_spread` derives."""
    q, t0 = timeout_share(loss), rtt + RTO_MIN
    sawtooth = rtt * rtt * (1 - loss) * (1 - BETA) / (2 * INCREASE * (1 + BETA))
    timeouts = loss * q * t0 * t0
    m = 2 * INCREASE / (loss * (1 - BETA * BETA))
    both = 2 * q * t0 * rtt * (1 - loss) / ((1 + BETA) * math.sqrt(m))
    return math.sqrt(segments * (sawtooth + timeouts + both))


@lru_cache(maxsize=1024)
def alone_time(segments: float, loss: float, rtt: float, first_loss: float = 0.0) -> float:
    """Seconds one stream takes for ``segments`` on a path nothing else binds, by the
    controller's own steps (:class:`Window`), its slow start ending at its first loss after
    ``first_loss`` segments (0: the mean, ``1/p``). Cached: :func:`completion_spread` and
    :func:`slow_start_spread` both divide by the mean stream's time."""
    w, cubic = Window(first_loss=first_loss), CongestionControl.CUBIC
    t, sent = 0.0, 0.0
    while True:
        rate = w.cwnd * 8 / rtt  # bit/s of one-bit segments: the model's rate, in segments
        step = w.next_event(rtt, rate, 1.0, loss, cubic)
        left = (segments - sent) * 8 / rate
        if step >= left:
            return t + left
        w.advance(step, rtt=rtt, room=0.0, rate=rate, held=False, mss=1.0, loss=loss, cc=cubic)
        t, sent = t + step, sent + rate * step / 8


SLOW_START_POINTS = 32  # quantiles of the first loss: the spread within 3 % of 1000


@lru_cache(maxsize=256)
def slow_start_spread(segments: float, loss: float, rtt: float) -> float:
    """Coefficient of variation of a stream's time for ``segments`` from where its slow
    start ends: at the first loss, after ``Y ~ Geometric(p)`` segments, where the model's
    mean stream ends it at ``1/p``. A late first loss leaves a large window that the
    sawtooth brings down only over several cycles, moving many segments fast; an early one
    starts congestion avoidance from a small window. The spread over ``Y`` of
    :func:`alone_time` (at the midpoints of ``SLOW_START_POINTS`` equal-probability
    slices of the geometric law), relative to the mean stream's time.

    >>> round(slow_start_spread(4144, 0.01, 0.04), 3)   # 6 MB at 1 %: 1.1 s of 13.6 s
    0.082
    """
    if not 0 < loss < 1 or segments <= 0:  # nothing lost, or nothing gets through
        return 0.0
    times = []
    for i in range(SLOW_START_POINTS):
        q = (i + 0.5) / SLOW_START_POINTS
        first = max(math.ceil(math.log1p(-q) / math.log1p(-loss)), 1)
        times.append(alone_time(segments, loss, rtt, float(first)))
    mean = sum(times) / len(times)
    var = sum((x - mean) ** 2 for x in times) / len(times)
    return math.sqrt(var) / alone_time(segments, loss, rtt)


def completion_spread(segments: float, loss: float, rtt: float) -> float:
    """Coefficient of variation of the time one loss-limited stream takes for ``segments``
    (relative to the model's mean time, :func:`alone_time`): the law of total variance
    over where slow start ends (:func:`slow_start_spread`, the spread of the mean time)
    and the loss cycles of the segments after it (:func:`cycle_spread` of ``N - 1/p``
    segments, the mean spread about it; none when slow start carries them all, where the
    renewal argument does not hold). Linux's 6 MB transfers at 1 % loss spread by 2.3 to
    2.9 s over 16 runs; this gives 1.9 s (``benchmarks/tcp_oracle.py --spread``,
    docs/design.md).

    >>> round(completion_spread(4144, 0.01, 0.04), 3)   # 1.9 s of 13.6 s
    0.138
    """
    if not 0 < loss < 1 or segments <= 0:
        return 0.0
    after = max(segments - 1 / loss, 0.0)  # segments sent in congestion avoidance
    cycles = _cycle_sd(after, loss, rtt) / alone_time(segments, loss, rtt)
    return math.hypot(cycles, slow_start_spread(segments, loss, rtt))


@lru_cache(maxsize=64)
def normal_order_means(n: int) -> tuple[float, ...]:
    """The expected ``j``-th smallest of ``n`` independent standard normals, ``j = 1..n``:
    ``n C(n-1, j-1) int x Phi^(j-1) (1 - Phi)^(n-j) phi dx`` by the trapezoidal rule on
    ``[-10, 10]`` in steps of 0.005 (exact to 1e-9 for these smooth, fast-decaying
    integrands).

    >>> [round(x, 4) for x in normal_order_means(4)]
    [-1.0294, -0.297, 0.297, 1.0294]
    """
    from scipy.special import ndtr  # only transfers of several lossy streams need it

    x = np.linspace(-10.0, 10.0, 4001)
    cdf = ndtr(x)
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    step = x[1] - x[0]
    out = []
    for j in range(1, n + 1):
        f = n * math.comb(n - 1, j - 1) * x * cdf ** (j - 1) * (1 - cdf) ** (n - j) * pdf
        out.append(float((f.sum() - (f[0] + f[-1]) / 2) * step))
    return tuple(out)


def slowest_weights(n: int, spread: float) -> list[float]:
    """Shares of a transfer's bytes that make ``n`` equal streams finish as independent
    ones do: stream ``j`` carries ``(1 + spread e_j) / n`` of it, ``e_j`` the expected
    ``j``-th smallest of ``n`` standard normals (:func:`normal_order_means`). The shares
    add up to one (the ``e_j`` are symmetric), and the last stream ends ``spread e_n``
    later than the mean one: a transfer finishes with its slowest stream,
    ``E[max of n] = mean + sigma e_n``.

    >>> [round(w, 4) for w in slowest_weights(4, 0.05)]
    [0.2371, 0.2463, 0.2537, 0.2629]
    """
    if n <= 1 or spread <= 0:
        return [1.0 / max(n, 1)] * max(n, 1)
    e = normal_order_means(n)
    spread = min(spread, 0.5 / max(e))  # every stream keeps at least half its share
    return [(1 + spread * x) / n for x in e]


def loss_limited(cc: CongestionControl, loss: float) -> bool:
    """Whether random loss governs the window (loss-based congestion control only)."""
    return loss > 0 and cc is CongestionControl.CUBIC


@dataclass(slots=True)
class Window:
    """One stream's congestion window (segments) and its phase."""

    cwnd: float = INITIAL_WINDOW
    slow_start: bool = True
    sent: float = 0.0  # segments sent in this slow start (ends at 1/p on a lossy path)
    first_loss: float = 0.0  # segments before slow start's loss (0: the mean, 1/p)

    def _slow_start_ends(self, loss: float) -> float:
        return self.first_loss or 1 / loss

    def restart(self) -> None:
        """Back to slow start (a new path, or the end of a stall: RTO then cwnd reset)."""
        self.cwnd, self.slow_start, self.sent = INITIAL_WINDOW, True, 0.0

    def reach(self, limit: float) -> None:
        """End slow start once the window reaches ``limit`` segments (the stream's largest
        window or its rate cap): beyond it the window no longer sets the rate."""
        if self.slow_start and self.cwnd >= limit:
            self.cwnd, self.slow_start = limit, False

    def demand(self, rtt: float, mss: float, loss: float, cc: CongestionControl) -> float:
        """The rate (bit/s of goodput) this window sends, or ``inf`` when it does not bind."""
        if self.slow_start or loss_limited(cc, loss):
            return self.cwnd * mss * 8 / rtt
        return math.inf

    def advance(
        self,
        dt: float,
        *,
        rtt: float,
        room: float,
        rate: float,
        held: bool,
        mss: float,
        loss: float,
        cc: CongestionControl,
    ) -> None:
        """The window after ``dt`` seconds at ``rate`` bit/s (``held``: below its demand).

        ``room`` is the standing queue (s) of the bottleneck holding it at its fullest:
        a held window is at most what the share keeps in flight over ``rtt + room``.
        """
        if dt <= 0:
            return
        segments = rate * dt / (8 * mss)
        if self.slow_start:
            self.sent += segments
            if held:  # the bottleneck's buffer overflowed: back off from what it held
                full = rate * (rtt + room) / (8 * mss)
                self.cwnd = max(full * (BETA if loss_limited(cc, loss) else 1.0), 1.0)
                self.slow_start = False
            elif loss > 0 and self.sent >= self._slow_start_ends(loss):
                self.cwnd *= 2 ** (dt / rtt)
                self.slow_start = False
                if loss_limited(cc, loss):
                    self.cwnd *= BETA
            else:
                self.cwnd *= 2 ** (dt / rtt)
            return
        if not loss_limited(cc, loss):
            return
        if held:
            self.cwnd = min(self.cwnd, max(rate * (rtt + room) / (8 * mss), 1.0))
        target = padhye_window(loss, rtt)
        self.cwnd = converge(self.cwnd, target, dt, rtt)
        if abs(self.cwnd / target - 1) <= SETTLED:
            self.cwnd = target

    def next_event(
        self, rtt: float, rate: float, mss: float, loss: float, cc: CongestionControl
    ) -> float:
        """Seconds until the window should be looked at again (``inf``: settled)."""
        if self.slow_start:
            if loss > 0 and rate > 0:
                left = self._slow_start_ends(loss) - self.sent
                return min(rtt, max(left * 8 * mss / rate, 1e-6))
            return rtt
        if not loss_limited(cc, loss):
            return math.inf
        target = padhye_window(loss, rtt)
        x = self.cwnd / target
        if abs(x - 1) <= SETTLED:
            return math.inf
        slope = INCREASE / rtt * abs(1 - x * x)  # segments per second
        return max(rtt, STEP * self.cwnd / slope)


def converge(w: float, target: float, dt: float, rtt: float) -> float:
    """Closed-form ``dW/dt = (a/RTT)(1 - (W/W*)^2)`` from ``w`` after ``dt`` seconds.

    >>> w = converge(60.0, 12.0, 100.0, 0.04)
    >>> round(w, 3)
    12.0
    >>> 12.0 < converge(60.0, 12.0, 0.5, 0.04) < 60.0
    True
    """
    if not math.isfinite(target) or target <= 0:
        return w
    x, k = w / target, INCREASE / (rtt * target) * dt
    if abs(x - 1) < EXACT:
        return w
    if x > 1:
        return target / math.tanh(k + math.atanh(1 / x))  # coth(k + acoth(x))
    return target * math.tanh(k + math.atanh(max(x, 1e-12)))


def standing_queue(
    capacity: float,
    buffer: float | None,
    rtt: float,
    windows: Iterable[float],
    *,
    loss_based: bool,
) -> tuple[float, float]:
    """Seconds of queue a saturated direction keeps: the range ``(low, high)`` it swings in.

    ``capacity`` in bit/s, ``buffer`` in bytes (None: unlimited), ``rtt`` the base round trip
    of the streams held there, ``windows`` their largest windows in bytes.
    """
    bdp = capacity * rtt / 8
    room = max(sum(windows) - bdp, 0.0)  # what the windows can put in the queue
    limit = math.inf if buffer is None else buffer
    if loss_based:
        high = min(limit, room)
        low = high if room <= limit else min(max(BETA * (bdp + limit) - bdp, 0.0), high)
    else:
        # about one BDP, moved a quarter BDP either way by ProbeBW's 1.25 / 0.75 gain cycle
        queue = min(limit, room, bdp)
        low = max(queue - bdp / 4, 0.0)
        high = min(queue + bdp / 4, limit, room)
    return low * 8 / capacity, high * 8 / capacity


__all__ = [
    "HEADERS",
    "INITIAL_WINDOW",
    "SLOW_START_POINTS",
    "Window",
    "alone_time",
    "completion_spread",
    "converge",
    "cycle_spread",
    "loss_limited",
    "mathis_window",
    "normal_order_means",
    "padhye_window",
    "path_loss",
    "path_mss",
    "slow_start_spread",
    "slowest_weights",
    "standing_queue",
    "timeout_share",
    "wire_factor",
]

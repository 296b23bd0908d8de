"""Link directions as FIFO queues with fluid cross-traffic (architecture section 4).

Each direction serializes packets at ``capacity``, and no faster than ``max_pps``. Its
unfinished work ``V`` (seconds at full rate) follows the fluid-FIFO Lindley recursion:
between arrivals it drains at ``1 - m/C`` where ``m`` is the bulk (fluid) rate on the
direction, so bulk traffic occupies the capacity it uses; an arrival waits ``V`` and adds
its own service time. When an elastic bulk flow is held below its demand on the direction
(saturated), the packet also waits behind the standing queue that flow's TCP keeps there,
drawn uniformly from the range :func:`netsim.sim.tcp.standing_queue` gives (the sawtooth's
phase; a point for BBR or for windows that cannot fill the buffer). A packet that would
overflow ``buffer`` is dropped. Then one-way ``delay`` is sampled per packet, except on
links that keep a flow's order (:mod:`netsim.sim.wander`), where it follows the flow's path.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.streams import stream
from netsim.sim.segments import BURST
from netsim.sim.wander import Wander

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.topology import Link
    from netsim.sim.control import BulkLoad, StepFunction

BLOCK = 4096


class BlockSampler:
    """Draws from a Dist on one stream, taken ``BLOCK`` at a time (cheap per packet)."""

    __slots__ = ("block", "dist", "pos", "rng")

    def __init__(self, dist: Dist, rng: np.random.Generator) -> None:
        self.dist, self.rng, self.block, self.pos = dist, rng, np.empty(0), 0

    def __call__(self) -> float:
        if self.pos >= len(self.block):
            self.block = self.dist.sample(self.rng, BLOCK)
            self.pos = 0
        self.pos += 1
        return float(self.block[self.pos - 1])


class Direction:
    """One direction of a link: FIFO state, delay samples and byte counters."""

    __slots__ = (
        "_inv_bin",
        "bins",
        "buffer",
        "bulk",
        "burst",
        "bytes",
        "cap",
        "delay",
        "index",
        "link",
        "min_gap",
        "overhead",
        "t_last",
        "v_last",
        "wander",
    )

    def __init__(
        self,
        link: Link,
        index: int,
        bulk: StepFunction[BulkLoad],
        seed: int,
        *,
        n_bins: int = 1,
        bin_s: float = 1.0,
    ) -> None:
        self.link = link
        self.index = index
        self.cap = link.capacity
        self.buffer = link.buffer
        self.overhead = link.overhead
        # max_pps: a packet holds the direction for at least 1/max_pps (with capacity)
        self.min_gap = 0.0 if link.max_pps is None else 1.0 / link.max_pps
        # the most of one message the buffer holds at once (bytes): BURST full packets
        self.burst = BURST * max(link.mtu, self.min_gap * self.cap / 8)
        self.bulk = bulk
        self.v_last = 0.0
        self.t_last = 0.0
        self.bytes = 0.0
        self.bins = np.zeros(n_bins)
        self._inv_bin = 1.0 / bin_s
        # one-way delay, sampled per packet: ``direction.delay()``; or, on links that keep
        # a flow's order, a function of the flow and the departure time (netsim.sim.wander)
        self.delay = BlockSampler(link.delay, stream(seed, "delay:" + link.name, index))
        self.wander = Wander.of_link(link, seed, index >> 1)

    def backlog(self, t: float) -> float:
        """Unfinished work (seconds) at ``t``, draining at ``1 - m/C`` piecewise."""
        v = self.v_last
        t0 = self.t_last
        if v <= 0.0 or t <= t0:
            return max(v, 0.0)
        times = self.bulk.times
        i = bisect.bisect_right(times, t0) - 1
        while v > 0.0 and t0 < t:
            t1 = times[i + 1] if i + 1 < len(times) and times[i + 1] < t else t
            load = self.bulk.values[i]
            # Saturating elastic flows back off for packets; their effect is the standing
            # queue of admit(), so only unsaturated fluid slows the drain.
            v -= (t1 - t0) * (1.0 if load.saturated else 1.0 - load.rate / self.cap)
            t0 = t1
            i += 1
        return max(v, 0.0)

    def admit(
        self, t: float, size: float, u: float, count: float = 1.0, headers: float = 0.0
    ) -> float | None:
        """Queue a packet of ``size`` bytes arriving at ``t``; its departure time or None.

        ``u`` is a uniform draw used for the standing-queue phase when saturated. A message
        of ``count`` TCP segments (``headers`` bytes each) is one train
        (:mod:`netsim.sim.segments`): it holds at most ``BURST`` packets of the buffer.
        """
        wire = size + count * (headers + self.overhead)
        v = self.backlog(t)
        saturated = self.bulk.at(t)
        standing = 0.0
        if saturated.saturated:
            standing = saturated.queue_low + u * (saturated.queue_high - saturated.queue_low)
        # a packet held back by max_pps occupies the buffer for its 1/max_pps, as the work
        # (seconds) the fast engine's queues count; a train at most its first window
        held = min(max(wire, count * self.min_gap * self.cap / 8), self.burst)
        if self.buffer is not None and (v + standing) * self.cap / 8 + held > self.buffer:
            return None
        service = max(wire * 8 / self.cap, count * self.min_gap)
        self.v_last = v + service
        self.t_last = t
        self.bytes += wire
        k = int(t * self._inv_bin)
        if k < len(self.bins):
            self.bins[k] += wire
        return t + standing + v + service


def bulk_bins(step: StepFunction[BulkLoad], n_bins: int, bin_s: float) -> np.ndarray:
    """Bytes per bin carried by the bulk rate step function (bit/s) of a direction."""
    edges = np.arange(n_bins + 1) * bin_s
    times = np.asarray([*step.times, edges[-1]])
    rates = np.asarray([v.rate for v in step.values]) / 8
    cum = np.concatenate([[0.0], np.cumsum(rates * np.diff(np.minimum(times, edges[-1])))])
    at_edges = np.interp(edges, np.minimum(times, edges[-1]), cum)
    return np.diff(at_edges)

"""Bulk transfers as TCP streams over fluid links, re-shared whenever anything changes (simpy).

Each transfer is ``streams`` TCP connections; each stream has a demand from its window, its
congestion window (slow start, the loss response: :mod:`netsim.sim.tcp`) and its share of the
transfer's ``max_rate``; active streams share link capacity max-min fairly
(:func:`netsim.sim.fluid.max_min_fair`) after the mean load of packet traffic on each
direction is set aside, each paying headers, per-segment overhead and retransmissions on the
wire. A stream whose path crosses a broken link (blackhole or down, before the control plane
reroutes it) makes no progress and restarts in slow start afterwards, as does a stream whose
path changes. A saturated direction records the standing queue its TCP keeps
(:func:`netsim.sim.tcp.standing_queue`), which packets queued there wait behind. Each stream is
one flow for multipath hashing (:mod:`netsim.sim.ecmp`); the packet load set aside is split over
a multipath route's paths by their shares. Continuous ``volume`` streams are paced, not TCP.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netsim.model.routing import Routes, directed_hops
from netsim.model.scenario import CongestionControl, Scenario, TrafficKind
from netsim.sim.control import BulkLoad, ControlPlane, StepFunction
from netsim.sim.ecmp import bulk_hash
from netsim.sim.fluid import Allocation, LinkDirection, max_min_fair
from netsim.sim.tcp import (
    HEADERS,
    Window,
    completion_spread,
    loss_limited,
    path_loss,
    path_mss,
    slowest_weights,
    standing_queue,
    wire_factor,
)
from netsim.trace.core import TraceEvent
from netsim.trace.records import TransferRecord

if TYPE_CHECKING:
    import simpy

    from netsim.sim.arrivals import BulkFlow
    from netsim.sim.episodes import Episode

# A transfer is done when what is left is float residue of the rate arithmetic: under a
# millionth of a byte, or under a nanosecond of sending at its rate.
DONE_BYTES = 1e-6
DONE_S = 1e-9
STREAM_SALT = 1_000_003  # stream j > 0 of bulk flow i hashes as i + j * STREAM_SALT


@dataclass
class _Stream:
    """One TCP connection of a transfer, with what the last allocation gave it."""

    remaining: float  # bytes
    window: Window = field(default_factory=Window)
    rate: float = 0.0  # bit/s of goodput
    held: bool = False  # below its demand (a bottleneck binds)
    hops: list[LinkDirection] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)  # wire bit/s per goodput bit/s, per hop
    base_rtt: float = 0.0
    rtt: float = 0.0  # with the standing queues on the path that others keep
    room: float = 0.0  # the fullest standing queue of the bottlenecks holding it (s)
    mss: float = 1448.0
    loss: float = 0.0
    delivered: float = 0.0


@dataclass
class _Active:
    flow: BulkFlow
    index: int
    streams: list[_Stream]
    spread: bool = False  # its bytes were shared out as independent lossy streams end

    @property
    def delivered(self) -> float:
        return sum(s.delivered for s in self.streams)

    @property
    def remaining(self) -> float:
        return sum(s.remaining for s in self.streams)


class BulkController:
    """Runs the bulk transfers of a scenario on the control plane's environment."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        flows: list[BulkFlow],
        control: ControlPlane,
        episodes: dict[str, StepFunction[Episode]] | None = None,
    ) -> None:
        self.env = env
        # congestion episodes of internet paths (netsim.sim.episodes): loss, longer RTT
        self.episodes = episodes or {}
        self._episode_times = sorted({t for e in self.episodes.values() for t in e.times[1:]})
        self.scenario = scenario
        self.topo = scenario.topology
        self.flows = flows
        self.control = control
        self.bulk: dict[LinkDirection, StepFunction[BulkLoad]] = {
            (link.name, d): StepFunction(values=[BulkLoad()])
            for link in self.topo.links
            for d in (0, 1)
        }
        self.bulk_bytes = {link.name: 0.0 for link in self.topo.links}
        self.transfers: list[TransferRecord] = []
        self.events: list[TraceEvent] = []
        self._wake: simpy.Event = env.event()
        self._pkt_cache: dict[int, dict[LinkDirection, float]] = {}
        # mean and fullest standing queue (s) per saturated direction, last allocation
        self._queues: dict[LinkDirection, tuple[float, float]] = {}
        self._active: list[_Active] = []
        self._last = 0.0
        control.listeners.append(self._poke)

    def _poke(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def _packet_load(self, routes: Routes) -> dict[LinkDirection, float]:
        """Mean bit/s of packet traffic per direction under ``routes``."""
        key = id(routes)
        if key in self._pkt_cache:
            return self._pkt_cache[key]
        load: dict[LinkDirection, float] = {}
        for cls in self.scenario.traffic:
            if cls.kind is TrafficKind.BULK:
                continue
            rate = cls.rate / len(cls.dsts)
            legs = (
                [(cls.src, "request_size"), ("dst", "response_size")]
                if cls.kind is TrafficKind.REQUEST_RESPONSE
                else [(cls.src, "size")]
            )
            for dst in cls.dsts:
                for src, attr in legs:
                    a, b = (cls.src, dst) if src == cls.src else (dst, cls.src)
                    route = routes.get((a, b))
                    if route is None:
                        continue
                    size = getattr(cls, attr).mean()
                    tcp = cls.kind is TrafficKind.REQUEST_RESPONSE  # segments (sim.segments)
                    for path, share in zip(route.paths, route.shares, strict=True):
                        hops = directed_hops(self.topo, a, path)
                        links = [self.topo.link(name) for name, _ in hops]
                        count = math.ceil(size / path_mss(links)) if tcp else 1
                        for (name, d), link in zip(hops, links, strict=True):
                            wire = size + count * ((HEADERS if tcp else 0.0) + link.overhead)
                            bits = wire * 8 * rate * share
                            load[(name, d)] = load.get((name, d), 0.0) + bits
        self._pkt_cache[key] = load
        return load

    def _route(self, a: _Active, j: int, s: _Stream, routes: Routes) -> bool:
        """Set stream ``j``'s path facts under ``routes``; False when it cannot progress."""
        route = routes.get((a.flow.src, a.flow.dst))
        if route is None:
            s.window.restart()
            return False
        # each stream is one flow: hashed onto one path of a multipath route
        key = a.index + j * STREAM_SALT
        path = route.pick(bulk_hash(self.control.seed, key)) if route.multipath else route.primary
        hops = directed_hops(self.topo, a.flow.src, path)
        links = [self.topo.link(name) for name, _ in hops]
        states = [self.control.link_mode(name) for name, _ in hops]
        if any(st.mode.broken for st in states):
            s.window.restart()  # its segments vanish: RTO, then slow start again
            return False
        if hops != s.hops:
            s.window.restart()
        s.hops = hops
        now = self.env.now
        eps = [self.episodes[name].at(now) for name, _ in hops if name in self.episodes]
        s.loss = path_loss([*(st.loss for st in states), *(e.loss for e in eps)])
        s.mss = path_mss(links)
        one_way = sum(link.delay.mean() for link in links) + sum(e.delay for e in eps)
        s.base_rtt = max(2 * one_way, 1e-6)
        # a held stream's rate is its share (its own queue there is its own doing); one
        # that is not held waits behind the standing queues others keep on its path
        queued = 0.0 if s.held else sum(self._queues.get(d, (0.0, 0.0))[0] for d in hops)
        s.rtt = s.base_rtt + queued
        elastic = a.flow.elastic
        s.cost = [wire_factor(link, s.mss, s.loss) if elastic else 1.0 for link in links]
        return True

    def _demand(self, a: _Active, s: _Stream) -> float:
        flow = a.flow
        if not flow.elastic:
            return flow.demand
        share = flow.demand / len(a.streams)
        by_window = flow.window * 8 / s.base_rtt
        # slow start's window is the stream's own queue: judged over the base round trip
        rtt = s.base_rtt if s.window.slow_start else s.rtt
        return min(share, by_window, s.window.demand(rtt, s.mss, s.loss, flow.cc))

    def _allocate(self, active: list[_Active]) -> None:
        routes = self.control.current_routes()
        pkt = self._packet_load(routes)
        demands: dict[str, float] = {}
        paths: dict[str, list[LinkDirection]] = {}
        cost: dict[str, list[float]] = {}
        members: dict[str, tuple[_Active, _Stream]] = {}
        for a in active:
            for j, s in enumerate(a.streams):
                if s.remaining <= DONE_BYTES:
                    continue
                key = f"{a.index}.{j}"
                members[key] = (a, s)
                demands[key] = self._demand(a, s) if self._route(a, j, s, routes) else 0.0
                paths[key], cost[key] = (s.hops, s.cost) if demands[key] > 0 else ([], [])
        for a in active:
            self._spread(a)
        capacity = {d: self._capacity(d) - pkt.get(d, 0.0) for d in self.bulk}
        alloc = max_min_fair(demands, paths, capacity, cost)
        for key, (_, s) in members.items():
            s.rate = alloc.rates.get(key, 0.0)
            s.held = s.rate < demands[key] * (1 - 1e-9)
        for a in active:
            for s in a.streams:
                if s.remaining <= DONE_BYTES:
                    s.rate, s.held = 0.0, False
        self._standing(members, paths, alloc)

    @staticmethod
    def _spread(a: _Active) -> None:
        """Share a lossy transfer's bytes out so that its streams end as independent ones
        do, the slowest last (:func:`~netsim.sim.tcp.slowest_weights`): once, when its
        streams have a path and random loss first governs them, whether from the start or
        from a loss that begins mid-transfer (then the bytes still to move are shared out:
        each stream's time from there on is as spread as a transfer of its part would be).
        Streams that a bottleneck holds instead carry a slower one's extra bytes in the
        capacity the others leave."""
        streams, flow = a.streams, a.flow
        if len(streams) == 1 or a.spread or not math.isfinite(flow.size):
            return
        s0 = streams[0]
        if not all(s.hops for s in streams) or not loss_limited(flow.cc, s0.loss):
            return  # not (yet) under way with loss: judged again at the next allocation
        a.spread = True
        left = a.remaining
        if left <= DONE_BYTES * len(streams):
            return
        spread = completion_spread(left / len(streams) / s0.mss, s0.loss, s0.base_rtt)
        weights = slowest_weights(len(streams), spread)
        # the stream with the most still to move gets the largest share (equal parts: the
        # order they were opened in); the total stays what it was
        by_left = sorted(range(len(streams)), key=lambda j: streams[j].remaining)
        for j, w in zip(by_left, weights, strict=True):
            streams[j].remaining = left * w

    def _standing(
        self,
        members: dict[str, tuple[_Active, _Stream]],
        paths: dict[str, list[LinkDirection]],
        alloc: Allocation,
    ) -> None:
        """Record each direction's bulk load and, where saturated, its standing queue."""
        held: dict[LinkDirection, list[tuple[_Active, _Stream]]] = {}
        for key, (a, s) in members.items():
            for d in paths.get(key, ()):
                if a.flow.elastic and d in alloc.saturated:
                    held.setdefault(d, []).append((a, s))
        self._queues = {}
        for d, step in self.bulk.items():
            users = held.get(d, [])
            if not any(s.held for _, s in users):
                step.set(self.env.now, BulkLoad(alloc.load.get(d, 0.0)))
                continue
            low, high = standing_queue(
                self.topo.link(d[0]).capacity,
                self.topo.link(d[0]).buffer,
                min(s.base_rtt for _, s in users),
                [a.flow.window for a, _ in users],
                loss_based=any(a.flow.cc is CongestionControl.CUBIC for a, _ in users),
            )
            self._queues[d] = ((low + high) / 2, high)
            step.set(self.env.now, BulkLoad(alloc.load.get(d, 0.0), True, low, high))
        for _, s in members.values():
            s.room = sum(self._queues.get(d, (0.0, 0.0))[1] for d in s.hops) if s.held else 0.0

    def _capacity(self, d: LinkDirection) -> float:
        """Bit/s a direction carries for bulk: ``capacity``, or ``max_pps`` full segments."""
        link = self.topo.link(d[0])
        if link.max_pps is None:
            return link.capacity
        return min(link.capacity, link.max_pps * link.mtu * 8)

    def run(self) -> Any:
        pending = list(enumerate(self.flows))
        active = self._active
        while pending or active:
            now = self.env.now
            self._advance(now)
            for a in [a for a in active if self._done_at(a, now) or now >= a.flow.stop]:
                active.remove(a)
                self._finish(a, now)
            while pending and pending[0][1].start <= now:
                i, flow = pending.pop(0)
                n = flow.streams if flow.elastic else 1
                active.append(_Active(flow, i, [_Stream(flow.size / n) for _ in range(n)]))
                self.events.append(
                    TraceEvent(
                        now, "transfer_start", flow.cls, {"dst": flow.dst, "bytes": flow.size}
                    )
                )
            self._allocate(active)
            horizon = [pending[0][1].start] if pending else []
            if active and self._episode_times:  # the next episode change re-shares
                k = bisect.bisect_right(self._episode_times, now)
                horizon += self._episode_times[k : k + 1]
            for a in active:
                horizon.append(a.flow.stop)
                for s in a.streams:
                    if s.rate > 0 and math.isfinite(s.remaining):
                        horizon.append(now + s.remaining * 8 / s.rate)
                    if a.flow.elastic and s.hops and s.remaining > DONE_BYTES:
                        rtt = s.base_rtt if s.window.slow_start else s.rtt
                        wait = s.window.next_event(rtt, s.rate, s.mss, s.loss, a.flow.cc)
                        horizon.append(now + wait)
            if not horizon:
                return
            self._wake = self.env.event()
            yield self.env.any_of([self.env.timeout(max(min(horizon) - now, 0.0)), self._wake])

    @staticmethod
    def _stream_done(s: _Stream, now: float) -> bool:
        """Finished, or so nearly that its finish time would round to (or not after) now."""
        if s.remaining <= DONE_BYTES:
            return True
        left = s.remaining * 8 / s.rate if s.rate > 0 else math.inf
        return left < DONE_S or now + left <= now

    def _done_at(self, a: _Active, now: float) -> bool:
        return all(self._stream_done(s, now) for s in a.streams)

    def _advance(self, now: float) -> None:
        dt = now - self._last
        for a in self._active:
            for s in a.streams:
                moved = min(s.rate * dt / 8, s.remaining)
                s.remaining -= moved
                s.delivered += moved
                if self._stream_done(s, now):
                    s.delivered += s.remaining
                    s.remaining = 0.0
                for (name, _), c in zip(s.hops, s.cost, strict=False):
                    self.bulk_bytes[name] += moved * c
                if a.flow.elastic and s.hops:
                    cap = min(a.flow.window * 8 / s.base_rtt, a.flow.demand / len(a.streams))
                    rtt = s.base_rtt if s.window.slow_start else s.rtt
                    s.window.advance(
                        dt,
                        rtt=rtt,
                        room=s.room,
                        rate=s.rate,
                        held=s.held,
                        mss=s.mss,
                        loss=s.loss,
                        cc=a.flow.cc,
                    )
                    s.window.reach(cap * s.base_rtt / (8 * s.mss))
        self._last = now

    def finalize(self, now: float) -> None:
        """Account for the last interval and record the transfers still running at ``now``."""
        self._advance(now)
        for a in self._active:
            self._finish(a, now)
        self._active.clear()

    def _finish(self, a: _Active, now: float) -> None:
        done = self._done_at(a, now)
        self.transfers.append(
            TransferRecord(
                a.flow.cls,
                a.flow.src,
                a.flow.dst,
                a.flow.start,
                a.flow.size if math.isfinite(a.flow.size) else a.delivered,
                a.delivered,
                now if done else None,
                now - a.flow.start if done else None,
            )
        )
        if done:
            self.events.append(
                TraceEvent(
                    now, "transfer_finish", a.flow.cls, {"dst": a.flow.dst, "bytes": a.delivered}
                )
            )

"""Bulk transfers as fluid flows, re-shared whenever anything changes (simpy process).

Active flows share link capacity max-min fairly (:func:`netsim.sim.fluid.max_min_fair`)
after the mean load of packet traffic on each direction is set aside. A flow whose path
crosses a broken link (blackhole or down, before the control plane reroutes it) makes no
progress, as a TCP connection whose packets vanish; an elastic flow over a lossy link is
held to the Mathis et al. TCP rate ``MSS/RTT * sqrt(3/(2p))``. Each flow is one flow for
multipath hashing (:mod:`netsim.sim.ecmp`); the packet load set aside is split over a
multipath route's paths by their shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netsim.model.routing import Routes, directed_hops
from netsim.model.scenario import Scenario, TrafficKind
from netsim.sim.control import BulkLoad, ControlPlane, StepFunction
from netsim.sim.ecmp import bulk_hash
from netsim.sim.fluid import LinkDirection, max_min_fair
from netsim.trace.core import TraceEvent
from netsim.trace.records import TransferRecord

if TYPE_CHECKING:
    import simpy

    from netsim.sim.arrivals import BulkFlow

MSS_BITS = 1448 * 8
# A transfer is done when what is left is float residue of the rate arithmetic: under a
# millionth of a byte, or under a nanosecond of sending at its rate.
DONE_BYTES = 1e-6
DONE_S = 1e-9


@dataclass
class _Active:
    flow: BulkFlow
    index: int
    remaining: float  # bytes
    rate: float = 0.0  # bit/s
    delivered: float = 0.0


class BulkController:
    """Runs the fluid flows of a scenario on the control plane's environment."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        flows: list[BulkFlow],
        control: ControlPlane,
    ) -> None:
        self.env = env
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
        self._paths: dict[str, list[LinkDirection]] = {}
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
                    for path, share in zip(route.paths, route.shares, strict=True):
                        for name, d in directed_hops(self.topo, a, path):
                            bits = (size + self.topo.link(name).overhead) * 8 * rate * share
                            load[(name, d)] = load.get((name, d), 0.0) + bits
        self._pkt_cache[key] = load
        return load

    def _allocate(self, active: list[_Active]) -> None:
        routes = self.control.current_routes()
        pkt = self._packet_load(routes)
        demands: dict[str, float] = {}
        paths: dict[str, list[LinkDirection]] = {}
        for a in active:
            key = str(a.index)
            route = routes.get((a.flow.src, a.flow.dst))
            if route is None:
                demands[key] = 0.0
                continue
            # a bulk stream is one flow: hashed onto one path of a multipath route
            path = (
                route.pick(bulk_hash(self.control.seed, a.index))
                if route.multipath
                else route.primary
            )
            hops = directed_hops(self.topo, a.flow.src, path)
            demand = a.flow.demand
            rtt = 0.0
            stalled = False
            for name, _ in hops:
                state = self.control.link_mode(name)
                stalled |= state.mode.broken
                rtt += 2 * self.topo.link(name).delay.mean()
                if state.loss > 0 and a.flow.elastic:
                    demand = min(demand, MSS_BITS / max(rtt, 1e-3) * math.sqrt(1.5 / state.loss))
            demands[key] = 0.0 if stalled else demand
            paths[key] = hops
        capacity = {d: self.topo.link(d[0]).capacity - pkt.get(d, 0.0) for d in self.bulk}
        alloc = max_min_fair(demands, paths, capacity)
        for a in active:
            a.rate = alloc.rates.get(str(a.index), 0.0)
        saturated = {
            d
            for d in alloc.saturated
            if any(
                a.flow.elastic
                and a.rate < demands[str(a.index)] * (1 - 1e-9)
                and d in paths.get(str(a.index), ())
                for a in active
            )
        }
        for d, step in self.bulk.items():
            step.set(self.env.now, BulkLoad(alloc.load.get(d, 0.0), d in saturated))
        self._paths = paths

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
                active.append(_Active(flow, i, flow.size))
                self.events.append(
                    TraceEvent(
                        now, "transfer_start", flow.cls, {"dst": flow.dst, "bytes": flow.size}
                    )
                )
            self._allocate(active)
            horizon = [pending[0][1].start] if pending else []
            for a in active:
                horizon.append(a.flow.stop)
                if a.rate > 0 and math.isfinite(a.remaining):
                    horizon.append(now + a.remaining * 8 / a.rate)
            if not horizon:
                return
            self._wake = self.env.event()
            yield self.env.any_of([self.env.timeout(max(min(horizon) - now, 0.0)), self._wake])

    @staticmethod
    def _done(a: _Active) -> bool:
        """Finished, or so nearly that its finish time would round to now."""
        return a.remaining <= DONE_BYTES or (a.rate > 0 and a.remaining * 8 / a.rate < DONE_S)

    def _done_at(self, a: _Active, now: float) -> bool:
        """Also done when its finish time is not representable after ``now`` (long runs)."""
        return self._done(a) or (a.rate > 0 and now + a.remaining * 8 / a.rate <= now)

    def _advance(self, now: float) -> None:
        dt = now - self._last
        for a in self._active:
            moved = min(a.rate * dt / 8, a.remaining)
            a.remaining -= moved
            a.delivered += moved
            for name, _ in self._paths.get(str(a.index), ()):
                self.bulk_bytes[name] += moved
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

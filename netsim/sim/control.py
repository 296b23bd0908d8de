"""The control plane as simpy processes: failures, detection, convergence, restoration.

Failures (scripted and random) impair links; a node failure impairs all its links, a group
failure all its members, and a VPN whose underlay link is impaired is blackholed. Each
link's data-plane state is the worst active impairment. The control plane then follows
architecture section 4, with the draws of :mod:`netsim.sim.sessions`: carrier loss is
detected at once; a blackhole by BFD, the BGP hold timer or DPD, whichever is first;
``loss:p`` when a run of lost control packets takes the session down (it then retries,
and may go down again while the loss lasts). ``convergence`` after detection the routes
move; after repair a detected link is used again only once its session re-establishes
(``bgp.reestablish``), make-before-break.

Routing is path-vector: a source hears of a failure only when the withdrawal reaches it
over links that forward, and every router that passes the news on (withdrawal or, after a
re-establishment, announcement) waits its ``mrai`` first; each move of a pair's route is
named after the link whose news moved it.

The output is a :class:`ControlTimeline`: step functions of time for every link's
data-plane state (:class:`LinkState`), the route table and the bulk (fluid) load per link
direction (:class:`BulkLoad`), plus trace events. Packets never influence the control
plane, so the data plane is computed from this finished timeline afterwards, by the exact
or the fast engine (:class:`netsim.sim.dataplane.DataPlane`).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from netsim.model.effects import DetectionMethod, LinkMode
from netsim.model.routing import Routes, RouteTable
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.model.streams import stream
from netsim.sim.propagation import RoutePropagation
from netsim.sim.sessions import detection_delay
from netsim.trace.core import R_BLACKHOLE, R_DOWN, R_NODE, TraceEvent
from netsim.trace.records import FailoverRecord

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from netsim.model.topology import Link, Topology
    from netsim.sim.fluid import LinkDirection
    from netsim.trace.records import TransferRecord

V = TypeVar("V")


# A congested path's queue drains while the bottleneck still receives traffic: its added
# delay falls at half a second per second (ASSUMPTION: drained at twice the arrival rate),
# slower than time passes, so no packet lands before one sent earlier.
DRAIN_RATE = 0.5


@dataclass(frozen=True, slots=True)
class LinkState:
    """A link's data-plane state: its mode, the drop probability of ``loss:p`` and the loss
    reason recorded for packets a broken link drops (``netsim.trace.core.R_*``)."""

    mode: LinkMode
    loss: float = 0.0
    reason: int = 0
    delay: float = 0.0  # one-way seconds added (congestion episodes, netsim.sim.episodes)
    # after the added delay fell: the old queue drains, the added delay falls at DRAIN_RATE
    # seconds per second until ``land_by`` (a flow's later packets do not overtake)
    land_by: float = 0.0

    def added_delay(self, t: float) -> float:
        """The one-way seconds added to a packet that meets this state at ``t``."""
        return max(self.delay, DRAIN_RATE * (self.land_by - t))


@dataclass(frozen=True, slots=True)
class BulkLoad:
    """The fluid bulk traffic on one link direction: its rate (bit/s on the wire) and whether
    an elastic flow is held below its demand there (then TCP keeps a standing queue)."""

    rate: float = 0.0
    saturated: bool = False
    # the standing queue (seconds) a saturated direction swings in (netsim.sim.tcp)
    queue_low: float = 0.0
    queue_high: float = 0.0


@dataclass(frozen=True, slots=True)
class Impairment:
    failure: int  # index of the failure instance
    mode: LinkMode
    loss: float
    reason: int  # loss reason recorded for packets it drops


@dataclass(kw_only=True)
class StepFunction(Generic[V]):
    """Values that change at given times; ``at(t)`` is the value in force at ``t``."""

    times: list[float] = field(default_factory=lambda: [0.0])
    values: list[V]

    def set(self, t: float, value: V) -> None:
        if self.times[-1] == t:
            self.values[-1] = value
        else:
            self.times.append(t)
            self.values.append(value)

    def at(self, t: float) -> V:
        return self.values[bisect.bisect_right(self.times, t) - 1]


@dataclass
class ControlTimeline:
    """What the control plane decided, as functions of time: the data planes' only input
    besides the scenario and the seed. ``until`` is how far the control plane was run
    (the end of the run plus the landing time of packets still in flight)."""

    link_state: dict[str, StepFunction[LinkState]]
    routes: StepFunction[Routes]
    bulk: dict[LinkDirection, StepFunction[BulkLoad]]
    events: list[TraceEvent]
    failovers: list[FailoverRecord]
    transfers: list[TransferRecord]
    bulk_bytes: dict[str, float]  # per link, bytes carried by bulk flows
    until: float


@dataclass
class _LinkCtl:
    link: Link
    impairments: list[Impairment] = field(default_factory=list)
    state: LinkState = field(default_factory=lambda: LinkState(LinkMode.UP))
    known_down: bool = False  # its routing session is down (detected, not re-established)
    token: int = 0  # bumped to cancel a pending detection or re-establishment
    detect_at: float = math.inf


class ControlPlane(RoutePropagation):
    """Runs failures and the control plane on a simpy environment; see the module doc."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        failures: list[Failure],
        seed: int,
        pairs: tuple[tuple[str, str], ...],
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.topo: Topology = scenario.topology
        self.failures = failures
        self.seed = seed
        self.ctl = {link.name: _LinkCtl(link) for link in self.topo.links}
        self.nodes = {node.name: node for node in self.topo.nodes}
        self.table = RouteTable(self.topo, pairs)
        self.routing_down: set[str] = set()
        self.events: list[TraceEvent] = []
        self.link_state = {name: StepFunction(values=[LinkState(LinkMode.UP)]) for name in self.ctl}
        self.routes = StepFunction(values=[self.table.routes(frozenset())])
        # One record per failure, indexed by failure number. The records are frozen and
        # replaced (dataclasses.replace) at each of the few moments a failure's story
        # advances: every record anyone holds is then a consistent snapshot, and the
        # timeline hands out the same type it builds, with no freezing step to forget.
        self.failovers: list[FailoverRecord] = []
        self.listeners: list[Any] = []  # called after every route or state change
        self.underlay = self.topo.underlay_links
        self._by_underlay: set[int] = set()  # records detected so far only by underlay links
        # (failure, link): True from the link's first switch until its session is back
        self._cycles: dict[tuple[int, str], bool] = {}
        self._underlay_users: dict[str, list[str]] = {}
        for link in self.topo.links:
            for u in link.underlay:
                self._underlay_users.setdefault(u, []).append(link.name)

    # ---- failures -------------------------------------------------------------------
    def start(self) -> None:
        for index, failure in enumerate(self.failures):
            self.env.process(self._failure(index, failure))

    def _targets(self, failure: Failure) -> list[tuple[str, int]]:
        """(link, reason) pairs a failure impairs directly."""
        if failure.target is TargetKind.LINK:
            reason = R_DOWN if failure.mode is FailureMode.DOWN else R_BLACKHOLE
            return [(failure.name, reason)]
        if failure.target is TargetKind.NODE:
            return [(link.name, R_NODE) for link in self.topo.links_of(failure.name)]
        group = self.topo.group(failure.name)
        reason = R_DOWN if failure.mode is FailureMode.DOWN else R_BLACKHOLE
        out = [(name, reason) for name in group.links]
        for node in group.nodes:
            out += [(link.name, R_NODE) for link in self.topo.links_of(node)]
        return out

    def _failure(self, index: int, failure: Failure) -> Any:
        yield self.env.timeout(failure.at)
        mode = LinkMode.of(failure.mode)
        direct = self._targets(failure)
        touched: list[tuple[str, Impairment]] = []
        for name, reason in direct:
            touched.append((name, Impairment(index, mode, failure.loss, reason)))
            for vpn in self._underlay_users.get(name, ()):
                # The tunnel keeps its interface up: to the routers it is a blackhole.
                under_mode = LinkMode.LOSS if mode is LinkMode.LOSS else LinkMode.BLACKHOLE
                touched.append((vpn, Impairment(index, under_mode, failure.loss, R_BLACKHOLE)))
        self.events.append(
            TraceEvent(
                self.env.now,
                "failure",
                failure.name,
                {
                    "id": index,
                    "target": failure.target.value,
                    "mode": failure.mode.value,
                    "loss": failure.loss,
                    "duration": failure.duration,
                    "links": sorted({n for n, _ in touched}),
                },
            )
        )
        pos = len(self.failovers)
        self.failovers.append(
            FailoverRecord.start(
                index, failure, self.env.now, tuple(sorted({n for n, _ in touched}))
            )
        )
        for name, imp in touched:
            self.ctl[name].impairments.append(imp)
            self._changed(name)
        if failure.duration is None:
            return
        yield self.env.timeout(failure.duration)
        self.failovers[pos] = dataclasses.replace(self.failovers[pos], repaired_at_s=self.env.now)
        self.events.append(TraceEvent(self.env.now, "repair", failure.name, {"id": index}))
        for name, imp in touched:
            self.ctl[name].impairments.remove(imp)
            self._changed(name)

    # ---- per-link state machine ----------------------------------------------------
    def _changed(self, name: str) -> None:
        c = self.ctl[name]
        worst = max(c.impairments, key=lambda i: (i.mode, i.loss), default=None)
        state = LinkState(worst.mode, worst.loss, worst.reason) if worst else LinkState(LinkMode.UP)
        if state != self.link_state[name].values[-1]:
            self.link_state[name].set(self.env.now, state)
            self.events.append(
                TraceEvent(
                    self.env.now,
                    "link_state",
                    name,
                    {"mode": state.mode.label, "loss": state.loss},
                )
            )
        before, c.state = c.state, state
        was_broken, broken = before.mode.broken, state.mode.broken
        if c.known_down:
            if broken:
                # Broken again before its BGP session re-established: cancel the pending
                # re-establishment, or the link is restored while broken and never detected.
                c.token += 1
            elif was_broken:
                # A repair (broken -> forwarding) starts re-establishment; a loss:p change on
                # a forwarding link leaves a pending one alone.
                self._start_reestablish(name)
        elif broken:
            delay, method = self._detection(c.link, state)
            if self.env.now + delay < c.detect_at:
                self._start_detection(name, delay, method)
        elif state.mode is LinkMode.LOSS and state != before:
            # Loss starts, changes, or is what a repair leaves: the run of lost control
            # packets starts afresh now (and may never complete).
            self._cancel_detection(c)
            delay, method = self._detection(c.link, state)
            if math.isfinite(delay):
                self._start_detection(name, delay, method)
        else:
            self._cancel_detection(c)
        if was_broken and not broken and not c.known_down and self.routing_down:
            self._reroute(name, "propagated")  # held-back withdrawals get through
        self._notify()

    @staticmethod
    def _cancel_detection(c: _LinkCtl) -> None:
        if math.isfinite(c.detect_at):
            c.detect_at = math.inf
            c.token += 1

    def _start_detection(self, name: str, delay: float, method: DetectionMethod) -> None:
        c = self.ctl[name]
        c.token += 1
        c.detect_at = self.env.now + delay
        self.env.process(self._detect(name, c.token, delay, method))

    def _start_reestablish(self, name: str) -> None:
        c = self.ctl[name]
        c.token += 1
        self.env.process(self._reestablish(name, c.token))

    def _rng(self, purpose: str, link: Link) -> np.random.Generator:
        """A stream for one draw, keyed by (seed, purpose, link, now): what one failure
        draws never shifts another's draws (common random numbers across schedules)."""
        return stream(self.seed, f"{purpose}:{link.name}", round(self.env.now * 1e6))

    def _detection(self, link: Link, state: LinkState) -> tuple[float, DetectionMethod]:
        purpose = "loss-detect" if state.mode is LinkMode.LOSS else "hold"
        return detection_delay(self._rng(purpose, link), link, state.mode, state.loss)

    def _detect(self, name: str, token: int, delay: float, method: DetectionMethod) -> Any:
        yield self.env.timeout(delay)
        c = self.ctl[name]
        if c.token != token:
            return
        c.known_down = True
        c.detect_at = math.inf
        ids = sorted({i.failure for i in c.impairments})
        self.events.append(
            TraceEvent(self.env.now, "detected", name, {"method": method.value, "failures": ids})
        )
        routed = name not in self.underlay
        for i in ids:
            # The record names what moved traffic: a routed link's detection, or an
            # underlay link's until a routed one (a tunnel over it) is detected.
            if self.failovers[i].detected_at_s is None or (routed and i in self._by_underlay):
                self.failovers[i] = dataclasses.replace(
                    self.failovers[i], detected_at_s=self.env.now, detection=method
                )
                if routed:
                    self._by_underlay.discard(i)
                else:
                    self._by_underlay.add(i)
        if not c.state.mode.broken:
            # Detected through loss: the session tries again at once (it may come up, and go
            # down again while the loss lasts).
            self._start_reestablish(name)
        if not routed:
            return  # carries only tunnels: nothing to reroute (the tunnels have their own)
        yield self.env.timeout(c.link.convergence.sample_one(self._rng("converge", c.link)))
        if not c.known_down:
            return
        self.routing_down.add(name)
        self._reroute(name, "switched")
        for i in ids:
            # A failure's switch is the first one of each of its links: a session that
            # comes back and goes down again while a loss lasts does not move it.
            if self._cycles.setdefault((i, name), True):
                self._switched(i)

    def _reestablish(self, name: str, token: int) -> Any:
        c = self.ctl[name]
        yield self.env.timeout(c.link.bgp.reestablish)
        if c.token != token:
            return
        c.known_down = False
        if name in self.routing_down or name not in self.underlay:
            self.routing_down.discard(name)
            self._reroute(name, "restored")
        for i, rec in enumerate(self.failovers):
            if self._cycles.get((i, name)):
                self._cycles[(i, name)] = False
            if name in rec.links and rec.repaired_at_s is not None and rec.restored_at_s is None:
                self.failovers[i] = dataclasses.replace(rec, restored_at_s=self.env.now)
        if c.state.mode is LinkMode.LOSS:
            delay, method = self._detection(c.link, c.state)
            if math.isfinite(delay):
                self._start_detection(name, delay, method)

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()

    def current_routes(self) -> Routes:
        return self.routes.values[-1]

    def link_mode(self, name: str) -> LinkState:
        return self.link_state[name].values[-1]

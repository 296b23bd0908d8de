"""The control plane as simpy processes: failures, detection, convergence, restoration.

Failures (scripted and random) impair links; a node failure impairs all its links, a group
failure all its members, and a VPN whose underlay link is impaired is blackholed. Each
link's data-plane state is the worst active impairment. The control plane then follows
architecture section 4: carrier loss is detected at once; a blackhole by BFD
(``interval x multiplier``), else BGP hold-timer expiry (``hold - U(0, keepalive)``), else
DPD, whichever is first; ``loss:p`` is never detected. ``convergence`` after detection the
routes move; after repair a detected link is used again only once its session
re-establishes (``bgp.reestablish``), make-before-break.

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
from netsim.model.routing import Path, RouteTable
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.model.streams import stream
from netsim.model.topology import Link, LinkKind, Topology
from netsim.trace.core import R_BLACKHOLE, R_DOWN, R_NODE, TraceEvent
from netsim.trace.records import FailoverRecord

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from netsim.sim.fluid import LinkDirection
    from netsim.trace.records import TransferRecord

V = TypeVar("V")
Routes = dict[tuple[str, str], Path | None]  # (src, dst) -> path in use (None: no route)


@dataclass(frozen=True, slots=True)
class LinkState:
    """A link's data-plane state: its mode, the drop probability of ``loss:p`` and the loss
    reason recorded for packets a broken link drops (``netsim.trace.core.R_*``)."""

    mode: LinkMode
    loss: float = 0.0
    reason: int = 0


@dataclass(frozen=True, slots=True)
class BulkLoad:
    """The fluid bulk traffic on one link direction: its rate (bit/s) and whether an
    elastic flow is held below its demand there (then TCP keeps a standing queue)."""

    rate: float = 0.0
    saturated: bool = False


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
    mode: LinkMode = LinkMode.UP
    known_down: bool = False
    token: int = 0
    detect_at: float = math.inf


class ControlPlane:
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
        mode = state.mode
        if state != self.link_state[name].values[-1]:
            self.link_state[name].set(self.env.now, state)
            self.events.append(
                TraceEvent(
                    self.env.now, "link_state", name, {"mode": mode.label, "loss": state.loss}
                )
            )
        was_broken = c.mode.broken
        broken = mode.broken
        c.mode = mode
        if broken and c.known_down:
            # Broken again before its BGP session re-established: cancel the pending
            # re-establishment, or the link is restored while broken and never re-detected.
            c.token += 1
        if broken and not c.known_down:
            delay, method = self._detection(c.link, mode)
            if self.env.now + delay < c.detect_at:
                c.token += 1
                c.detect_at = self.env.now + delay
                self.env.process(self._detect(name, c.token, delay, method))
        elif was_broken and not broken:
            # Only a repair (broken -> forwarding) starts re-establishment; a loss:p
            # change on a forwarding link must not restart a pending one.
            c.detect_at = math.inf
            c.token += 1
            if c.known_down:
                self.env.process(self._reestablish(name, c.token))
            elif self.routing_down:
                self._reroute(name, "propagated")  # held-back withdrawals get through
        self._notify()

    def _rng(self, purpose: str, link: Link) -> np.random.Generator:
        """A stream for one draw, keyed by (seed, purpose, link, now): what one failure
        draws never shifts another's draws (common random numbers across schedules)."""
        return stream(self.seed, f"{purpose}:{link.name}", round(self.env.now * 1e6))

    def _detection(self, link: Link, mode: LinkMode) -> tuple[float, str]:
        if mode is LinkMode.DOWN:
            return 0.0, "carrier"
        jitter = self._rng("hold", link).uniform(0, link.bgp.keepalive)
        options = [(link.bgp.hold - jitter, "hold")]
        if link.bfd is not None:
            options.append((link.bfd.detection, "bfd"))
        if link.dpd is not None and link.kind is LinkKind.VPN:
            options.append((link.dpd.timeout, "dpd"))
        return min(options)

    def _detect(self, name: str, token: int, delay: float, method: str) -> Any:
        yield self.env.timeout(delay)
        c = self.ctl[name]
        if c.token != token:
            return
        c.known_down = True
        c.detect_at = math.inf
        ids = sorted({i.failure for i in c.impairments})
        self.events.append(
            TraceEvent(self.env.now, "detected", name, {"method": method, "failures": ids})
        )
        for i in ids:
            if self.failovers[i].detected_at_s is None:
                self.failovers[i] = dataclasses.replace(
                    self.failovers[i], detected_at_s=self.env.now, detection=DetectionMethod(method)
                )
        if name in self.underlay:
            return  # carries only tunnels: nothing to reroute (the tunnels have their own)
        yield self.env.timeout(c.link.convergence.sample_one(self._rng("converge", c.link)))
        if not c.known_down:
            return
        self.routing_down.add(name)
        self._reroute(name, "switched")
        for i in ids:
            rec = self.failovers[i]
            self.failovers[i] = dataclasses.replace(
                rec, switched_at_s=max(rec.switched_at_s or 0.0, self.env.now)
            )

    def _reestablish(self, name: str, token: int) -> Any:
        c = self.ctl[name]
        yield self.env.timeout(c.link.bgp.reestablish)
        if c.token != token:
            return
        c.known_down = False
        if name in self.routing_down:
            self.routing_down.discard(name)
            self._reroute(name, "restored")
        for i, rec in enumerate(self.failovers):
            if name in rec.links and rec.repaired_at_s is not None and rec.restored_at_s is None:
                self.failovers[i] = dataclasses.replace(rec, restored_at_s=self.env.now)

    def _learns(self, src: str, path: Path | None) -> bool:
        """Whether ``src`` now knows that its ``path`` is gone.

        BGP is path-vector: a withdrawal travels back from the router that detected the
        failure, over sessions that still forward. Walking the path from ``src``, the first
        link known down tells ``src`` (its upstream end withdraws, and everything before it
        forwards); a broken but not yet detected link first means nothing gets through.
        """
        if path is None:
            return True
        for name in path:
            if name in self.routing_down:
                return True
            if self.ctl[name].mode.broken:
                return False
        return False

    def _reroute(self, name: str, kind: str) -> None:
        """Move the pairs that learn of the change now to their best path.

        ``switched``: pairs whose path crossed a link now known down, if the withdrawal
        reaches their source; ``restored``: also every pair with a clean path (a better
        path appears, make-before-break); ``propagated``: withdrawals held back by a broken
        link get through after its repair.
        """
        before = self.routes.values[-1]
        # A new path never uses a link whose session is known down, converged or not.
        known = {n for n, c in self.ctl.items() if c.known_down}
        best = self.table.routes(frozenset(self.routing_down | known))
        after = {}
        for pair, path in before.items():
            clean = path is not None and not self.routing_down.intersection(path)
            if (kind == "restored" and clean) or (not clean and self._learns(pair[0], path)):
                after[pair] = best[pair]
            else:
                after[pair] = path
        moved = {
            f"{s}>{d}": list(after[(s, d)] or ())
            for (s, d) in after
            if after[(s, d)] != before.get((s, d))
        }
        if kind == "propagated" and not moved:
            return
        self.routes.set(self.env.now, after)
        self.events.append(
            TraceEvent(
                self.env.now, "switched" if kind == "propagated" else kind, name, {"routes": moved}
            )
        )
        self._notify()

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()

    def current_routes(self) -> Routes:
        return self.routes.values[-1]

    def link_mode(self, name: str) -> LinkState:
        return self.link_state[name].values[-1]

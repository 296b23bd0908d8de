"""The exact data plane: every packet hop is a simpy event, in global time order.

The reference :class:`~netsim.sim.dataplane.DataPlane`. It runs on a simpy environment of
its own, after the control plane has finished, and reads the finished
:class:`~netsim.sim.control.ControlTimeline` at each packet's instant (the control plane
never depends on packets, so every packet meets the same states as when both shared one
environment; docs/fast-engine.md section 1). Packets follow the route in force when they
leave their source (routes change only at the control plane's ``switched`` / ``restored``
instants). At each hop the link's data-plane state at that instant decides: a blackholed
or down link drops the packet (it was sent onto a failed link before the switch),
``loss:p`` drops it with probability p, otherwise it queues FIFO
(:class:`netsim.sim.links.Direction`) and flies for a sampled delay.

Request-response classes model the Istio mesh: one sidecar sample per traversal (client
out, server in, server out, client in) and a retry policy: an attempt not answered within
``per_try_timeout`` is retried after ``backoff`` while attempts remain and the request's
overall ``timeout`` has not passed. Every attempt is one row of the Trace's attempts table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import simpy

from netsim.model.routing import Path, Route, directed_hops
from netsim.model.scenario import RetryPolicy, TrafficClass, TrafficKind
from netsim.model.streams import stream
from netsim.sim.arrivals import poisson_times
from netsim.sim.dataplane import DataPlane, DirectionCount, PacketResult, Progress
from netsim.sim.ecmp import flow_hash
from netsim.sim.links import BlockSampler, Direction
from netsim.sim.segments import retransmit_delay
from netsim.sim.tcp import HEADERS, path_mss
from netsim.sim.wander import flow_code
from netsim.trace.core import LATE, LOST, OK, R_BUFFER, R_LOSS, R_NO_ROUTE, R_TIMEOUT

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline
    from netsim.sim.fluid import LinkDirection
    from netsim.trace.core import Trace

Done = Callable[[float, int, int], None]  # (time, status, reason)
CHUNKS = 200  # progress reports per run


def n_bins(duration: float, bin_s: float) -> int:
    return int(np.ceil(duration / bin_s))


@dataclass(frozen=True, slots=True)
class _Flow:
    """One traffic class towards one destination: what all its packets share."""

    ci: int  # the class's index in the trace
    cls: TrafficClass
    dst: str
    di: int  # the destination's index in the class
    side: Callable[[], float]  # sidecar latency, one sample per traversal (0 without a mesh)


@dataclass(frozen=True, slots=True)
class _Tcp:
    """What the segments of a request or response need to know of their path."""

    mss: float  # bytes of payload per segment
    rtt: float  # mean round trip (s): a fast retransmit's delay, the RTO's base


@dataclass(frozen=True, slots=True)
class _Leg:
    """Where a packet or message goes: its hops, its TCP facts (None: a datagram) and its
    flow (:func:`~netsim.sim.wander.flow_code`: the order-keeping links' delay follows it)."""

    hops: list[Direction]
    tcp: _Tcp | None
    flow: int


@dataclass(frozen=True, slots=True)
class _Exchange:
    """What the requests of a request-response flow draw from, and their retry policy."""

    req: BlockSampler  # request size
    resp: BlockSampler  # response size
    server: BlockSampler  # server time
    policy: RetryPolicy


class ExactDataPlane(DataPlane):
    """Per-packet simulation of a scenario's packet traffic over a control timeline."""

    NAME: ClassVar[str] = "exact"

    def __init__(
        self, scenario: Scenario, seed: int, timeline: ControlTimeline, trace: Trace
    ) -> None:
        super().__init__(scenario, seed, timeline, trace)
        self.env = simpy.Environment()
        self.topo = scenario.topology
        self.routes = timeline.routes
        self.link_state = timeline.link_state
        self.dirs: dict[LinkDirection, Direction] = {}
        bins = n_bins(scenario.duration, trace.bin_s)
        for i, link in enumerate(self.topo.links):
            for d in (0, 1):
                self.dirs[(link.name, d)] = Direction(
                    link,
                    2 * i + d,
                    timeline.bulk[(link.name, d)],
                    seed,
                    n_bins=bins,
                    bin_s=trace.bin_s,
                )
        self.loss_rng = stream(seed, "loss", 0)
        self.path_ids: dict[Path, int] = {p: i for i, p in enumerate(trace.paths)}
        self.hop_cache: dict[tuple[str, Path], list[Direction]] = {}
        self.tcp_cache: dict[tuple[str, Path], _Tcp] = {}
        self.node_index = {n: i for i, n in enumerate(trace.nodes)}

    # ---- packets --------------------------------------------------------------------
    def _hops(self, src: str, path: Path) -> list[Direction]:
        key = (src, path)
        hops = self.hop_cache.get(key)
        if hops is None:
            hops = [self.dirs[h] for h in directed_hops(self.topo, src, path)]
            self.hop_cache[key] = hops
        return hops

    def _pick(self, route: Route | None, flow: _Flow, n: int) -> Path | None:
        """The path of request (or datagram) ``n`` of ``flow``: its hash picks one of a
        multipath route's paths (:mod:`netsim.sim.ecmp`)."""
        if route is None:
            return None
        if not route.multipath:
            return route.primary
        return route.pick(float(flow_hash(self.seed, flow.ci, flow.di, np.array([n]))[0]))

    def _path_id(self, path: Path) -> int:
        if path not in self.path_ids:
            self.path_ids[path] = len(self.trace.paths)
            self.trace.paths.append(path)
        return self.path_ids[path]

    def _tcp(self, src: str, path: Path) -> _Tcp:
        """The segment size and round trip of a TCP message from ``src`` along ``path``."""
        key = (src, path)
        facts = self.tcp_cache.get(key)
        if facts is None:
            links = [self.topo.link(name) for name, _ in directed_hops(self.topo, src, path)]
            facts = _Tcp(path_mss(links), 2 * sum(link.delay.mean() for link in links))
            self.tcp_cache[key] = facts
        return facts

    def send(self, leg: _Leg, i: int, size: float, done: Done) -> None:
        """Packet (or, with ``leg.tcp``, a message of segments) arrives at hop ``i`` of
        ``leg`` now; forward it or report its fate to ``done``."""
        t = self.env.now
        hops, tcp = leg.hops, leg.tcp
        if i == len(hops):
            done(t, OK, 0)
            return
        hop = hops[i]
        state = self.link_state[hop.link.name].at(t)
        if state.mode.broken:
            done(t, LOST, state.reason)
            return
        loss = state.loss
        u = self.loss_rng.random()
        late = 0.0
        count = 1.0 if tcp is None else max(float(math.ceil(size / tcp.mss)), 1.0)
        if loss > 0.0 and tcp is not None:
            again = self.loss_rng.random()
            late = float(retransmit_delay(*np.array([[u], [again], [count], [loss], [tcp.rtt]]))[0])
            if late == np.inf:
                done(t, LOST, R_LOSS)
                return
        elif loss > 0.0 and u < loss:
            done(t, LOST, R_LOSS)
            return
        phase = u if loss == 0.0 else self.loss_rng.random()
        if tcp is None:
            depart = hop.admit(t, size, phase)
        else:
            depart = hop.admit(t, size, phase, count, HEADERS)
        if depart is None:
            done(t, LOST, R_BUFFER)
            return
        if hop.wander is None:
            fly = hop.delay() + state.added_delay(t) + late
        else:  # a flow's order is kept: its delay follows its path (netsim.sim.wander)
            fly = hop.wander.delay_at(hop.index & 1, leg.flow, depart) + state.added_delay(t) + late
        self._at(depart + fly - t, self.send, leg, i + 1, size, done)

    def _at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _e: fn(*args))

    # ---- the run --------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> PacketResult:
        """Start every source, run to the end, then let packets in flight land (up to
        ``timeline.until``) so that none is counted lost merely because the run ended."""
        self.start()
        duration = self.scenario.duration
        for k in range(1, CHUNKS + 1):
            self.env.run(until=duration * k / CHUNKS)
            if progress is not None:
                progress(self.env.now, duration)
        self.env.run(until=self.timeline.until)
        return PacketResult(
            {key: DirectionCount(float(d.bytes), d.bins) for key, d in self.dirs.items()}
        )

    # ---- traffic --------------------------------------------------------------------
    def start(self) -> None:
        for ci, cls in enumerate(self.scenario.traffic):
            if cls.kind is TrafficKind.BULK:
                continue
            stop = min(
                cls.stop if cls.stop is not None else self.scenario.duration, self.scenario.duration
            )
            for di, dst in enumerate(cls.dsts):
                rng = stream(self.seed, "arrivals:" + cls.name, di)
                times = poisson_times(rng, cls.rate / len(cls.dsts), cls.profile, cls.start, stop)
                self.env.process(self._source(ci, cls, dst, di, times))

    def _source(self, ci: int, cls: TrafficClass, dst: str, di: int, times: np.ndarray) -> Any:
        rng = stream(self.seed, "sizes:" + cls.name, di)
        mesh = self.scenario.mesh
        side = (
            BlockSampler(mesh.sidecar_latency, stream(self.seed, "mesh:" + cls.name, di))
            if mesh.sidecar_latency is not None
            else (lambda: 0.0)
        )
        flow = _Flow(ci, cls, dst, di, side)
        if cls.kind is TrafficKind.REQUEST_RESPONSE:
            exchange = _Exchange(
                BlockSampler(cls.request_size, rng),
                BlockSampler(cls.response_size, rng),
                BlockSampler(cls.server_time, stream(self.seed, "server:" + cls.name, di)),
                cls.retries or mesh.retries,
            )
        else:
            size = BlockSampler(cls.size, rng)
        env = self.env
        for n, t in enumerate(times):
            yield env.timeout(t - env.now)
            if cls.kind is TrafficKind.REQUEST_RESPONSE:
                _Request(self, flow, exchange, n, float(t)).attempt(0)
            else:
                self._datagram(flow, n, size())

    def _datagram(self, flow: _Flow, n: int, size: float) -> None:
        cls, dst = flow.cls, flow.dst
        t0 = self.env.now
        path = self._pick(self.routes.at(t0).get((cls.src, dst)), flow, n)
        row = self.trace.attempts.append(
            cls=flow.ci,
            dst=self.node_index[dst],
            req=n,
            attempt=0,
            t_send=t0,
            t_done=np.nan,
            status=LOST,
            reason=R_NO_ROUTE,
            path=self._path_id(path) if path else -1,
            bytes=size,
        )
        out_side, in_side = flow.side(), flow.side()  # drawn up front: common random numbers
        if not path:
            return
        attempts = self.trace.attempts

        def received() -> None:
            t = self.env.now
            attempts.set(row, "t_done", t)
            attempts.set(row, "status", OK if t <= t0 + cls.timeout else LATE)
            attempts.set(row, "reason", 0 if t <= t0 + cls.timeout else R_TIMEOUT)

        def done(t: float, status: int, reason: int) -> None:
            if status == OK:
                self._at(in_side, received)
            else:
                attempts.set(row, "reason", reason)

        leg = _Leg(self._hops(cls.src, path), None, int(flow_code(flow.ci, flow.di, 0)))
        self._at(out_side, self.send, leg, 0, size, done)


class _Request:
    """One request-response exchange with its retries (see the module docstring)."""

    __slots__ = (
        "ci",
        "cls",
        "dp",
        "dst",
        "flow",
        "n",
        "policy",
        "req_size",
        "resp_size",
        "server",
        "sides",
        "succeeded",
        "t0",
    )

    def __init__(
        self, dp: ExactDataPlane, flow: _Flow, exchange: _Exchange, n: int, t0: float
    ) -> None:
        self.dp, self.ci, self.cls, self.dst = dp, flow.ci, flow.cls, flow.dst
        self.flow = flow
        self.n, self.t0 = n, t0
        self.policy = exchange.policy
        # Every random value of the request is drawn once, up front, and reused by its
        # retries (a retry resends the same request): the class's streams advance the same
        # way whatever fails, so schedules can be compared with common random numbers.
        self.req_size = exchange.req()
        self.resp_size = exchange.resp()
        self.server = exchange.server()
        side = flow.side
        self.sides = (side(), side(), side(), side())  # client out, server in/out, client in
        self.succeeded = False

    def attempt(self, k: int) -> None:
        dp, cls = self.dp, self.cls
        now = dp.env.now
        deadline = self.t0 + cls.timeout
        if self.succeeded or now >= deadline:
            return
        per_try = self.policy.per_try_timeout
        try_deadline = min(deadline, now + per_try) if per_try else deadline
        path = dp._pick(dp.routes.at(now).get((cls.src, self.dst)), self.flow, self.n)
        req_size, resp_size = self.req_size, self.resp_size
        attempts = dp.trace.attempts
        row = attempts.append(
            cls=self.ci,
            dst=dp.node_index[self.dst],
            req=self.n,
            attempt=k,
            t_send=now,
            t_done=np.nan,
            status=LOST,
            reason=R_NO_ROUTE if not path else R_TIMEOUT,
            path=dp._path_id(path) if path else -1,
            bytes=req_size + resp_size,
        )
        if per_try and k + 1 < self.policy.attempts:
            dp._at(per_try + self.policy.backoff, self.attempt, k + 1)
        if not path:
            return

        def lost(t: float, status: int, reason: int) -> None:
            attempts.set(row, "reason", reason)

        def response_done(t: float, status: int, reason: int) -> None:
            if status != OK:
                lost(t, status, reason)
                return
            dp._at(self.sides[3], finish)

        def finish() -> None:
            t = dp.env.now
            attempts.set(row, "t_done", t)
            if t <= try_deadline and not self.succeeded:
                self.succeeded = True
                attempts.set(row, "status", OK)
                attempts.set(row, "reason", 0)
            else:
                attempts.set(row, "status", LATE)

        def request_done(t: float, status: int, reason: int) -> None:
            if status != OK:
                lost(t, status, reason)
                return
            dp._at(self.sides[1] + self.server + self.sides[2], respond)

        def respond() -> None:
            back = dp._pick(dp.routes.at(dp.env.now).get((self.dst, cls.src)), self.flow, self.n)
            if not back:
                lost(dp.env.now, LOST, R_NO_ROUTE)
                return
            code = int(flow_code(self.ci, self.flow.di, 1))
            dp.send(
                _Leg(dp._hops(self.dst, back), dp._tcp(self.dst, back), code),
                0,
                resp_size,
                response_done,
            )

        code = int(flow_code(self.ci, self.flow.di, 0))
        leg = _Leg(dp._hops(cls.src, path), dp._tcp(cls.src, path), code)
        dp._at(self.sides[0], dp.send, leg, 0, req_size, request_done)

"""The network as arrays for the fast engine: directions, legs, link states, delays.

:class:`FastNet` is built once from a scenario and its :class:`ControlTimeline`. It knows
every link direction (capacity, overhead, buffer), every *leg* a packet can take (a route
from a source under one route table, as a padded array of direction ids), the link
data-plane states as sorted arrays, and the links' delays (:mod:`netsim.sim.fast.delays`).
:meth:`FastNet.walk` moves an array of packets hop by hop along their legs given the
sojourn of every queue traversal from the previous round; the queues themselves are
solved by :class:`netsim.sim.fast.solver.QueueSolver`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.model.effects import LinkMode
from netsim.model.routing import Path, directed_hops
from netsim.sim.control import DRAIN_RATE
from netsim.sim.fast.delays import Delays
from netsim.sim.fast.messages import Messages, lost, messages, take
from netsim.sim.segments import BURST, segments
from netsim.sim.tcp import HEADERS, path_mss
from netsim.trace.core import R_BUFFER, R_LOSS

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline
    from netsim.sim.fast.slots import Slots
    from netsim.trace.core import Trace

BROKEN = int(LinkMode.BLACKHOLE)  # modes from here on do not forward (int8 arrays)
CLEAN_SLACK_S = 60.0  # a run's packets reach their last hop within this of their send time


class FastNet:
    """Directions, legs, link states and delays of one scenario run; see the module doc."""

    def __init__(self, scenario: Scenario, timeline: ControlTimeline, trace: Trace) -> None:
        topo = scenario.topology
        self.topo = topo
        self.trace = trace
        links = topo.links
        self.link_index = {link.name: i for i, link in enumerate(links)}
        self.names = [(link.name, d) for link in links for d in (0, 1)]
        self.cap = np.repeat([link.capacity for link in links], 2).astype(float)
        self.inv_rate = 8.0 / self.cap  # seconds per byte
        self.overhead = np.repeat([link.overhead for link in links], 2).astype(float)
        # max_pps: a packet holds the direction for at least 1/max_pps (with capacity)
        gap = [0.0 if link.max_pps is None else 1.0 / link.max_pps for link in links]
        self.min_gap = np.repeat(gap, 2).astype(float)
        mtu = np.repeat([link.mtu for link in links], 2).astype(float)
        # the most of one message a buffer holds at once (s of work): BURST full packets
        self.burst_s = BURST * np.maximum(mtu * self.inv_rate, self.min_gap)
        buffer = np.repeat([np.inf if link.buffer is None else link.buffer for link in links], 2)
        self.buffer_s = buffer * 8 / self.cap
        self.delays = Delays(links, trace.seed)
        self.states: dict[int, tuple[np.ndarray, ...]] = {}
        for i, link in enumerate(links):
            step = timeline.link_state[link.name]
            if len(step.times) > 1 or step.values[0].mode is not LinkMode.UP:
                vals = step.values
                self.states[i] = (
                    np.asarray(step.times, float),
                    np.array([int(v.mode) for v in vals], np.int8),
                    np.array([v.loss for v in vals], float),
                    np.array([v.reason for v in vals], np.int8),
                    np.array([v.delay for v in vals], float),
                    np.array([v.land_by for v in vals], float),
                )
        self._legs(timeline)

    # ---- setup ----------------------------------------------------------------------
    def _legs(self, timeline: ControlTimeline) -> None:
        """Every route table as leg ids per (epoch, pair); a multipath route as several
        legs with the cumulative shares a flow's hash is compared with."""
        nodes = {n: i for i, n in enumerate(self.trace.nodes)}
        self.n_nodes = len(nodes)
        self.route_times = np.asarray(timeline.routes.times, float)
        tables = timeline.routes.values
        self.leg_of = np.full((len(tables), self.n_nodes**2), -1, np.int32)
        keys: dict[tuple[str, Path], int] = {}
        dirs: list[list[int]] = []
        path_ids: list[int] = []
        known = {p: i for i, p in enumerate(self.trace.paths)}
        multi: dict[tuple[int, int], tuple[list[int], tuple[float, ...]]] = {}
        for e, table in enumerate(tables):
            for (s, d), route in sorted(table.items()):
                if route is None:
                    continue
                legs = []
                for path in route.paths:
                    if (s, path) not in keys:
                        keys[(s, path)] = len(dirs)
                        dirs.append(
                            [
                                2 * self.link_index[name] + k
                                for name, k in directed_hops(self.topo, s, path)
                            ]
                        )
                        if path not in known:
                            known[path] = len(self.trace.paths)
                            self.trace.paths.append(path)
                        path_ids.append(known[path])
                    legs.append(keys[(s, path)])
                pair = nodes[s] * self.n_nodes + nodes[d]
                self.leg_of[e, pair] = legs[0]
                if route.multipath:
                    multi[(e, pair)] = (legs, route.bounds)
        self.H = max((len(x) for x in dirs), default=1)
        self.leg_dirs = np.full((max(len(dirs), 1), self.H), -1, np.int64)
        for i, x in enumerate(dirs):
            self.leg_dirs[i, : len(x)] = x
        self.leg_len = np.array([len(x) for x in dirs] or [0], np.int64)
        # TCP messages (netsim.sim.segments): each leg's segment size and mean round trip
        links = self.topo.links
        self.leg_mss = np.array(
            [path_mss(links[k >> 1] for k in x) if x else 1.0 for x in dirs] or [1.0]
        )
        self.leg_rtt = np.array(
            [2 * sum(links[k >> 1].delay.mean() for k in x) for x in dirs] or [0.0]
        )
        self.leg_path = np.array(path_ids or [-1], np.int16)
        # Multipath routes: per (epoch, pair) a row of legs and of cumulative shares.
        self.multipath = bool(multi)
        width = max((len(legs) for legs, _ in multi.values()), default=1)
        self.multi_row = np.full(self.leg_of.shape, -1, np.int32)
        self.multi_legs = np.full((max(len(multi), 1), width), -1, np.int32)
        self.multi_bounds = np.full((max(len(multi), 1), width), np.inf)
        for row, ((e, pair), (legs, bounds)) in enumerate(sorted(multi.items())):
            self.multi_row[e, pair] = row
            self.multi_legs[row, : len(legs)] = legs
            self.multi_bounds[row, : len(legs) - 1] = bounds[:-1]  # the last takes the rest

    # ---- lookups --------------------------------------------------------------------
    def leg(
        self, t: np.ndarray, src: np.ndarray, dst: np.ndarray, flow: np.ndarray | None = None
    ) -> np.ndarray:
        """Leg id of the route in force at ``t`` from ``src`` to ``dst`` (-1: no route); on
        a multipath route, the path the flow hash ``flow`` (uniforms) picks."""
        epoch = np.searchsorted(self.route_times, t, side="right") - 1
        pair = src * self.n_nodes + dst
        legs = np.asarray(self.leg_of[epoch, pair])
        if self.multipath and flow is not None:
            row = self.multi_row[epoch, pair]
            hit = row >= 0
            if hit.any():
                r = row[hit]
                k = (self.multi_bounds[r] <= flow[hit, None]).sum(axis=1)
                legs = legs.copy()
                legs[hit] = self.multi_legs[r, k]
        return legs

    def leg_between(self, t_first: float, t_last: float, src: int, dst: int) -> int | None:
        """The leg from ``src`` to ``dst`` in force from ``t_first`` to ``t_last`` (None: the
        routes change in between or the route has several paths; -1: no route)."""
        first, last = np.searchsorted(self.route_times, [t_first, t_last], side="right") - 1
        pair = src * self.n_nodes + dst
        if first != last or (self.multipath and self.multi_row[first, pair] >= 0):
            return None
        return int(self.leg_of[first, pair])

    def state(self, link: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        mode = np.zeros(len(t), np.int8)
        loss = np.zeros(len(t))
        reason = np.zeros(len(t), np.int8)
        extra = np.zeros(len(t))
        for i, (times, modes, losses, reasons, delays, land_by) in self.states.items():
            m = link == i
            if m.any():
                j = np.searchsorted(times, t[m], side="right") - 1
                mode[m], loss[m], reason[m] = modes[j], losses[j], reasons[j]
                extra[m] = np.maximum(delays[j], DRAIN_RATE * (land_by[j] - t[m]))  # added_delay
        return mode, loss, reason, extra

    def clean(self, leg: int, t_first: float, t_last: float) -> bool:
        """True if every link of ``leg`` forwards normally (no state change) from
        ``t_first`` to well after ``t_last`` (a run of packets walked without checks)."""
        for d in self.leg_dirs[leg, : self.leg_len[leg]]:
            step = self.states.get(int(d) >> 1)
            if step is None:
                continue
            times, modes, losses, delays, land_by = step[0], step[1], step[2], step[4], step[5]
            j = max(int(np.searchsorted(times, t_first, side="right")) - 1, 0)
            changes = j + 1 < len(times) and times[j + 1] <= t_last + CLEAN_SLACK_S
            if modes[j] != 0 or losses[j] > 0 or delays[j] > 0 or land_by[j] > t_first or changes:
                return False
        return True

    def walk_run(
        self,
        t: np.ndarray,
        leg: int,
        size: np.ndarray,
        *,
        slot0: int,
        stride: int,
        z: np.ndarray,
        slots: Slots,
        flow: np.ndarray,
        tcp: bool = False,
    ) -> np.ndarray:
        """Move a run of packets of one ``flow`` (its :func:`~netsim.sim.wander.flow_code`)
        that share ``leg`` (and find its links forwarding, see :meth:`clean`) before any
        queue is solved; their arrival times.

        Hop ``h`` of packet ``i`` is slot ``slot0 + h * stride + i`` and takes its delay
        from ``z[h, i]`` (on a link that keeps a flow's order, from the flow's path at the
        departure time): contiguous slices, scalar link parameters, no gathers. ``tcp``:
        the packets are messages of segments (:mod:`netsim.sim.segments`).
        """
        t = t.copy()
        m = len(t)
        count = segments(size, self.leg_mss[leg]) if tcp else 1.0
        for h in range(int(self.leg_len[leg])):
            d = int(self.leg_dirs[leg, h])
            lo = slot0 + h * stride
            wire, service = self.wire(size, count, HEADERS if tcp else 0.0, d)
            slots.d[lo : lo + m] = d
            slots.t[lo : lo + m] = t
            slots.svc[lo : lo + m] = service
            slots.wire[lo : lo + m] = wire
            if slots.runs is not None:
                slots.runs.append((d, lo, m))
            t += service
            t += self.delays.of_run(d, flow, t, z[h])
        return t

    def wire(
        self,
        size: np.ndarray,
        count: np.ndarray | float,
        headers: np.ndarray | float,
        d: np.ndarray | int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Wire bytes and service time (s) of packets or segment trains on directions ``d``:
        ``capacity`` and ``max_pps`` per segment both bind."""
        wire = np.asarray(size + count * (headers + self.overhead[d]))
        if isinstance(d, int) and self.min_gap[d] == 0.0:  # no max_pps: capacity alone
            return wire, wire * self.inv_rate[d]
        return wire, np.maximum(wire * self.inv_rate[d], count * self.min_gap[d])

    # ---- moving packets -------------------------------------------------------------
    def _impair(
        self,
        i: np.ndarray,
        d: np.ndarray,
        th: np.ndarray,
        slot: np.ndarray,
        *,
        slots: Slots,
        msgs: Messages,
        leg: np.ndarray,
        late: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The link states met by traversals ``i``: (broken, lost, reason). A congestion
        episode's delay and a message's retransmission delay go to ``late``."""
        mode, loss, why, delay = self.state(d >> 1, th)
        late[i] += delay
        dead = mode >= BROKEN
        lossy = ~dead & (loss > 0)
        if lossy.any():
            lossy = lost(
                lossy,
                loss=loss,
                u=slots.uniform,
                slot=slot,
                msgs=msgs,
                i=i,
                rtt=self.leg_rtt[leg[i]],
                late=late,
            )
        return dead, lossy, why

    def walk(
        self,
        t: np.ndarray,
        leg: np.ndarray,
        size: np.ndarray,
        reqs: np.ndarray,
        base: int,
        *,
        z: np.ndarray,
        slots: Slots,
        flows: np.ndarray,
        tcp: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move packets of ``flows`` (:func:`~netsim.sim.wander.flow_code` per packet)
        starting at ``t`` along ``leg``; (arrival, alive, loss reason).

        The packets belong to the requests ``reqs``; hop ``h`` of a packet is slot
        ``(base + h) * n + r`` of ``slots`` (``base``: wave and leg, see
        :class:`~netsim.sim.fast.slots.Slots`) and takes its delay from ``z[base' + h, r]``
        (``z``: the wave's normals, one row per hop of either leg). The sojourn and drop
        verdict of the last queue solve are used (before any solve: the service time alone).
        ``tcp`` marks the packets that are messages of segments (:mod:`netsim.sim.segments`):
        a lost segment delays them by its retransmission instead of dropping them.
        """
        t = t.copy()
        n = len(t)
        msgs = messages(size, self.leg_mss[leg], tcp)
        counts, headers = msgs.counts, msgs.headers
        late = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        reason = np.zeros(n, np.int8)
        length = self.leg_len[leg]
        everyone = np.arange(n)
        row0 = base % slots.per
        for h in range(self.H):
            go = alive & (length > h)
            full = bool(go.all())  # the common case: no gathers needed
            i = everyone if full else np.flatnonzero(go)
            if len(i) == 0:
                break
            d = self.leg_dirs[leg, h] if full else self.leg_dirs[leg[i], h]
            th = t if full else t[i]
            r = reqs if full else reqs[i]
            slot = (base + h) * slots.n + r
            if self.states:
                dead, lossy, why = self._impair(
                    i, d, th, slot, slots=slots, msgs=msgs, leg=leg, late=late
                )
                gone = dead | lossy
                if gone.any():
                    reason[i[dead]] = why[dead]
                    reason[i[lossy]] = R_LOSS
                    alive[i[gone]] = False
                    keep = ~gone
                    i, d, th, r, slot, full = i[keep], d[keep], th[keep], r[keep], slot[keep], False
            sz, cnt, hd = (size, counts, headers) if full else (size[i], counts[i], headers[i])
            wire, service = self.wire(sz, cnt, hd, d)
            slots.d[slot], slots.t[slot], slots.svc[slot], slots.wire[slot] = d, th, service, wire
            slots.runs = None
            w = service
            if slots.solved:
                w = slots.soj[slot]
                w = np.where(np.isnan(w), service, w)
                drop = slots.drop[slot]
                if drop.any():
                    reason[i[drop]] = R_BUFFER
                    alive[i[drop]] = False
            zh = self.delays.normals(d, flows, i, th + w, z[row0 + h, r])
            arrive = th + w + self.delays.of(d, zh)
            if self.states:  # retransmission and episode delays, paid once
                arrive += take(late, i)
            if full:
                t = arrive
            else:
                t[i] = arrive
        return t, alive, reason

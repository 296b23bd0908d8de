"""The network as arrays for the fast engine: directions, legs, link states, delays, queues.

:class:`FastNet` is built once from a scenario and its :class:`ControlTimeline`. It knows
every link direction (capacity, overhead, buffer, drain clock), every *leg* a packet can
take (a route from a source under one route table, as a padded array of direction ids),
the link data-plane states as sorted arrays, and how to turn normal draws into per-link
delays. :meth:`FastNet.walk` moves an array of packets hop by hop along their legs given
the sojourn of every queue traversal from the previous round, and :meth:`FastNet.queues`
recomputes those sojourns from the traversals with :func:`netsim.sim.fast.queue.fifo`, carrying
the queue state (work left, and traversals past the window's end) between windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.control import M_BLACKHOLE
from netsim.sim.fast.queue import DrainClock, fifo_queue, transform
from netsim.sim.links import DEFAULT_STANDING_S
from netsim.sim.routing import Path, directed_hops
from netsim.trace.core import R_BUFFER, R_LOSS

if TYPE_CHECKING:
    from netsim.model.topology import Link
    from netsim.sim.control import ControlTimeline
    from netsim.sim.fast.slots import Slots
    from netsim.trace.core import Trace

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario

TOLERANCE_S = 1e-12     # sojourn changes below this do not trigger another round
LOCAL_SPAN = 64         # positions: changes closer than this are re-solved together
MAX_LOCAL = 2000        # more changes than this in a direction: re-solve it whole


@dataclass(frozen=True, slots=True)
class _Carry:
    v: float = 0.0                 # work left after the last admitted arrival (s)
    tau: float = -np.inf           # at this virtual time
    ghost_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_q: np.ndarray = field(default_factory=lambda: np.zeros(0))   # their queue


class FastNet:
    """Directions, legs and link states of one scenario run; see the module docstring."""

    def __init__(self, scenario: Scenario, timeline: ControlTimeline, trace: Trace) -> None:
        topo = scenario.topology
        self.topo = topo
        self.trace = trace
        links = topo.links
        self.link_index = {link.name: i for i, link in enumerate(links)}
        self.names = [(link.name, d) for link in links for d in (0, 1)]
        self.cap = np.repeat([link.capacity for link in links], 2).astype(float)
        self.inv_rate = 8.0 / self.cap      # seconds per byte
        self.overhead = np.repeat([link.overhead for link in links], 2).astype(float)
        buffer = np.repeat([np.inf if link.buffer is None else link.buffer for link in links], 2)
        self.buffer_s = buffer * 8 / self.cap
        self.standing_s = np.where(np.isfinite(buffer), self.buffer_s, DEFAULT_STANDING_S)
        self.clocks = [DrainClock.from_steps(timeline.bulk[n].times, timeline.bulk[n].values,
                                             topo.link(n[0]).capacity) for n in self.names]
        self.carry = [_Carry() for _ in self.names]
        self.local_resolve = True       # False: re-solve whole directions (the reference)
        self.check_boundaries = False   # True: measure the window-boundary approximation
        self.boundary = {"ghosts": 0, "changed": 0, "max_error_s": 0.0}
        self._delays(links)
        self.states: dict[int, tuple[np.ndarray, ...]] = {}
        for i, link in enumerate(links):
            step = timeline.link_state[link.name]
            if len(step.times) > 1 or step.values[0][0] != 0:
                vals = step.values
                self.states[i] = (np.asarray(step.times, float),
                                  np.array([v[0] for v in vals], np.int8),
                                  np.array([v[1] for v in vals], float),
                                  np.array([v[2] for v in vals], np.int8))
        self._legs(timeline)

    # ---- setup ----------------------------------------------------------------------
    def _delays(self, links: tuple[Link, ...]) -> None:
        """Per link: ``loc + scale * (exp(s z) if lognormal else z)``; others via ppf."""
        self.d_loc = np.zeros(len(links))
        self.d_scale = np.zeros(len(links))
        self.d_s = np.zeros(len(links))
        self.d_log = np.zeros(len(links), dtype=bool)
        self.d_generic: dict[int, object] = {}
        for i, link in enumerate(links):
            dist, p = link.delay, dict(link.delay.params)
            if dist.is_constant:
                self.d_loc[i] = p["value"]
            elif dist.name in ("norm", "lognorm"):
                self.d_loc[i], self.d_scale[i] = p.get("loc", 0.0), p.get("scale", 1.0)
                self.d_log[i] = dist.name == "lognorm"
                self.d_s[i] = p.get("s", 0.0)
            else:
                self.d_generic[i] = dist

    def _legs(self, timeline: ControlTimeline) -> None:
        nodes = {n: i for i, n in enumerate(self.trace.nodes)}
        self.n_nodes = len(nodes)
        self.route_times = np.asarray(timeline.routes.times, float)
        tables = timeline.routes.values
        self.leg_of = np.full((len(tables), self.n_nodes ** 2), -1, np.int32)
        keys: dict[tuple[str, Path], int] = {}
        dirs: list[list[int]] = []
        path_ids: list[int] = []
        known = {p: i for i, p in enumerate(self.trace.paths)}
        for e, table in enumerate(tables):
            for (s, d), path in sorted(table.items()):
                if not path:
                    continue
                if (s, path) not in keys:
                    keys[(s, path)] = len(dirs)
                    dirs.append([2 * self.link_index[name] + k
                                 for name, k in directed_hops(self.topo, s, path)])
                    if path not in known:
                        known[path] = len(self.trace.paths)
                        self.trace.paths.append(path)
                    path_ids.append(known[path])
                self.leg_of[e, nodes[s] * self.n_nodes + nodes[d]] = keys[(s, path)]
        self.H = max((len(x) for x in dirs), default=1)
        self.leg_dirs = np.full((max(len(dirs), 1), self.H), -1, np.int64)
        for i, x in enumerate(dirs):
            self.leg_dirs[i, :len(x)] = x
        self.leg_len = np.array([len(x) for x in dirs] or [0], np.int64)
        self.leg_path = np.array(path_ids or [-1], np.int16)

    # ---- lookups --------------------------------------------------------------------
    def leg(self, t: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Leg id of the route in force at ``t`` from ``src`` to ``dst`` (-1: no route)."""
        epoch = np.searchsorted(self.route_times, t, side="right") - 1
        return np.asarray(self.leg_of[epoch, src * self.n_nodes + dst])

    def state(self, link: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        mode = np.zeros(len(t), np.int8)
        loss = np.zeros(len(t))
        reason = np.zeros(len(t), np.int8)
        for i, (times, modes, losses, reasons) in self.states.items():
            m = link == i
            if m.any():
                j = np.searchsorted(times, t[m], side="right") - 1
                mode[m], loss[m], reason[m] = modes[j], losses[j], reasons[j]
        return mode, loss, reason

    def delay(self, d: np.ndarray, z: np.ndarray) -> np.ndarray:
        """One-way delay samples of direction ``d`` from normal draws ``z``."""
        link = d >> 1
        x = z
        if self.d_log.any():
            log = self.d_log[link]
            if log.any():
                x = z.copy()
                x[log] = np.exp(self.d_s[link[log]] * z[log])
        out = np.maximum(self.d_loc[link] + self.d_scale[link] * x, 0.0)
        for i, dist in self.d_generic.items():
            m = link == i
            if m.any():
                out[m] = transform(dist, z[m])  # type: ignore[arg-type]
        return np.asarray(out)

    # ---- moving packets -------------------------------------------------------------
    def walk(self, t: np.ndarray, leg: np.ndarray, size: np.ndarray, dslot: np.ndarray,
             wslot: np.ndarray, z: np.ndarray, slots: Slots
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move packets starting at ``t`` along ``leg``; (arrival, alive, loss reason).

        ``dslot + h`` indexes the normal draws ``z`` (delay) of hop ``h``; ``wslot + h`` the
        traversal in ``slots``, whose sojourn and drop verdict
        from the last queue solve are used (before any solve: the service time alone).
        """
        t = t.copy()
        n = len(t)
        alive = np.ones(n, dtype=bool)
        reason = np.zeros(n, np.int8)
        length = self.leg_len[leg]
        everyone = np.arange(n)
        for h in range(self.H):
            go = alive & (length > h)
            full = bool(go.all())        # the common case: no gathers needed
            i = everyone if full else np.flatnonzero(go)
            if len(i) == 0:
                break
            d = self.leg_dirs[leg, h] if full else self.leg_dirs[leg[i], h]
            th = t if full else t[i]
            if self.states:
                mode, loss, why = self.state(d >> 1, th)
                dead = mode >= M_BLACKHOLE
                lossy = ~dead & (loss > 0)
                if lossy.any():
                    lossy[lossy] = slots.uniform(wslot[i[lossy]] + h) < loss[lossy]
                gone = dead | lossy
                if gone.any():
                    reason[i[dead]] = why[dead]
                    reason[i[lossy]] = R_LOSS
                    alive[i[gone]] = False
                    keep = ~gone
                    i, d, th, full = i[keep], d[keep], th[keep], False
            sz, ws, ds = (size, wslot, dslot) if full else (size[i], wslot[i], dslot[i])
            service = (sz + self.overhead[d]) * self.inv_rate[d]
            slot = ws + h
            slots.d[slot], slots.t[slot], slots.svc[slot] = d, th, service
            w = service
            if slots.solved:
                w = slots.soj[slot]
                w = np.where(np.isnan(w), service, w)
                drop = slots.drop[slot]
                if drop.any():
                    reason[i[drop]] = R_BUFFER
                    alive[i[drop]] = False
            arrive = th + w + self.delay(d, z[ds + h])
            if full:
                t = arrive
            else:
                t[i] = arrive
        return t, alive, reason

    def solve(self, slots: Slots) -> np.ndarray:
        """Solve every direction's queue; the slots whose sojourn or verdict changed from the
        value the walk used."""
        slots.solved = True
        return np.concatenate([self._store(slots, slots.orders[k], self._fifo(k, slots,
                                                                               slots.orders[k]))
                               for k in range(len(self.names))])

    def resolve(self, slots: Slots, added: dict[int, np.ndarray],
                removed: dict[int, np.ndarray]) -> np.ndarray:
        """Re-solve the queues after traversals were added and removed; changed slots.

        Only the busy periods around each change are recomputed: the system is empty at
        an arrival whose stored queue is 0, so the recursion restarts there, and it ends
        at the first arrival after the change that finds the system empty both before and
        after it (from there on nothing differs).
        """
        changed = [np.zeros(0, np.int64)]
        for k in sorted(set(added) | set(removed)):
            o = slots.orders[k]
            tt = slots.t[o]
            pos = added.get(k, np.zeros(0, np.int64))
            gone = np.searchsorted(tt, removed.get(k, np.zeros(0)), "left")
            ghost_end = self.carry[k].ghost_t.max() if len(self.carry[k].ghost_t) else -np.inf
            if not self.local_resolve:
                changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                continue
            done, settled, got = self._quick(k, slots, o, pos, gone, ghost_end)
            changed.append(got)
            marks = np.unique(np.concatenate([pos[~done], gone[~settled]]))
            marks = marks[marks < len(o)]
            if len(marks) > MAX_LOCAL:
                changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                continue
            cuts = np.flatnonzero(np.diff(marks) > LOCAL_SPAN) + 1
            for group in np.split(marks, cuts):
                if len(group):
                    local = self._local(k, slots, o, int(group[0]), int(group[-1]),
                                        ghost_end)
                    if local is None:
                        changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                        break
                    changed.append(local)
        slots.fresh[:] = False
        return np.concatenate(changed)

    def _quick(self, k: int, slots: Slots, o: np.ndarray, pos: np.ndarray, gone: np.ndarray,
               ghost_end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The common case, vectorised: an added arrival that finds the system empty and
        leaves it before the next arrival, which found it empty too, changes nothing but
        itself; a removed one changes nothing if the arrival after it found it empty.
        Returns which added positions and which removals were settled here, and the
        slots that changed; the others are left to :meth:`_local`."""
        n = len(o)
        after = o[np.minimum(gone, n - 1)]
        settled = (gone >= n) | (~slots.fresh[after] & (slots.queue[after] == 0))
        if len(pos) == 0:
            return np.zeros(0, dtype=bool), settled, np.zeros(0, np.int64)
        clock = self.clocks[k]
        here = o[pos]
        t_here = slots.t[here]
        ok = (pos >= 1) & (t_here > ghost_end)
        prev = o[np.maximum(pos - 1, 0)]
        ok &= ~slots.fresh[prev] & ~np.isnan(slots.queue[prev])
        tau_here = clock.tau(t_here)
        dep_prev = clock.tau(slots.t[prev]) + slots.queue[prev] + np.where(
            slots.drop[prev], 0.0, slots.svc[prev])
        ok &= dep_prev <= tau_here
        nxt = o[np.minimum(pos + 1, n - 1)]
        last = pos + 1 >= n
        ok &= last | (~slots.fresh[nxt] & (slots.queue[nxt] == 0)
                      & (tau_here + slots.svc[here] <= clock.tau(slots.t[nxt])))
        sel = here[ok]
        standing = self._standing(k, slots, sel, slots.t[sel])
        svc = slots.svc[sel]
        drop = standing + svc > self.buffer_s[k] * (1 + 1e-12)
        got = self._store(slots, sel, (standing + svc, drop, np.zeros(len(sel))))
        settled |= (gone < n) & np.isin(after, sel)
        slots.fresh[sel] = False
        return ok, settled, got

    def _local(self, k: int, slots: Slots, o: np.ndarray, p0: int, p1: int,
               ghost_end: float) -> np.ndarray | None:
        """Recompute positions around ``[p0, p1]`` of direction ``k`` (None: do it all)."""
        lo = max(p0 - LOCAL_SPAN, 0)
        back = o[lo:p0]
        empty = np.flatnonzero((slots.queue[back] == 0) & ~slots.fresh[back]
                               & ~slots.drop[back])
        if len(empty) == 0:
            return None
        j = lo + int(empty[-1])
        if slots.t[o[j]] <= ghost_end:
            return None
        span = LOCAL_SPAN
        while True:
            end = min(len(o), p1 + span)
            seg = o[j:end]
            soj, drop, queue = self._fifo(k, slots, seg, fresh_start=True)
            after = np.arange(j, end) > p1
            calm = np.flatnonzero(after & (queue == 0) & (slots.queue[seg] == 0)
                                  & ~slots.fresh[seg] & ~drop)
            if len(calm) or end == len(o):
                stop = int(calm[0]) if len(calm) else len(seg)
                return self._store(slots, seg[:stop], (soj[:stop], drop[:stop], queue[:stop]))
            span *= 4

    @staticmethod
    def _store(slots: Slots, o: np.ndarray, result: tuple[np.ndarray, np.ndarray, np.ndarray]
               ) -> np.ndarray:
        soj, drop, queue = result
        used = slots.soj[o]
        used = np.where(np.isnan(used), slots.svc[o], used)
        diff = (np.abs(soj - used) > TOLERANCE_S) | (drop != slots.drop[o])
        slots.soj[o], slots.drop[o], slots.queue[o] = soj, drop, queue
        return np.asarray(o[diff])

    def _fifo(self, k: int, slots: Slots, o: np.ndarray, fresh_start: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sojourn, drops and queue of the traversals ``o`` of direction ``k``, after the
        previous window's ghosts and carried work (unless ``fresh_start``: empty system)."""
        carry = _Carry() if fresh_start else self.carry[k]
        tt, ss = slots.t[o], slots.svc[o]
        standing = self._standing(k, slots, o, tt)
        wire = ss
        ghost = np.zeros(len(o), dtype=bool)
        if len(carry.ghost_t):
            pos = np.searchsorted(tt, carry.ghost_t, side="right")
            tt = np.insert(tt, pos, carry.ghost_t)
            ss = np.insert(ss, pos, carry.ghost_s)
            wire = np.insert(wire, pos, -np.inf)   # their admission is already decided
            standing = np.insert(standing, pos, 0.0)
            ghost = np.insert(ghost, pos, True)
        if len(tt) == 0:
            empty = np.zeros(0)
            return empty, np.zeros(0, dtype=bool), empty
        clock = self.clocks[k]
        tau = clock.tau(tt)
        ref = tau[0]          # subtract a reference: precision over a year of tau
        queue, drop = fifo_queue(ss, standing, tau - ref, wire, self.buffer_s[k], carry.v,
                                 carry.tau - ref)
        soj = standing + queue + ss
        mine = ~ghost
        return soj[mine], drop[mine], queue[mine]

    def _standing(self, k: int, slots: Slots, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Standing queue met by traversals ``o`` arriving at ``t`` (saturated periods)."""
        out = np.zeros(len(o))
        sat = self.clocks[k].saturated_at(t)
        if sat.any():
            out[sat] = slots.uniform(o[sat], 1) * self.standing_s[k]
        return out

    def advance(self, slots: Slots, boundary: float) -> None:
        """Carry every direction's queue state past ``boundary`` into the next window: the
        work left after the last admitted arrival before it, and the arrivals after it."""
        for k, carry in enumerate(self.carry):
            o = slots.orders[k]
            if len(o) == 0 and len(carry.ghost_t) == 0:
                continue
            if self.check_boundaries and len(carry.ghost_t):
                self._check_ghosts(k, slots, o)
            # Ghosts are the first seconds of this window: never past its end.
            tt = slots.t[o]
            cut = int(np.searchsorted(tt, boundary, side="left"))
            v, tau = carry.v, carry.tau
            kept = np.flatnonzero(~slots.drop[o[:cut]])
            if len(kept):
                i = o[kept[-1]]
                v = float(slots.queue[i] + slots.svc[i])
                tau = float(self.clocks[k].tau(slots.t[i:i + 1])[0])
            after = o[cut:]
            tt, ss = tt[cut:], np.where(slots.drop[after], 0.0, slots.svc[after])
            self.carry[k] = _Carry(v, tau, tt, ss, slots.queue[after])

    def _check_ghosts(self, k: int, slots: Slots, o: np.ndarray) -> None:
        """How wrong were the queues committed for the previous window's late traversals
        (ghosts), now that this window's earlier arrivals are known? Recompute the merged
        FIFO and compare (diagnostic for docs/fast-engine.md and the benchmarks)."""
        carry = self.carry[k]
        tt, ss = slots.t[o], slots.svc[o]
        pos = np.searchsorted(tt, carry.ghost_t, side="right")
        ghost = np.insert(np.zeros(len(o), dtype=bool), pos, True)
        tt = np.insert(tt, pos, carry.ghost_t)
        ss = np.insert(ss, pos, carry.ghost_s)
        standing = np.insert(self._standing(k, slots, o, slots.t[o]), pos, 0.0)
        tau = self.clocks[k].tau(tt)
        queue, _ = fifo_queue(ss, standing, tau - tau[0], np.full(len(tt), -np.inf),
                              self.buffer_s[k], carry.v, carry.tau - tau[0])
        err = np.abs(queue[ghost] - carry.ghost_q)
        err = err[np.isfinite(err)]
        self.boundary["ghosts"] += len(carry.ghost_t)
        self.boundary["changed"] += int((err > TOLERANCE_S).sum())
        self.boundary["max_error_s"] = max(self.boundary["max_error_s"],
                                           float(err.max()) if len(err) else 0.0)

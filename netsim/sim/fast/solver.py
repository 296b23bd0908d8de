"""The queues of the fast engine: every link direction's FIFO solved over a window's traversals.

:class:`QueueSolver` turns the traversals that :meth:`netsim.sim.fast.net.FastNet.walk`
recorded in :class:`~netsim.sim.fast.slots.Slots` into sojourns and buffer drops with the
vectorised Lindley recursion (:func:`netsim.sim.fast.queue.fifo_queue`) on each
direction's drain clock. After the first solve of a window, later fixed-point rounds
re-solve only the busy periods around the traversals that moved (:meth:`QueueSolver.resolve`).
Between windows it carries each direction's queue state: the work left at the boundary
and the traversals past it (*ghosts*), see docs/fast-engine.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.fast.queue import DrainClock, distinct, fifo_queue
from netsim.sim.fast.slots import delete_sorted, insert_sorted

if TYPE_CHECKING:
    from netsim.sim.control import ControlTimeline
    from netsim.sim.fast.net import FastNet
    from netsim.sim.fast.slots import Slots

TOLERANCE_S = 1e-12  # sojourn changes below this do not trigger another round
LOCAL_SPAN = 64  # positions: changes closer than this are re-solved together
MAX_LOCAL = 2000  # more changes than this in a direction: re-solve it whole


@dataclass(frozen=True, slots=True)
class _Carry:
    v: float = 0.0  # work left after the last admitted arrival (s)
    tau: float = -np.inf  # at this virtual time
    ghost_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_q: np.ndarray = field(default_factory=lambda: np.zeros(0))  # their queue


_CLOCKS: list[tuple[ControlTimeline, tuple[object, ...], list[DrainClock]]] = []


def _clocks(net: FastNet, timeline: ControlTimeline) -> list[DrainClock]:
    """Each direction's drain clock, kept for the last timeline asked for: a worker computes
    several parts of one run, and a year's clocks (thousands of bulk steps per direction)
    take a good part of a second to build."""
    key = (*net.names, *net.cap.tolist())  # the directions, and the capacities they drain at
    if _CLOCKS and _CLOCKS[0][0] is timeline and _CLOCKS[0][1] == key:
        return _CLOCKS[0][2]
    clocks = [
        DrainClock.from_steps(
            timeline.bulk[n].times, timeline.bulk[n].values, net.topo.link(n[0]).capacity
        )
        for n in net.names
    ]
    _CLOCKS[:] = [(timeline, key, clocks)]
    return clocks


class QueueSolver:
    """Sojourns and drops of every direction's queue, window after window; see the module
    docstring. ``local_resolve=False`` re-solves whole directions in later rounds (the
    reference for the local re-solve); ``check_boundaries`` measures the window-boundary
    approximation into :attr:`boundary`."""

    def __init__(
        self,
        net: FastNet,
        timeline: ControlTimeline,
        local_resolve: bool = True,
        check_boundaries: bool = False,
    ) -> None:
        self.buffer_s = net.buffer_s
        self.burst_s = net.burst_s
        self.clocks = _clocks(net, timeline)
        self.carry = [_Carry() for _ in net.names]
        self.local_resolve = local_resolve
        self.check_boundaries = check_boundaries
        self.boundary = {"ghosts": 0, "changed": 0, "max_error_s": 0.0}

    def reset(self) -> None:
        """Empty every queue (a window that rebuilds its queues from a replayed tail)."""
        self.carry = [_Carry() for _ in self.carry]

    def solve(self, slots: Slots) -> np.ndarray:
        """Solve every direction's queue; the slots whose sojourn or verdict changed from the
        value the walk used."""
        first = not slots.solved
        slots.solved = True
        changed = [np.zeros(0, np.int64)]
        for k, o in enumerate(slots.orders):
            if len(o) == 0 and len(self.carry[k].ghost_t) == 0:
                continue
            soj, drop, queue = result = self._fifo(k, slots, o)
            if not first:
                changed.append(self._store(slots, o, result))
                continue
            # The walk used the service time alone and admitted everyone: only a wait
            # (queue or standing queue) or a drop changes anything, and only those are
            # stored (a slot's queue starts at 0 and its sojourn at "the service time").
            diff = self._waits(k, slots, o, soj, queue) > TOLERANCE_S
            if drop.any():
                diff |= drop
            at = o[diff]
            slots.soj[at], slots.drop[at], slots.queue[at] = soj[diff], drop[diff], queue[diff]
            changed.append(at)
        return np.concatenate(changed)

    def resolve(
        self, slots: Slots, added: dict[int, np.ndarray], removed: dict[int, np.ndarray]
    ) -> np.ndarray:
        """Re-solve the queues after traversals were added and removed; changed slots.

        Only the busy periods around each change are recomputed: the system is empty at
        an arrival whose stored queue is 0, so the recursion restarts there, and it ends
        at the first arrival after the change that finds the system empty both before and
        after it (from there on nothing differs).
        """
        changed = [np.zeros(0, np.int64)]
        for k in sorted(set(added) | set(removed)):
            o = slots.orders[k]
            pos = added.get(k, np.zeros(0, np.int64))
            gone = np.searchsorted(slots.times[k], removed.get(k, np.zeros(0)), "left")
            ghost_end = self.carry[k].ghost_t.max() if len(self.carry[k].ghost_t) else -np.inf
            if not self.local_resolve:
                changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                continue
            done, settled, got = self._quick(k, slots, o, pos, gone, ghost_end=ghost_end)
            changed.append(got)
            marks = distinct(np.concatenate([pos[~done], gone[~settled]]))
            marks = marks[marks < len(o)]
            if len(marks) > MAX_LOCAL:
                changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                continue
            cuts = np.flatnonzero(np.diff(marks) > LOCAL_SPAN) + 1
            for group in np.split(marks, cuts):
                if len(group):
                    local = self._local(
                        k, slots, o, int(group[0]), int(group[-1]), ghost_end=ghost_end
                    )
                    if local is None:
                        changed.append(self._store(slots, o, self._fifo(k, slots, o)))
                        break
                    changed.append(local)
        slots.fresh[:] = False
        return np.concatenate(changed)

    def _quick(
        self,
        k: int,
        slots: Slots,
        o: np.ndarray,
        pos: np.ndarray,
        gone: np.ndarray,
        *,
        ghost_end: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        dep_prev = (
            clock.tau(slots.t[prev])
            + slots.queue[prev]
            + np.where(slots.drop[prev], 0.0, slots.svc[prev])
        )
        ok &= dep_prev <= tau_here
        nxt = o[np.minimum(pos + 1, n - 1)]
        last = pos + 1 >= n
        ok &= last | (
            ~slots.fresh[nxt]
            & (slots.queue[nxt] == 0)
            & (tau_here + slots.svc[here] <= clock.tau(slots.t[nxt]))
        )
        sel = here[ok]
        standing = self._standing(k, slots, sel, slots.t[sel])
        svc = slots.svc[sel]
        held = np.minimum(svc, self.burst_s[k])  # a message holds its first window at most
        drop = standing + held > self.buffer_s[k] * (1 + 1e-12)
        got = self._store(slots, sel, (standing + svc, drop, np.zeros(len(sel))))
        settled |= (gone < n) & np.isin(after, sel)
        slots.fresh[sel] = False
        return ok, settled, got

    def _local(
        self, k: int, slots: Slots, o: np.ndarray, p0: int, p1: int, *, ghost_end: float
    ) -> np.ndarray | None:
        """Recompute positions around ``[p0, p1]`` of direction ``k`` (None: do it all)."""
        lo = max(p0 - LOCAL_SPAN, 0)
        back = o[lo:p0]
        empty = np.flatnonzero((slots.queue[back] == 0) & ~slots.fresh[back] & ~slots.drop[back])
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
            calm = np.flatnonzero(
                after & (queue == 0) & (slots.queue[seg] == 0) & ~slots.fresh[seg] & ~drop
            )
            if len(calm) or end == len(o):
                stop = int(calm[0]) if len(calm) else len(seg)
                return self._store(slots, seg[:stop], (soj[:stop], drop[:stop], queue[:stop]))
            span *= 4

    @staticmethod
    def _store(
        slots: Slots, o: np.ndarray, result: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> np.ndarray:
        soj, drop, queue = result
        used = slots.soj[o]
        used = np.where(np.isnan(used), slots.svc[o], used)
        diff = (np.abs(soj - used) > TOLERANCE_S) | (drop != slots.drop[o])
        slots.soj[o], slots.drop[o], slots.queue[o] = soj, drop, queue
        return np.asarray(o[diff])

    def _fifo(
        self, k: int, slots: Slots, o: np.ndarray, fresh_start: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sojourn, drops and queue of the traversals ``o`` of direction ``k``, after the
        previous window's ghosts and carried work (unless ``fresh_start``: empty system)."""
        carry = _Carry() if fresh_start else self.carry[k]
        whole = o is slots.orders[k]
        tt, ss = (slots.times[k] if whole else slots.t[o]), slots.svc[o]
        mine_ss = ss
        standing = self._standing(k, slots, o, tt)
        pos = None
        if len(carry.ghost_t):  # the first arrivals of the window: splice the heads
            pos = np.searchsorted(tt, carry.ghost_t, side="right")
            tt = insert_sorted(tt, pos, carry.ghost_t)
            ss = insert_sorted(ss, pos, carry.ghost_s)
            if not isinstance(standing, float):  # (a float is the same for the ghosts)
                standing = insert_sorted(standing, pos, 0.0)
        if len(tt) == 0:
            empty = np.zeros(0)
            return empty, np.zeros(0, dtype=bool), empty
        clock = self.clocks[k]
        tau = clock.tau(tt)
        ref = tau[0]  # subtract a reference: precision over a year of tau
        tau = tau - ref
        # First without the buffer (its first round): nothing is dropped where no arrival
        # can overflow it (the largest queue + standing + wire fits), the common case.
        queue, drop = fifo_queue(ss, standing, tau, ss, v0=carry.v, tau0=carry.tau - ref)
        buffer_s = self.buffer_s[k]
        if np.isfinite(buffer_s) and not self._fits(k, queue, standing, mine_ss):
            wire = np.minimum(mine_ss, self.burst_s[k])  # a message's first window at most
            if pos is not None:
                wire = insert_sorted(wire, pos, -np.inf)  # the ghosts' admission is decided
            queue, drop = fifo_queue(
                ss, standing, tau, wire, buffer_s=buffer_s, v0=carry.v, tau0=carry.tau - ref
            )
        soj = queue + ss
        if not isinstance(standing, float):
            soj += standing
        if pos is None:
            return soj, drop, queue
        ghosts = pos + np.arange(len(pos))  # where np.insert put them
        return delete_sorted(soj, ghosts), delete_sorted(drop, ghosts), delete_sorted(queue, ghosts)

    def _fits(
        self, k: int, queue: np.ndarray, standing: np.ndarray | float, service: np.ndarray
    ) -> bool:
        """True if no arrival can overflow direction ``k``'s buffer: the largest queue plus
        the largest standing queue plus the largest buffer use (``fifo_queue``'s test, which
        rounding keeps monotonic) fits."""
        if len(service) == 0:
            return False
        most = float(queue.max())
        if not isinstance(standing, float):
            most += float(standing.max())
        else:
            most += standing
        most += min(float(service.max()), float(self.burst_s[k]))
        return bool(most <= self.buffer_s[k] * (1 + 1e-12))

    def _waits(
        self, k: int, slots: Slots, o: np.ndarray, soj: np.ndarray, queue: np.ndarray
    ) -> np.ndarray:
        """The wait (queue and standing queue) of the traversals ``o`` just solved."""
        if not self.clocks[k].ever_saturated:
            return queue
        return np.asarray(soj - slots.svc[o])

    def _standing(self, k: int, slots: Slots, o: np.ndarray, t: np.ndarray) -> np.ndarray | float:
        """Standing queue met by traversals ``o`` arriving at ``t`` (saturated periods;
        ``0.0`` when the direction is never saturated)."""
        clock = self.clocks[k]
        if not clock.ever_saturated:
            return 0.0
        out = np.zeros(len(o))
        sat = clock.saturated_at(t)
        if sat.any():
            out[sat] = clock.standing(t[sat], slots.uniform(o[sat], 1))
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
            tt = slots.times[k]
            cut = int(np.searchsorted(tt, boundary, side="left"))
            v, tau = carry.v, carry.tau
            last = _last_admitted(slots, o[:cut])
            if last is not None:
                v = float(slots.queue[last] + slots.svc[last])
                tau = float(self.clocks[k].tau(slots.t[last : last + 1])[0])
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
        standing = np.insert(
            np.broadcast_to(self._standing(k, slots, o, slots.t[o]), len(o)), pos, 0.0
        )
        tau = self.clocks[k].tau(tt)
        queue, _ = fifo_queue(
            ss,
            standing,
            tau - tau[0],
            np.full(len(tt), -np.inf),
            buffer_s=self.buffer_s[k],
            v0=carry.v,
            tau0=carry.tau - tau[0],
        )
        err = np.abs(queue[ghost] - carry.ghost_q)
        err = err[np.isfinite(err)]
        self.boundary["ghosts"] += len(carry.ghost_t)
        self.boundary["changed"] += int((err > TOLERANCE_S).sum())
        self.boundary["max_error_s"] = max(
            self.boundary["max_error_s"], float(err.max()) if len(err) else 0.0
        )


def _last_admitted(slots: Slots, o: np.ndarray) -> int | None:
    """The last of the traversals ``o`` that was not dropped (drops are rare: look back
    a few at a time)."""
    end = len(o)
    while end > 0:
        start = max(0, end - 64)
        kept = np.flatnonzero(~slots.drop[o[start:end]])
        if len(kept):
            return int(o[start + kept[-1]])
        end = start
    return None

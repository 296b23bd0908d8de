"""The fast data plane: every packet's latency computed in bulk with numpy, window by window.

A :class:`~netsim.sim.dataplane.DataPlane` like the exact engine (:mod:`netsim.sim.exact`):
the scenario, the seed and the :class:`~netsim.sim.control.ControlTimeline` of the simpy
control plane in, the attempts of a :class:`~netsim.trace.core.Trace` out. The semantics
are those of the exact engine (routes at send time and at the server, link state at each
hop's arrival, fluid FIFO queues with standing queue and buffer drops, sidecar samples,
Istio retries); only the order of computation differs:

1. Time is cut into *windows* of about ``WINDOW_ATTEMPTS`` requests. All requests first
   sent in a window are processed together, with their responses and retries.
2. Within a window the packets are walked stage by stage (:meth:`FastNet.walk`): request
   legs, then response legs, then the next *wave* of attempts for the requests that failed
   (a retry is sent ``per_try_timeout + backoff`` after the previous attempt if that one
   was not answered in time). Every queue traversal is collected.
3. The sojourn of every traversal is computed per link direction by the vectorised Lindley
   recursion (:class:`netsim.sim.fast.solver.QueueSolver`). Since directions feed each other (a
   response's arrival depends on the request's queues), steps 2-3 are repeated until the
   sojourns reproduce themselves exactly (fixed-point iteration; two rounds at light load).
4. Queue state crosses window boundaries: the work left at the boundary and the
   traversals after it (late responses, retries) are carried into the next window's
   queues. The previous window's late traversals are not revised for the next window's
   early packets that precede them: this is the engine's one approximation of the FIFO
   order (measured in docs/fast-engine.md).

Random draws come from explicit streams per (class, destination, window, wave), so a run
is deterministic per seed but does not reproduce the exact engine's draws. For long runs
only the rows around failures are kept (failover gaps are still measured from the data
plane); latency statistics then come from :class:`~netsim.trace.sketch.SketchSet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from netsim.sim.dataplane import DataPlane, DirectionCount, PacketResult, Progress
from netsim.sim.ecmp import request_hashes
from netsim.sim.fast.load import Load, Requests
from netsim.sim.fast.net import FastNet
from netsim.sim.fast.queue import stream_key
from netsim.sim.fast.slots import Slots
from netsim.sim.fast.solver import QueueSolver
from netsim.trace.core import LATE, LOST, OK, R_NO_ROUTE, R_TIMEOUT
from netsim.trace.sketch import SketchSet

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline
    from netsim.trace.core import Trace

WINDOW_ATTEMPTS = 250_000
MIN_WINDOW_S, MAX_WINDOW_S = 60.0, 6 * 3600.0
MAX_ROUNDS = 12
ROW_LIMIT = 6_000_000  # expected attempts above which only rows around failures are kept
ROW_MARGIN_S = 30.0


class FastDataPlane(DataPlane):
    """Computes the packet traffic of a scenario over a control timeline; see the module doc.

    ``rows``: ``all`` keeps every attempt row, ``failures`` only those around failures,
    ``auto`` all unless the run expects more than ``ROW_LIMIT`` attempts. The other options
    exist for tests and benchmarks: the window size, whether later fixed-point rounds
    re-solve queues locally (the default) or whole (the reference), and whether to measure
    the window-boundary approximation (``meta["fast"]["boundary"]``).
    """

    NAME: ClassVar[str] = "fast"

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        timeline: ControlTimeline,
        trace: Trace,
        *,
        rows: str = "auto",
        window_attempts: int = WINDOW_ATTEMPTS,
        local_resolve: bool = True,
        check_boundaries: bool = False,
    ) -> None:
        super().__init__(scenario, seed, timeline, trace)
        self.window_attempts = window_attempts
        self.net = FastNet(scenario, timeline, trace)
        self.queues = QueueSolver(self.net, timeline, local_resolve, check_boundaries)
        self.load = Load(scenario, seed, trace.nodes)
        self.flows, self.attr = self.load.flows, self.load.attr
        self.H = self.net.H
        self.sketches = SketchSet(
            trace.classes, SketchSet.buckets(scenario.duration, scenario.warmup)
        )
        self.rows = self._row_policy(rows, timeline)
        n_bins = int(np.ceil(scenario.duration / trace.bin_s))
        self.bins = np.zeros((len(self.net.names), n_bins))
        self.bytes = np.zeros(len(self.net.names))
        self.rounds: list[int] = []
        self._hashed: tuple[Requests, np.ndarray] | None = None

    # ---- policy ---------------------------------------------------------------------
    def _row_policy(self, rows: str, timeline: ControlTimeline) -> str:
        if rows == "auto":
            rows = "all" if self.load.expected_attempts() <= ROW_LIMIT else "failures"
        if rows not in ("all", "failures"):
            raise ValueError(f"rows must be auto, all or failures, not {rows!r}")
        spans = []
        for rec in timeline.failovers:
            end = (
                rec.switched_at_s
                if rec.switched_at_s is not None
                else (
                    rec.repaired_at_s if rec.repaired_at_s is not None else self.scenario.duration
                )
            )
            spans.append((rec.failed_at_s - ROW_MARGIN_S, end + ROW_MARGIN_S))
        merged: list[list[float]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.row_spans = np.array(merged or [[-1.0, -1.0]], dtype=float)
        return rows

    # ---- windows --------------------------------------------------------------------
    def windows(self) -> np.ndarray:
        dur = self.scenario.duration
        rate = sum(f.rate for f in self.flows) or 1.0
        width = min(max(self.window_attempts / rate, MIN_WINDOW_S), MAX_WINDOW_S, dur)
        return np.append(np.arange(0.0, dur, width), dur)

    def run(self, progress: Progress | None = None) -> PacketResult:
        edges = self.windows()
        for w in range(len(edges) - 1):
            self._window(w, float(edges[w]), float(edges[w + 1]))
            if progress is not None:
                progress(float(edges[w + 1]), self.scenario.duration)
        counts = {
            name: DirectionCount(float(self.bytes[i]), self.bins[i])
            for i, name in enumerate(self.net.names)
        }
        fast = {
            "windows": len(self.rounds),
            "rounds_max": max(self.rounds, default=0),
            "unconverged_windows": sum(r >= MAX_ROUNDS for r in self.rounds),
            **({"boundary": self.queues.boundary} if self.queues.check_boundaries else {}),
        }
        return PacketResult(
            counts,
            {
                "data_plane": self.NAME,
                "rows": self.rows,
                "sketches": self.sketches.to_json(),
                "fast": fast,
            },
        )

    def _flow_hashes(self, rq: Requests) -> np.ndarray:
        """The flow hash of every request of the window (:mod:`netsim.sim.ecmp`), once."""
        if self._hashed is None or self._hashed[0] is not rq:
            flows = [(f.ci, f.di) for f in self.flows]
            self._hashed = (rq, request_hashes(self.seed, flows, rq.bounds, rq.req))
        return self._hashed[1]

    # ---- one wave of attempts ------------------------------------------------------
    def _wave(
        self, rq: Requests, dr: dict[str, np.ndarray], k: int, m: np.ndarray, slots: Slots
    ) -> dict[str, Any]:
        """Walk wave ``k`` of the requests ``m``: their attempts' fates and traversals.

        The phases: when each attempt leaves and what bounds it, the request leg, the end of
        the one-way attempts at their destination, the response leg of the others, the rows.
        """
        wave = self._attempts(rq, dr, k, m, slots)
        fates = _Fates.unanswered(wave)
        i, arr = self._request_leg(wave, fates)
        i, arr = _deliver_one_way(wave, fates, i, arr)
        if len(i):
            self._response_leg(wave, fates, i, arr)
        return self._wave_rows(wave, fates)

    def _attempts(
        self, rq: Requests, dr: dict[str, np.ndarray], k: int, m: np.ndarray, slots: Slots
    ) -> _Wave:
        """Wave ``k`` of the requests ``m``: each attempt's send time, limits and route."""
        h, n = self.H, rq.n
        full = len(m) == n  # wave 0 of round 1: skip the gathers

        def take(x: np.ndarray) -> np.ndarray:
            return x if full else x[m]

        fl = take(rq.flow)
        a = self.attr
        t0 = take(rq.t0)
        per_try = a["per_try"][fl]
        pause = per_try + a["backoff"][fl]
        ts = t0 + k * pause if k else t0
        src, dst = a["src"][fl], a["dst"][fl]
        flow_u = take(self._flow_hashes(rq)) if self.net.multipath else None
        dbase = m * (2 * h)
        return _Wave(
            k=k,
            m=m,
            full=full,
            draws=dr,
            slots=slots,
            fl=fl,
            ts=ts,
            per_try=per_try,
            pause=pause,
            rr=a["rr"][fl],
            src=src,
            dst=dst,
            deadline=t0 + a["timeout"][fl],
            leg0=self.net.leg(ts, src, dst, flow_u),
            flow_u=flow_u,
            dbase=dbase,
            wbase=dbase + k * n * 2 * h,
        )

    def _request_leg(self, wave: _Wave, fates: _Fates) -> tuple[np.ndarray, np.ndarray]:
        """Walk the requests of the routed attempts; the attempts whose request arrived
        (indices into the wave) and when."""
        dr, m = wave.draws, wave.m
        routed = wave.leg0 >= 0
        i = np.arange(len(m)) if routed.all() else np.flatnonzero(routed)
        mi = m[i]
        arr, alive, why = self.net.walk(
            wave.ts[i] + dr["side0"][mi],
            wave.leg0[i],
            dr["size0"][mi],
            wave.dbase[i],
            wave.wbase[i],
            z=dr["z"],
            slots=wave.slots,
        )
        if not alive.all():
            fates.reason[i[~alive]] = why[~alive]
            i, arr = i[alive], arr[alive]
        return i, arr

    def _response_leg(self, wave: _Wave, fates: _Fates, i: np.ndarray, arr: np.ndarray) -> None:
        """The server answers the requests that arrived (``i`` at ``arr``); walk the responses
        and settle each attempt: answered in time (per try and overall), late, or lost."""
        net, h, dr, m = self.net, self.H, wave.draws, wave.m
        mi = m[i]
        t_resp = arr + dr["side1"][mi] + dr["server"][mi] + dr["side2"][mi]
        leg1 = net.leg(
            t_resp, wave.dst[i], wave.src[i], None if wave.flow_u is None else wave.flow_u[i]
        )
        if (leg1 < 0).any():
            fates.reason[i[leg1 < 0]] = R_NO_ROUTE
            ok = leg1 >= 0
            i, t_resp, leg1 = i[ok], t_resp[ok], leg1[ok]
        arr, alive, why = net.walk(
            t_resp,
            leg1,
            dr["size1"][m[i]],
            wave.dbase[i] + h,
            wave.wbase[i] + h,
            z=dr["z"],
            slots=wave.slots,
        )
        fates.reason[i[~alive]] = why[~alive]
        i = i[alive]
        tj = arr[alive] + dr["side3"][m[i]]
        fates.t_done[i] = tj
        on_time = tj <= np.minimum(wave.deadline[i], wave.ts[i] + wave.per_try[i])
        fates.status[i] = np.where(on_time, OK, LATE)
        fates.reason[i[on_time]] = 0

    def _wave_rows(self, wave: _Wave, fates: _Fates) -> dict[str, Any]:
        """The wave's rows (one per request of ``m``) and the requests to retry."""
        leg0 = wave.leg0
        path = self.net.leg_path[np.maximum(leg0, 0)]
        path[leg0 < 0] = -1
        retry = (
            (fates.status != OK)
            & (wave.k + 1 < self.attr["attempts"][wave.fl])
            & (wave.ts + wave.pause < wave.deadline)
        )
        size0, size1 = wave.take(wave.draws["size0"]), wave.take(wave.draws["size1"])
        return {
            "m": wave.m,
            "t_send": wave.ts,
            "t_done": fates.t_done,
            "status": fates.status,
            "reason": fates.reason,
            "path": path,
            "bytes": np.where(wave.rr, size0 + size1, size0),
            "retry": wave.m[retry],
        }

    def _walk(
        self,
        rq: Requests,
        w: int,
        reqs: np.ndarray,
        slots: Slots,
        *,
        draws: dict[int, dict[str, np.ndarray]],
        waves: list[dict[str, np.ndarray]],
    ) -> np.ndarray:
        """(Re)walk every wave of requests ``reqs``; the slots they now occupy."""
        per = 2 * self.H
        hops = np.arange(per)
        m, k, touched = reqs, 0, []
        while len(m):
            if k not in draws:
                fresh = self.load.draws(rq, w, k, self.H)
                # A retry resends the same request: it keeps the sizes, server time and
                # sidecar samples of the first attempt (as the exact engine does); only its
                # hop delays are new.
                draws[k] = fresh if k == 0 else {**draws[0], "z": fresh["z"]}
                slots.keys.append(stream_key(self.seed, "fast-uniform", w, k))
                slots.grow(k + 1)
            if len(waves) <= k:
                waves.append(_results(rq.n))
            out = self._wave(rq, draws[k], k, m, slots)
            res = waves[k]
            if len(m) == rq.n:  # everyone (wave 0, round 1): no scatter needed
                res.update({name: out[name] for name in _RESULT_FIELDS})
                res["t_send"] = res["t_send"].copy()  # may alias the window's t0
                res["present"][:] = True
            else:
                for name in _RESULT_FIELDS:
                    res[name][m] = out[name]
                res["present"][m] = True
            touched.append(((k * rq.n + m) * per)[:, None] + hops)
            m, k = out["retry"], k + 1
        if not touched:  # no request in the window (e.g. a scenario with only bulk traffic)
            return np.zeros(0, np.int64)
        return np.concatenate(touched).reshape(-1)

    def _solve(self, rq: Requests, w: int) -> tuple[list[dict[str, np.ndarray]], Slots]:
        """Waves of attempts and queue sojourns at their common fixed point.

        Round 1 walks everything with service times alone and solves every queue; each
        later round re-walks only the requests one of whose traversals changed sojourn
        (or drop verdict), updates the orders of the directions they touch and re-solves
        those. It stops when no sojourn changes (exact fixed point).
        """
        per = 2 * self.H
        slots = Slots(
            rq.n * per, len(self.net.names), [stream_key(self.seed, "fast-uniform", w, 0)]
        )
        draws: dict[int, dict[str, np.ndarray]] = {0: self.load.draws(rq, w, 0, self.H)}
        waves: list[dict[str, np.ndarray]] = []
        self._walk(rq, w, np.arange(rq.n), slots, draws=draws, waves=waves)
        slots.build_orders()
        changed = self.queues.solve(slots)
        rounds = 1
        while len(changed) and rounds < MAX_ROUNDS:
            rounds += 1
            reqs = np.unique((changed % slots.block) // per)
            mine = ((np.arange(slots.waves)[:, None] * rq.n + reqs) * per)[..., None]
            old = (mine + np.arange(per)).reshape(-1)
            old_d, old_t = slots.d[old].copy(), slots.t[old].copy()
            slots.d[old] = -1
            for res in waves:
                res["present"][reqs] = False
            new = self._walk(rq, w, reqs, slots, draws=draws, waves=waves)
            # Only traversals that moved (other arrival or direction) change the queues.
            cand = np.union1d(old, new)
            at = np.searchsorted(old, cand).clip(max=len(old) - 1)
            known = old[at] == cand
            before_d = np.where(known, old_d[at], -1)
            before_t = np.where(known, old_t[at], np.nan)
            same = (before_d == slots.d[cand]) & (before_t == slots.t[cand])
            gone = cand[(before_d >= 0) & ~same]
            removed = slots.remove(
                gone, before_d[(before_d >= 0) & ~same], before_t[(before_d >= 0) & ~same]
            )
            added = cand[(slots.d[cand] >= 0) & ~same]
            changed = self.queues.resolve(slots, slots.insert(added), removed)
        self.rounds.append(rounds)
        return waves, slots

    # ---- results --------------------------------------------------------------------
    def _window(self, w: int, t_lo: float, t_hi: float) -> None:
        rq = self.load.requests(w, t_lo, t_hi)
        waves, slots = self._solve(rq, w)
        self.queues.advance(slots, t_hi)
        self._count_bytes(slots)
        if rq.n == 0:
            return
        ci = self.attr["ci"][rq.flow]
        ok = np.zeros(rq.n, dtype=bool)
        latency = np.full(rq.n, np.nan)
        tries = np.zeros(rq.n, np.int64)
        for k, res in enumerate(waves):
            m = np.flatnonzero(res["present"])
            tries[m] += 1
            status = res["status"][m]
            good = m[status == OK]
            ok[good] = True
            latency[good] = res["t_done"][good] - rq.t0[good]
            lost = m[status == LOST]
            self.sketches.add_losses(ci[lost], res["t_send"][lost], res["reason"][lost])
            self._rows(rq, res, m, k, ci)
        self.sketches.add_requests(ci, rq.t0, ok, latency, tries)

    def _rows(
        self, rq: Requests, res: dict[str, np.ndarray], m: np.ndarray, k: int, ci: np.ndarray
    ) -> None:
        if self.rows == "failures":
            t = res["t_send"][m]
            j = np.searchsorted(self.row_spans[:, 0], t, side="right") - 1
            m = m[(j >= 0) & (t <= self.row_spans[np.maximum(j, 0), 1])]
        if len(m) == 0:
            return
        self.trace.attempts.extend(
            cls=ci[m],
            dst=self.attr["dst"][rq.flow[m]],
            req=rq.req[m],
            attempt=np.full(len(m), k),
            t_send=res["t_send"][m],
            t_done=res["t_done"][m],
            status=res["status"][m],
            reason=res["reason"][m],
            path=res["path"][m],
            bytes=res["bytes"][m],
        )

    def _count_bytes(self, slots: Slots) -> None:
        """Bytes admitted per direction, in total and per time bin of arrival."""
        n_bins = self.bins.shape[1]
        for k, o in enumerate(slots.orders):
            keep = o[~slots.drop[o]]
            if len(keep) == 0:
                continue
            wire = slots.svc[keep] * (self.net.cap[k] / 8)
            self.bytes[k] += wire.sum()
            b = (slots.t[keep] / self.trace.bin_s).astype(np.int64)
            inside = b < n_bins  # sorted by time: a prefix
            lo = int(b[0]) if inside.any() else 0
            part = np.bincount(b[inside] - lo, weights=wire[inside])
            self.bins[k, lo : lo + len(part)] += part


@dataclass(frozen=True, slots=True)
class _Wave:
    """Wave ``k`` of the requests ``m`` of a window (arrays over ``m``): when each attempt
    is sent and what bounds it, with the wave's draws and the window's traversal slots."""

    k: int
    m: np.ndarray  # the requests: indices into the window's Requests
    full: bool  # all the window's requests in order (wave 0 of round 1): no gathers needed
    draws: dict[str, np.ndarray]  # sizes, sidecar and server samples, hop delays ``z``
    slots: Slots
    fl: np.ndarray  # each request's flow
    ts: np.ndarray  # when this attempt is sent
    per_try: np.ndarray  # per-try timeout (0: none)
    pause: np.ndarray  # from one attempt to the next: per-try timeout + backoff
    rr: np.ndarray  # request-response (else one-way)
    src: np.ndarray
    dst: np.ndarray
    deadline: np.ndarray  # the request's overall timeout
    leg0: np.ndarray  # the request's leg at send time (-1: no route)
    flow_u: np.ndarray | None  # each request's flow hash (multipath routes only)
    dbase: np.ndarray  # first hop delay draw of each attempt (into ``draws["z"]``)
    wbase: np.ndarray  # first traversal slot of each attempt (into ``slots``)

    def take(self, x: np.ndarray) -> np.ndarray:
        """``x`` (one value per request of the window) for the requests of the wave."""
        return x if self.full else x[self.m]


@dataclass(frozen=True, slots=True)
class _Fates:
    """What became of each attempt of a wave (arrays over ``m``), filled in leg by leg."""

    status: np.ndarray
    reason: np.ndarray
    t_done: np.ndarray  # NaN: no answer (or, one-way, not received)

    @staticmethod
    def unanswered(wave: _Wave) -> _Fates:
        """Before the walk: every attempt lost, for want of a route or (routed requests)
        by timing out."""
        n = len(wave.m)
        return _Fates(
            np.full(n, LOST, np.int8),
            np.where(wave.rr & (wave.leg0 >= 0), R_TIMEOUT, R_NO_ROUTE).astype(np.int8),
            np.full(n, np.nan),
        )


def _deliver_one_way(
    wave: _Wave, fates: _Fates, i: np.ndarray, arr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Settle the one-way attempts among those that arrived (``i`` at ``arr``): received
    after the sidecar, on time or late. The request-response ones are returned."""
    one_way = ~wave.rr[i]
    if not one_way.any():
        return i, arr
    j = i[one_way]
    tj = arr[one_way] + wave.draws["side1"][wave.m[j]]
    fates.t_done[j] = tj
    late = tj > wave.deadline[j]
    fates.status[j] = np.where(late, LATE, OK)
    fates.reason[j] = np.where(late, R_TIMEOUT, 0)
    return i[~one_way], arr[~one_way]


_RESULT_FIELDS = ("t_send", "t_done", "status", "reason", "path", "bytes")


def _results(n: int) -> dict[str, np.ndarray]:
    """Per-request results of one wave (``present``: the request made this attempt)."""
    return {
        "t_send": np.zeros(n),
        "t_done": np.full(n, np.nan),
        "status": np.full(n, LOST, np.int8),
        "reason": np.zeros(n, np.int8),
        "path": np.full(n, -1, np.int16),
        "bytes": np.zeros(n),
        "present": np.zeros(n, dtype=bool),
    }

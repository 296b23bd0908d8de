"""The fast data plane: every packet's latency computed in bulk with numpy, window by window.

Same inputs as the exact engine (:mod:`netsim.sim.exact`): the scenario, the seed and the
:class:`~netsim.sim.control.ControlTimeline` of the simpy control plane; same output: a
:class:`~netsim.sim.trace.Trace`. The semantics are those of the exact engine (routes at
send time and at the server, link state at each hop's arrival, fluid FIFO queues with
standing queue and buffer drops, sidecar samples, Istio retries); only the order of
computation differs:

1. Time is cut into *windows* of about ``WINDOW_ATTEMPTS`` requests. All requests first
   sent in a window are processed together, with their responses and retries.
2. Within a window the packets are walked stage by stage (:meth:`FastNet.walk`): request
   legs, then response legs, then the next *wave* of attempts for the requests that failed
   (a retry is sent ``per_try_timeout + backoff`` after the previous attempt if that one
   was not answered in time). Every queue traversal is collected.
3. The sojourn of every traversal is computed per link direction by the vectorised Lindley
   recursion (:func:`netsim.sim.fastq.fifo`). Since directions feed each other (a
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
plane); latency statistics then come from :class:`~netsim.sim.sketch.SketchSet`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from netsim.model.scenario import Scenario, TrafficKind
from netsim.sim.arrivals import poisson_times
from netsim.sim.fastnet import FastNet, Slots
from netsim.sim.fastq import sample, stream
from netsim.sim.sketch import SketchSet
from netsim.sim.trace import LATE, LOST, OK, R_NO_ROUTE, R_TIMEOUT, Trace

if TYPE_CHECKING:
    from netsim.sim.control import ControlTimeline
    from netsim.sim.engine import Progress

WINDOW_ATTEMPTS = 250_000
MIN_WINDOW_S, MAX_WINDOW_S = 60.0, 6 * 3600.0
MAX_ROUNDS = 12
ROW_LIMIT = 6_000_000        # expected attempts above which only rows around failures are kept
ROW_MARGIN_S = 30.0


@dataclass(frozen=True, slots=True)
class Flow:
    """One (class, destination) stream of packets or requests."""

    ci: int
    di: int
    src: int
    dst: int
    rate: float
    rr: bool
    attempts: int
    per_try: float          # inf: no per-try timeout (then a single attempt)
    backoff: float
    timeout: float


@dataclass
class Requests:
    """The requests (or datagrams) first sent in one window, flattened over flows."""

    flow: np.ndarray
    req: np.ndarray
    t0: np.ndarray
    bounds: np.ndarray      # request index where each flow's segment starts (len flows + 1)

    @property
    def n(self) -> int:
        return len(self.t0)


class FastDataPlane:
    """Computes the packet traffic of a scenario over a control timeline; see the module doc."""

    def __init__(self, scenario: Scenario, seed: int, trace: Trace, timeline: ControlTimeline,
                 rows: str = "auto") -> None:
        self.scenario, self.seed, self.trace = scenario, seed, trace
        self.net = FastNet(scenario, timeline, trace)
        nodes = {n: i for i, n in enumerate(trace.nodes)}
        mesh = scenario.mesh
        self.flows: list[Flow] = []
        for ci, cls in enumerate(scenario.traffic):
            if cls.kind is TrafficKind.BULK:
                continue
            rr = cls.kind is TrafficKind.REQUEST_RESPONSE
            policy = cls.retries or mesh.retries
            per_try = policy.per_try_timeout if rr and policy.per_try_timeout else np.inf
            for di, dst in enumerate(cls.dsts):
                self.flows.append(Flow(ci, di, nodes[cls.src], nodes[dst],
                                       cls.rate / len(cls.dsts), rr,
                                       policy.attempts if np.isfinite(per_try) else 1,
                                       per_try, policy.backoff, cls.timeout))
        self.attr = {name: np.array([getattr(f, name) for f in self.flows] or [0])
                     for name in Flow.__slots__}
        self.next_req = [0] * len(self.flows)
        self.H = self.net.H
        self.sketches = SketchSet(trace.classes, SketchSet.buckets(scenario.duration,
                                                                   scenario.warmup))
        self.rows = self._row_policy(rows, timeline)
        n_bins = int(np.ceil(scenario.duration / trace.bin_s))
        self.bins = np.zeros((len(self.net.names), n_bins))
        self.bytes = np.zeros(len(self.net.names))
        self.rounds: list[int] = []

    # ---- policy ---------------------------------------------------------------------
    def expected_attempts(self) -> float:
        dur = self.scenario.duration
        out = 0.0
        for f in self.flows:
            cls = self.scenario.traffic[f.ci]
            out += f.rate * max(min(cls.stop or dur, dur) - cls.start, 0.0)
        return out

    def _row_policy(self, rows: str, timeline: ControlTimeline) -> str:
        if rows == "auto":
            rows = "all" if self.expected_attempts() <= ROW_LIMIT else "failures"
        if rows not in ("all", "failures"):
            raise ValueError(f"rows must be auto, all or failures, not {rows!r}")
        spans = []
        for rec in timeline.failovers:
            end = rec["switched_at_s"] if rec["switched_at_s"] is not None else (
                rec["repaired_at_s"] if rec["repaired_at_s"] is not None
                else self.scenario.duration)
            spans.append((rec["failed_at_s"] - ROW_MARGIN_S, end + ROW_MARGIN_S))
        merged: list[list[float]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.row_spans = np.array(merged or [(-1.0, -1.0)], dtype=float)
        return rows

    # ---- windows --------------------------------------------------------------------
    def windows(self) -> np.ndarray:
        dur = self.scenario.duration
        rate = sum(f.rate for f in self.flows) or 1.0
        width = min(max(WINDOW_ATTEMPTS / rate, MIN_WINDOW_S), MAX_WINDOW_S, dur)
        return np.append(np.arange(0.0, dur, width), dur)

    def run(self, progress: Progress | None = None) -> None:
        edges = self.windows()
        for w in range(len(edges) - 1):
            self._window(w, float(edges[w]), float(edges[w + 1]))
            if progress is not None:
                progress(float(edges[w + 1]), self.scenario.duration)

    def _requests(self, w: int, t_lo: float, t_hi: float) -> Requests:
        parts, bounds = [], [0]
        for i, f in enumerate(self.flows):
            cls = self.scenario.traffic[f.ci]
            stop = min(cls.stop if cls.stop is not None else self.scenario.duration,
                       self.scenario.duration)
            times = poisson_times(stream(self.seed, "fast-arrivals", f.ci, f.di, w), f.rate,
                                  cls.profile, max(t_lo, cls.start), min(t_hi, stop))
            parts.append(times)
            bounds.append(bounds[-1] + len(times))
        t0 = np.concatenate(parts) if parts else np.zeros(0)
        flow = np.repeat(np.arange(len(self.flows)), np.diff(bounds))
        req = np.empty(len(t0), np.int64)
        for i in range(len(self.flows)):
            n = bounds[i + 1] - bounds[i]
            req[bounds[i]:bounds[i + 1]] = np.arange(self.next_req[i], self.next_req[i] + n)
            self.next_req[i] += n
        return Requests(flow, req, t0, np.asarray(bounds))

    def _draws(self, rq: Requests, w: int, k: int) -> dict[str, np.ndarray]:
        """Sizes, server times, sidecars and per-hop normals/uniforms of wave ``k``."""
        n, h = rq.n, self.H
        out = {"size0": np.zeros(n), "size1": np.zeros(n), "server": np.zeros(n),
               "side": np.zeros((n, 3)), "z": np.zeros((n, 2, h)), "u": np.zeros((n, 2, h))}
        side = self.scenario.mesh.sidecar_latency
        for i, f in enumerate(self.flows):
            a, b = int(rq.bounds[i]), int(rq.bounds[i + 1])
            if a == b:
                continue
            cls, m = self.scenario.traffic[f.ci], b - a
            rng = stream(self.seed, "fast-draws", f.ci, f.di, w, k)
            legs = 2 if f.rr else 1
            if f.rr:
                out["size0"][a:b] = sample(cls.request_size, rng, m)
                out["size1"][a:b] = sample(cls.response_size, rng, m)
                out["server"][a:b] = sample(cls.server_time, rng, m)
            else:
                out["size0"][a:b] = sample(cls.size, rng, m)
            if side is not None:
                out["side"][a:b, :legs + 1] = sample(side, rng, m * (legs + 1)).reshape(m, -1)
            out["z"][a:b, :legs] = rng.standard_normal((m, legs, h))
            out["u"][a:b, :legs] = rng.random((m, legs, h))
        out["z"] = out["z"].reshape(-1)
        out["u"] = out["u"].reshape(-1)
        return out

    # ---- one wave of attempts ------------------------------------------------------
    def _wave(self, rq: Requests, dr: dict[str, np.ndarray], k: int, m: np.ndarray,
              slots: Slots) -> dict[str, Any]:
        """Walk wave ``k`` of the requests ``m``: their attempts' fates and traversals."""
        net, h, n = self.net, self.H, rq.n
        fl = rq.flow[m]
        a = self.attr
        t0 = rq.t0[m]
        ts = t0 + k * (a["per_try"][fl] + a["backoff"][fl]) if k else t0
        rr = a["rr"][fl].astype(bool)
        src, dst = a["src"][fl], a["dst"][fl]
        deadline = t0 + a["timeout"][fl]
        try_deadline = np.minimum(deadline, ts + a["per_try"][fl])
        leg0 = net.leg(ts, src, dst)
        status = np.full(len(m), LOST, np.int8)
        reason = np.where(leg0 < 0, R_NO_ROUTE, np.where(rr, R_TIMEOUT, R_NO_ROUTE)
                          ).astype(np.int8)
        t_done = np.full(len(m), np.nan)
        wbase = (k * n + m) * 2 * h
        dbase = m * 2 * h
        i = np.flatnonzero(leg0 >= 0)
        arr, alive, why = net.walk(ts[i] + dr["side"][m[i], 0], leg0[i], dr["size0"][m[i]],
                                   dbase[i], wbase[i], dr["z"], dr["u"], slots)
        reason[i[~alive]] = why[~alive]
        ok_i, arr = i[alive], arr[alive]
        one_way = ~rr[ok_i]
        j, tj = ok_i[one_way], arr[one_way] + dr["side"][m[ok_i[one_way]], 1]
        t_done[j] = tj
        late = tj > deadline[j]
        status[j] = np.where(late, LATE, OK)
        reason[j] = np.where(late, R_TIMEOUT, 0)
        j, tj = ok_i[~one_way], arr[~one_way]
        t_resp = tj + dr["side"][m[j], 1] + dr["server"][m[j]]
        leg1 = net.leg(t_resp, dst[j], src[j])
        reason[j[leg1 < 0]] = R_NO_ROUTE
        j, t_resp, leg1 = j[leg1 >= 0], t_resp[leg1 >= 0], leg1[leg1 >= 0]
        arr, alive, why = net.walk(t_resp, leg1, dr["size1"][m[j]], dbase[j] + h, wbase[j] + h,
                                   dr["z"], dr["u"], slots)
        reason[j[~alive]] = why[~alive]
        j, tj = j[alive], arr[alive] + dr["side"][m[j[alive]], 2]
        t_done[j] = tj
        on_time = tj <= try_deadline[j]
        status[j] = np.where(on_time, OK, LATE)
        reason[j[on_time]] = 0
        path = np.where(leg0 >= 0, net.leg_path[np.maximum(leg0, 0)], -1).astype(np.int16)
        nxt = ts + a["per_try"][fl] + a["backoff"][fl]
        retry = (status != OK) & (k + 1 < a["attempts"][fl]) & (nxt < deadline)
        size = np.where(rr, dr["size0"][m] + dr["size1"][m], dr["size0"][m])
        return {"m": m, "t_send": ts, "t_done": t_done, "status": status, "reason": reason,
                "path": path, "bytes": size, "retry": m[retry]}

    def _walk(self, rq: Requests, w: int, reqs: np.ndarray, slots: Slots,
              draws: dict[int, dict[str, np.ndarray]], waves: list[dict[str, np.ndarray]]
              ) -> np.ndarray:
        """(Re)walk every wave of requests ``reqs``; the slots they now occupy."""
        per = 2 * self.H
        hops = np.arange(per)
        m, k, touched = reqs, 0, []
        while len(m):
            if k not in draws:
                draws[k] = self._draws(rq, w, k)
                slots.grow(k + 1)
            if len(waves) <= k:
                waves.append(_results(rq.n))
            out = self._wave(rq, draws[k], k, m, slots)
            res = waves[k]
            for name in _RESULT_FIELDS:
                res[name][m] = out[name]
            res["present"][m] = True
            touched.append(((k * rq.n + m) * per)[:, None] + hops)
            m, k = out["retry"], k + 1
        return np.concatenate(touched).reshape(-1)

    def _solve(self, rq: Requests, w: int) -> tuple[list[dict[str, np.ndarray]], Slots]:
        """Waves of attempts and queue sojourns at their common fixed point.

        Round 1 walks everything with service times alone and solves every queue; each
        later round re-walks only the requests one of whose traversals changed sojourn
        (or drop verdict), updates the orders of the directions they touch and re-solves
        those. It stops when no sojourn changes (exact fixed point).
        """
        per = 2 * self.H
        slots = Slots(rq.n * per, len(self.net.names))
        draws: dict[int, dict[str, np.ndarray]] = {0: self._draws(rq, w, 0)}
        waves: list[dict[str, np.ndarray]] = []
        self._walk(rq, w, np.arange(rq.n), slots, draws, waves)
        slots.build_orders()
        changed = self.net.solve(slots)
        rounds = 1
        while len(changed) and rounds < MAX_ROUNDS:
            rounds += 1
            reqs = np.unique((changed % slots.block) // per)
            mine = ((np.arange(slots.waves)[:, None] * rq.n + reqs) * per)[..., None]
            old = (mine + np.arange(per)).reshape(-1)
            removed = slots.clear(old)
            for res in waves:
                res["present"][reqs] = False
            new = self._walk(rq, w, reqs, slots, draws, waves)
            changed = self.net.resolve(slots, slots.insert(new), removed)
        self.rounds.append(rounds)
        return waves, slots

    # ---- results --------------------------------------------------------------------
    def _window(self, w: int, t_lo: float, t_hi: float) -> None:
        rq = self._requests(w, t_lo, t_hi)
        waves, slots = self._solve(rq, w)
        self.net.advance(slots, t_hi)
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

    def _rows(self, rq: Requests, res: dict[str, np.ndarray], m: np.ndarray, k: int,
              ci: np.ndarray) -> None:
        if self.rows == "failures":
            t = res["t_send"][m]
            j = np.searchsorted(self.row_spans[:, 0], t, side="right") - 1
            m = m[(j >= 0) & (t <= self.row_spans[np.maximum(j, 0), 1])]
        if len(m) == 0:
            return
        self.trace.attempts.extend(
            cls=ci[m], dst=self.attr["dst"][rq.flow[m]], req=rq.req[m],
            attempt=np.full(len(m), k), t_send=res["t_send"][m], t_done=res["t_done"][m],
            status=res["status"][m], reason=res["reason"][m], path=res["path"][m],
            bytes=res["bytes"][m])

    def _count_bytes(self, slots: Slots) -> None:
        keep = np.flatnonzero((slots.d >= 0) & ~slots.drop)
        if len(keep) == 0:
            return
        d = slots.d[keep].astype(np.int64)
        wire = slots.svc[keep] * self.net.cap[d] / 8
        self.bytes += np.bincount(d, weights=wire, minlength=len(self.bytes))
        n_bins = self.bins.shape[1]
        b = (slots.t[keep] / self.trace.bin_s).astype(np.int64)
        inside = b < n_bins
        self.bins += np.bincount(d[inside] * n_bins + b[inside], weights=wire[inside],
                                 minlength=self.bins.size).reshape(self.bins.shape)

    def counters(self) -> dict[tuple[str, int], Any]:
        """Per direction, an object with ``bytes`` and ``bins`` (for ``finish_trace``)."""
        return {name: _Counter(float(self.bytes[i]), self.bins[i])
                for i, name in enumerate(self.net.names)}


_RESULT_FIELDS = ("t_send", "t_done", "status", "reason", "path", "bytes")


def _results(n: int) -> dict[str, np.ndarray]:
    """Per-request results of one wave (``present``: the request made this attempt)."""
    return {"t_send": np.zeros(n), "t_done": np.full(n, np.nan),
            "status": np.full(n, LOST, np.int8), "reason": np.zeros(n, np.int8),
            "path": np.full(n, -1, np.int16), "bytes": np.zeros(n),
            "present": np.zeros(n, dtype=bool)}


@dataclass(frozen=True, slots=True)
class _Counter:
    bytes: float
    bins: np.ndarray


def run_fast(scenario: Scenario, seed: int, progress: Progress | None = None,
             rows: str = "auto") -> Trace:
    """Control plane (simpy, as for the exact engine), then the fast data plane."""
    from netsim.sim.engine import (
        failure_schedule,
        finish_trace,
        new_trace,
        run_control,
        timeline_of,
    )

    started = time.perf_counter()
    control, bulk = run_control(scenario, seed, failure_schedule(scenario, seed))
    env = control.env
    env.run(until=scenario.duration)
    bulk.finalize(env.now)
    tail = max((c.timeout for c in scenario.traffic), default=0.0)
    env.run(until=scenario.duration + tail + 1.0)
    timeline = timeline_of(control, bulk)
    trace = new_trace(scenario, seed)
    plane = FastDataPlane(scenario, seed, trace, timeline, rows)
    plane.run(progress)
    finish_trace(trace, timeline, plane.counters())
    trace.meta["data_plane"] = "fast"
    trace.meta["rows"] = plane.rows
    trace.meta["sketches"] = plane.sketches.to_json()
    trace.meta["fast"] = {"windows": len(plane.rounds), "rounds_max": max(plane.rounds,
                                                                          default=0),
                          "unconverged_windows": sum(r >= MAX_ROUNDS for r in plane.rounds)}
    trace.wall_s = time.perf_counter() - started
    return trace

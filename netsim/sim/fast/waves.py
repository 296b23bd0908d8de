"""Waves of attempts: one window's requests walked leg by leg, retries as later waves.

Wave ``k`` holds the ``k``-th attempt of the requests that need one: an attempt not
answered within ``per_try_timeout`` is retried ``per_try_timeout + backoff`` after it,
while attempts remain and the request's deadline has not passed. :meth:`Waves.walk` walks
every wave of a set of requests, recording each queue traversal in
:class:`~netsim.sim.fast.slots.Slots`, and keeps each wave's per-request results;
:mod:`netsim.sim.fast.window` iterates walks and queue solves to their fixed point.

The first walk of a window's first wave is most of the work. There, each flow's requests
are contiguous and, unless a route changes or a link fails during the window, share one
route each way: such a flow is walked as one run (:meth:`FastNet.walk_run
<netsim.sim.fast.net.FastNet.walk_run>`: contiguous slices, scalar link parameters). Every
other walk (a flow whose links change state, retries, later rounds) takes the general path,
packet by packet in vectors (:meth:`FastNet.walk <netsim.sim.fast.net.FastNet.walk>`).
Both compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.ecmp import request_hashes
from netsim.sim.fast.queue import stream_key
from netsim.sim.wander import flow_code
from netsim.trace.core import LATE, LOST, OK, R_NO_ROUTE, R_TIMEOUT

if TYPE_CHECKING:
    from netsim.sim.fast.load import Load, Requests
    from netsim.sim.fast.net import FastNet
    from netsim.sim.fast.slots import Slots

RESULT_FIELDS = ("t_send", "t_done", "status", "reason", "path", "bytes")
Result = dict[str, np.ndarray]


def wave_results(n: int) -> Result:
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


class Waves:
    """Walks the waves of one window's requests ``rq``; see the module docstring.

    ``draws[k]`` are wave ``k``'s random values (a retry resends the same request: it keeps
    the sizes, server time and sidecar samples of the first attempt, as the exact engine
    does; only its hop delays are new) and ``results[k]`` its per-request results.
    """

    def __init__(
        self,
        net: FastNet,
        load: Load,
        seed: int,
        rq: Requests,
        slots: Slots,
        *,
        draws: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.net, self.load, self.seed, self.rq, self.slots = net, load, seed, rq, slots
        self.h = net.H
        dr = draws if draws is not None else load.draws(rq, net.H)
        self.draws: dict[int, dict[str, np.ndarray]] = {0: dr}
        self.results: list[Result] = []
        self.rounds = 0  # fixed-point rounds it took (set by the window)
        # What each request keeps through its attempts, looked up once per window (each
        # flow's requests are contiguous: repeat the flow's values).
        # (A scenario without packet traffic has no flows; its attribute arrays hold one
        # placeholder, hence the slices.)
        # (The first walk of a window needs few of them: the others are repeated when a
        # general walk first asks for them.)
        self.counts = counts = np.diff(rq.bounds)
        self.a = a = {name: values[: len(counts)] for name, values in load.attr.items()}
        # each flow's code (netsim.sim.wander): its requests'; its responses' is + 1
        self.flow_codes = flow_code(a["ci"], a["di"], 0)
        self.rr = np.repeat(a["rr"], counts)
        self.deadline = rq.t0 + np.repeat(a["timeout"], counts)
        self.bytes = np.where(self.rr, dr["size0"] + dr["size1"], dr["size0"])
        # Each request's flow hash (netsim.sim.ecmp), only where a route has several paths.
        self.flow_u = (
            request_hashes(seed, [(f.ci, f.di) for f in load.flows], rq.bounds, rq.idx, rq.window)
            if net.multipath
            else None
        )

    @cached_property
    def src(self) -> np.ndarray:
        return np.repeat(self.a["src"], self.counts)

    @cached_property
    def dst(self) -> np.ndarray:
        return np.repeat(self.a["dst"], self.counts)

    @cached_property
    def per_try(self) -> np.ndarray:
        return np.repeat(self.a["per_try"], self.counts)

    @cached_property
    def pause(self) -> np.ndarray:
        return np.repeat(self.a["per_try"] + self.a["backoff"], self.counts)

    @cached_property
    def attempts(self) -> np.ndarray:
        return np.repeat(self.a["attempts"], self.counts)

    @cached_property
    def codes(self) -> np.ndarray:
        """Each request's flow code (its requests'; its responses' is + 1)."""
        return np.repeat(self.flow_codes, self.counts)

    def walk(self, reqs: np.ndarray) -> np.ndarray:
        """(Re)walk every wave of the requests ``reqs``; the slots they now occupy."""
        rq, slots = self.rq, self.slots
        per = 2 * self.h
        m, k, touched = reqs, 0, []
        while len(m):
            if k not in self.draws:
                self.draws[k] = {**self.draws[0], "z": np.zeros((per, rq.n))}
                slots.keys.append(stream_key(self.seed, "fast-uniform", rq.window, k))
                slots.grow(k + 1)
            if k:
                self.draws[k]["z"][:, m] = self.load.retry_normals(rq, k, m, self.h)
            if len(self.results) <= k:
                self.results.append(wave_results(rq.n))
            res = self.results[k]
            if k == 0 and len(m) == rq.n and not slots.solved:
                out = self._first_wave()  # everyone, first round: no scatter needed
                res.update({name: out[name] for name in RESULT_FIELDS})
                res["t_send"] = res["t_send"].copy()  # aliases the window's t0
                res["present"][:] = True
            else:
                out = self._wave(k, m)
                for name in RESULT_FIELDS:
                    res[name][m] = out[name]
                res["present"][m] = True
            if k or len(m) < rq.n:  # a first walk of everyone: the caller needs no list
                rows = (k * per + np.arange(per, dtype=np.int64)) * rq.n
                touched.append((rows[:, None] + m).reshape(-1))
            m, k = out["retry"], k + 1
        return np.concatenate(touched) if touched else np.zeros(0, np.int64)

    def forget(self, reqs: np.ndarray) -> None:
        """The requests ``reqs`` will be walked again: their results are void."""
        for res in self.results:
            res["present"][reqs] = False

    # ---- the first walk of the first wave: one run per flow ---------------------------
    def _first_wave(self) -> Result:
        rq, net, dr, h, n = self.rq, self.net, self.draws[0], self.h, self.rq.n
        ts, z, attr = rq.t0, dr["z"], self.load.attr
        out: Result = {
            "t_send": ts,
            "t_done": np.empty(n),
            "status": np.empty(n, np.int8),
            "reason": np.empty(n, np.int8),
            "path": np.empty(n, np.int16),
            "bytes": self.bytes,
        }
        general = []
        for f in range(len(rq.bounds) - 1):
            a, b = int(rq.bounds[f]), int(rq.bounds[f + 1])
            if a == b:
                continue
            src, dst = int(attr["src"][f]), int(attr["dst"][f])
            leg = net.leg_between(ts[a], ts[b - 1], src, dst)
            if leg is None or leg < 0 or not net.clean(leg, ts[a], ts[b - 1]):
                general.append(np.arange(a, b))
                continue
            start = ts[a:b] + dr["side0"][a:b]
            arr = net.walk_run(
                start,
                leg,
                dr["size0"][a:b],
                slot0=a,
                stride=n,
                z=z[:h, a:b],
                slots=self.slots,
                flow=self.flow_codes[f],
                tcp=bool(attr["rr"][f]),
            )
            out["path"][a:b] = net.leg_path[leg]
            if not attr["rr"][f]:
                _settle(out, a, b, arr + dr["side1"][a:b], self.deadline[a:b])
                continue
            t_resp = arr + dr["side1"][a:b] + dr["server"][a:b] + dr["side2"][a:b]
            lo, hi = float(t_resp.min()), float(t_resp.max())
            back = net.leg_between(lo, hi, dst, src)
            if back is None or back < 0 or not net.clean(back, lo, hi):
                general.append(np.arange(a, b))
                continue
            arr = net.walk_run(
                t_resp,
                back,
                dr["size1"][a:b],
                slot0=h * n + a,
                stride=n,
                z=z[h:, a:b],
                slots=self.slots,
                flow=self.flow_codes[f] + np.uint64(1),
                tcp=True,
            )
            limit = np.minimum(self.deadline[a:b], ts[a:b] + attr["per_try"][f])
            _settle(out, a, b, arr + dr["side3"][a:b], limit)
        for idx in general:
            part = self._wave(0, idx)
            for name in ("t_done", "status", "reason", "path"):
                out[name][idx] = part[name]
        late = np.flatnonzero(out["status"] != OK)
        fl = rq.flow[late]
        pause = self.a["per_try"][fl] + self.a["backoff"][fl]
        again = (self.a["attempts"][fl] > 1) & (ts[late] + pause < self.deadline[late])
        out["retry"] = late[again]
        return out

    # ---- any wave of any requests: packet by packet ------------------------------------
    def _wave(self, k: int, m: np.ndarray) -> Result:
        """Walk wave ``k`` of the requests ``m``: their attempts' fates and traversals.

        The phases: when each attempt leaves, the request leg, the end of the one-way
        attempts at their destination, the response leg of the others, the rows.
        """
        net, h, dr = self.net, self.h, self.draws[k]
        ts = self.rq.t0[m] + k * self.pause[m] if k else self.rq.t0[m]
        leg0 = net.leg(
            ts, self.src[m], self.dst[m], None if self.flow_u is None else self.flow_u[m]
        )
        rr = self.rr[m]
        fates = _Fates(
            np.full(len(m), LOST, np.int8),
            np.where(rr & (leg0 >= 0), R_TIMEOUT, R_NO_ROUTE).astype(np.int8),
            np.full(len(m), np.nan),
        )
        i = np.flatnonzero(leg0 >= 0)
        mi = m[i]
        arr, alive, why = net.walk(
            ts[i] + dr["side0"][mi],
            leg0[i],
            dr["size0"][mi],
            mi,
            k * 2 * h,
            z=dr["z"],
            slots=self.slots,
            flows=self.codes[mi],
            tcp=rr[i],
        )
        fates.reason[i[~alive]] = why[~alive]
        i, arr = i[alive], arr[alive]
        one_way = ~rr[i]
        if one_way.any():  # datagrams end at their destination, after the sidecar
            j, mj = i[one_way], m[i[one_way]]
            tj = arr[one_way] + dr["side1"][mj]
            fates.t_done[j] = tj
            late = tj > self.deadline[mj]
            fates.status[j] = np.where(late, LATE, OK)
            fates.reason[j] = np.where(late, R_TIMEOUT, 0)
            i, arr = i[~one_way], arr[~one_way]
        if len(i):
            self._response_leg(k, m, fates, i, arr)
        return self._rows(k, m, ts, leg0, fates)

    def _response_leg(
        self, k: int, m: np.ndarray, fates: _Fates, i: np.ndarray, arr: np.ndarray
    ) -> None:
        """The server answers the requests that arrived (``i`` at ``arr``); walk the responses
        and settle each attempt: answered in time (per try and overall), late, or lost."""
        net, h, dr = self.net, self.h, self.draws[k]
        mi = m[i]
        t_resp = arr + dr["side1"][mi] + dr["server"][mi] + dr["side2"][mi]
        leg1 = net.leg(
            t_resp, self.dst[mi], self.src[mi], None if self.flow_u is None else self.flow_u[mi]
        )
        if (leg1 < 0).any():
            fates.reason[i[leg1 < 0]] = R_NO_ROUTE
            ok = leg1 >= 0
            i, mi, t_resp, leg1 = i[ok], mi[ok], t_resp[ok], leg1[ok]
        arr, alive, why = net.walk(
            t_resp,
            leg1,
            dr["size1"][mi],
            mi,
            k * 2 * h + h,
            z=dr["z"],
            slots=self.slots,
            flows=self.codes[mi] + np.uint64(1),
            tcp=np.ones(len(mi), dtype=bool),
        )
        fates.reason[i[~alive]] = why[~alive]
        i, mi = i[alive], mi[alive]
        tj = arr[alive] + dr["side3"][mi]
        fates.t_done[i] = tj
        ts = self.rq.t0[mi] + k * self.pause[mi] if k else self.rq.t0[mi]
        on_time = tj <= np.minimum(self.deadline[mi], ts + self.per_try[mi])
        fates.status[i] = np.where(on_time, OK, LATE)
        fates.reason[i[on_time]] = 0

    def _rows(
        self, k: int, m: np.ndarray, ts: np.ndarray, leg0: np.ndarray, fates: _Fates
    ) -> Result:
        """The wave's rows (one per request of ``m``) and the requests to retry."""
        path = self.net.leg_path[np.maximum(leg0, 0)]
        path[leg0 < 0] = -1
        retry = (
            (fates.status != OK)
            & (k + 1 < self.attempts[m])
            & (ts + self.pause[m] < self.deadline[m])
        )
        return {
            "t_send": ts,
            "t_done": fates.t_done,
            "status": fates.status,
            "reason": fates.reason,
            "path": path,
            "bytes": self.bytes[m],
            "retry": m[retry],
        }


@dataclass(frozen=True, slots=True)
class _Fates:
    """What became of each attempt of a wave, filled in leg by leg: every attempt starts
    lost, for want of a route or (routed requests) by timing out."""

    status: np.ndarray
    reason: np.ndarray
    t_done: np.ndarray  # NaN: no answer (or, one-way, not received)


def _settle(out: Result, a: int, b: int, t_done: np.ndarray, limit: np.ndarray) -> None:
    """Attempts ``a:b`` were answered (or received) at ``t_done``: in time up to ``limit``."""
    out["t_done"][a:b] = t_done
    late = t_done > limit
    out["status"][a:b] = late * np.int8(LATE)  # OK is 0
    out["reason"][a:b] = late * np.int8(R_TIMEOUT)


__all__ = ["RESULT_FIELDS", "Waves", "wave_results"]

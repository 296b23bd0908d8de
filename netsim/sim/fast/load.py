"""The offered load of the fast engine: flows, arrivals per window, and random draws.

A :class:`Flow` is one (traffic class, destination) stream. :meth:`Load.requests` draws
the first-send times of a window's requests and :meth:`Load.draws` everything random about
their first attempts (sizes, server time, sidecar samples, normals for the hop delays).

Every draw is addressable: arrivals come from a stream per (class, destination, window);
the draws of request ``i`` of a flow in a window are row ``i % DRAW_BLOCK`` of the block of
normals drawn from the stream of (class, destination, window, ``i // DRAW_BLOCK``); a
retry's fresh hop delays are counter-based normals of (window, wave, request)
(:func:`~netsim.sim.fast.queue.hashed_normal`). So any subset of a window's requests (the
tail that the next window replays to rebuild its queues, see :mod:`netsim.sim.fast.window`)
gets exactly the values the whole window gets, and a run is deterministic per seed
whatever the order or the processes its windows are computed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.scenario import Profile, Scenario, TrafficKind
from netsim.model.streams import stream
from netsim.sim.arrivals import DAY as DAY_S
from netsim.sim.arrivals import profile_factor
from netsim.sim.fast.queue import block_normals, hashed_normal, stream_key, transform

if TYPE_CHECKING:
    from netsim.model.dist import Dist

DRAW_BLOCK = 8192  # requests per random stream of draws (random access to any subset)
DRAWN = ("size0", "size1", "server", "side0", "side1", "side2", "side3")


def arrivals(
    rng: np.random.Generator, rate: float, profile: Profile | None, start: float, stop: float
) -> np.ndarray:
    """Poisson arrival times on ``[start, stop)``, thinned by the diurnal profile.

    Like :func:`netsim.sim.arrivals.poisson_times` but without a sort: ``n`` sorted
    uniforms are the normalised partial sums of ``n + 1`` exponentials; the thinning
    envelope is the profile's largest value in the window (:func:`local_peak`).
    """
    if rate <= 0 or stop <= start:
        return np.zeros(0)
    top = 1.0 if profile is None else local_peak(profile, start, stop)
    n = int(rng.poisson(rate * top * (stop - start)))
    if n == 0:
        return np.zeros(0)
    gaps = rng.standard_exponential(n + 1)
    total = np.cumsum(gaps)
    times = start + (stop - start) * (total[:-1] / total[-1])
    if profile is not None:
        u = rng.random(n) * top
        # a candidate under the window's least rate is kept without computing its rate
        keep = u < local_floor(profile, start, stop) * (1.0 - 1e-9)
        unsure = np.flatnonzero(~keep)
        keep[unsure] = u[unsure] < profile_factor(profile, times[unsure])
        times = times[keep]
    return np.asarray(times)


def local_floor(profile: Profile, start: float, stop: float) -> float:
    """The least rate multiplier of ``profile`` on ``[start, stop]`` (as :func:`local_peak`,
    at the trough half a day from the peak): a candidate drawn under it is kept whatever
    its time (the margin the caller takes covers the rounding of the multiplier)."""
    trough = profile.peak_at + DAY_S / 2
    if _holds_time_of_day(start, stop, trough):
        return float(profile_factor(profile, np.array([trough]))[0])
    return float(profile_factor(profile, np.array([start, stop])).min())


def local_peak(profile: Profile, start: float, stop: float) -> float:
    """The largest rate multiplier of ``profile`` on ``[start, stop]``: the thinning
    envelope of a window (the day's peak only if the window holds it, so a window of a few
    hours rejects few candidates instead of most)."""
    if _holds_time_of_day(start, stop, profile.peak_at):
        return float(profile.peak_to_mean)
    ends = profile_factor(profile, np.array([start, stop]))
    return float(ends.max())


def _holds_time_of_day(start: float, stop: float, at: float) -> bool:
    """Whether ``[start, stop]`` holds a time ``at`` plus a whole number of days."""
    day = DAY_S
    return stop - start >= day or math.floor((stop - at) / day) * day + at >= start


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
    per_try: float  # inf: no per-try timeout (then a single attempt)
    backoff: float
    timeout: float


@dataclass(frozen=True, slots=True)
class Requests:
    """Requests (or datagrams) first sent in one window, flattened over flows.

    ``idx`` is each request's index within its flow in this window (it addresses its
    draws; the request id of a trace row is the flow's count before the window plus it).
    ``origin`` maps each request to its position among all the window's requests and
    ``full`` is their number: a subset (a window's tail) keeps the counter-based uniforms
    of the whole window.
    """

    flow: np.ndarray
    idx: np.ndarray
    t0: np.ndarray
    bounds: np.ndarray  # request index where each flow's segment starts (len flows + 1)
    window: int
    origin: np.ndarray | None = None  # None: this is the whole window
    full: int = -1
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per flow

    @property
    def n(self) -> int:
        return len(self.t0)

    @property
    def n_full(self) -> int:
        return self.n if self.origin is None else self.full

    def tail(self, since: float) -> Requests:
        """The requests first sent at or after ``since`` (a subset, same draws)."""
        keep = np.flatnonzero(self.t0 >= since)
        flow = self.flow[keep]
        bounds = np.searchsorted(flow, np.arange(len(self.bounds)), side="left")
        return Requests(
            flow, self.idx[keep], self.t0[keep], bounds, self.window, keep, self.n, self.counts
        )


class Load:
    """The packet traffic of a scenario, flattened into flows with per-flow arrays."""

    def __init__(self, scenario: Scenario, seed: int, nodes: list[str]) -> None:
        self.scenario, self.seed = scenario, seed
        index = {n: i for i, n in enumerate(nodes)}
        mesh = scenario.mesh
        self.flows: list[Flow] = []
        for ci, cls in enumerate(scenario.traffic):
            if cls.kind is TrafficKind.BULK:
                continue
            rr = cls.kind is TrafficKind.REQUEST_RESPONSE
            policy = cls.retries or mesh.retries
            per_try = policy.per_try_timeout if rr and policy.per_try_timeout else np.inf
            for di, dst in enumerate(cls.dsts):
                self.flows.append(
                    Flow(
                        ci,
                        di,
                        index[cls.src],
                        index[dst],
                        cls.rate / len(cls.dsts),
                        rr,
                        policy.attempts if np.isfinite(per_try) else 1,
                        per_try,
                        policy.backoff,
                        cls.timeout,
                    )
                )
        self.attr = {
            name: np.array([getattr(f, name) for f in self.flows] or [0]) for name in Flow.__slots__
        }
        self.quantities = [self._quantities(f) for f in self.flows]

    def _quantities(self, f: Flow) -> list[tuple[str, Dist]]:
        """The random (or constant) quantities of one attempt of flow ``f``, by name."""
        cls = self.scenario.traffic[f.ci]
        named: list[tuple[str, Dist | None]] = (
            [("size0", cls.request_size), ("size1", cls.response_size), ("server", cls.server_time)]
            if f.rr
            else [("size0", cls.size)]
        )
        side = self.scenario.mesh.sidecar_latency
        if side is not None:
            # one sample per sidecar traversal: request-response passes four
            # (client out, server in, server out, client in), a datagram two
            named += [(f"side{j}", side) for j in range(4 if f.rr else 2)]
        return [(k, d) for k, d in named if d is not None]

    def expected_attempts(self) -> float:
        dur = self.scenario.duration
        out = 0.0
        for f in self.flows:
            cls = self.scenario.traffic[f.ci]
            out += f.rate * max(min(cls.stop or dur, dur) - cls.start, 0.0)
        return out

    def requests(self, w: int, t_lo: float, t_hi: float) -> Requests:
        """The requests first sent in ``[t_lo, t_hi)``, window ``w`` (its own streams)."""
        parts = []
        for f in self.flows:
            cls = self.scenario.traffic[f.ci]
            stop = min(
                cls.stop if cls.stop is not None else self.scenario.duration, self.scenario.duration
            )
            parts.append(
                arrivals(
                    stream(self.seed, "fast-arrivals", f.ci, f.di, w),
                    f.rate,
                    cls.profile,
                    max(t_lo, cls.start),
                    min(t_hi, stop),
                )
            )
        counts = np.array([len(p) for p in parts], np.int64)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        t0 = np.concatenate(parts) if parts else np.zeros(0)
        flow = np.repeat(np.arange(len(self.flows)), counts)
        idx = np.arange(len(t0)) - bounds[flow]
        return Requests(flow, idx, t0, bounds, w, counts=counts)

    def draws(self, rq: Requests, h: int) -> dict[str, np.ndarray]:
        """Sizes, server times, sidecars (one value per request) and the normals of the hop
        delays (``z``: one row per hop of either leg, ``2 h`` rows of one value per
        request) of the first attempts of the requests ``rq`` (see the module docstring).

        Each block of a flow's requests draws a ``(quantities, requests)`` array of
        normals, one column per request, so any contiguous run of requests (a whole flow,
        or the tail the next window replays) gets the same values.
        """
        n = rq.n
        out: dict[str, np.ndarray] = {name: np.zeros(n) for name in DRAWN}
        z = np.zeros((2 * h, n))
        for i, f in enumerate(self.flows):
            a, b = int(rq.bounds[i]), int(rq.bounds[i + 1])
            if a == b:
                continue
            named = self.quantities[i]
            drawn = [(k, d) for k, d in named if not d.is_constant]
            for k, d in named:
                if d.is_constant:
                    out[k][a:b] = dict(d.params)["value"]
            legs = 2 if f.rr else 1
            width = len(drawn) + legs * h
            idx0, idx1 = int(rq.idx[a]), int(rq.idx[b - 1]) + 1
            if idx1 - idx0 != b - a:
                raise ValueError("draws are taken for contiguous runs of a flow's requests")
            total = int(rq.counts[i])
            for blk in range(idx0 // DRAW_BLOCK, (idx1 - 1) // DRAW_BLOCK + 1):
                lo, hi = blk * DRAW_BLOCK, min((blk + 1) * DRAW_BLOCK, total)
                normals = stream(self.seed, "fast-draws", f.ci, f.di, rq.window, blk)
                block = block_normals(normals, (width, hi - lo))
                c0, c1 = max(idx0, lo) - lo, min(idx1, hi) - lo
                dst = slice(a + lo + c0 - idx0, a + lo + c1 - idx0)
                for j, (k, d) in enumerate(drawn):
                    transform(d, block[j, c0:c1], out=out[k][dst])
                z[: legs * h, dst] = block[len(drawn) :, c0:c1]
        out["z"] = z
        return out

    def retry_normals(self, rq: Requests, k: int, m: np.ndarray, h: int) -> np.ndarray:
        """Fresh hop-delay normals of wave ``k`` (a retry) of the requests ``m`` of ``rq``:
        ``(2 h, len(m))``, laid out like the columns ``m`` of ``draws()["z"]``."""
        key = stream_key(self.seed, "fast-retry", rq.window, k)
        flows = np.uint64(max(len(self.flows), 1))
        ident = rq.idx[m].astype(np.uint64) * flows + rq.flow[m].astype(np.uint64)
        cells = ident[:, None] * np.uint64(2 * h) + np.arange(2 * h, dtype=np.uint64)
        return hashed_normal(key, cells).T


__all__ = ["DRAW_BLOCK", "Flow", "Load", "Requests", "arrivals", "local_floor", "local_peak"]

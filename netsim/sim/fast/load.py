"""The offered load of the fast engine: flows, arrivals per window, and random draws.

A :class:`Flow` is one (traffic class, destination) stream. :meth:`Load.requests` draws
the first-send times of a window's requests and :meth:`Load.draws` everything random
about one wave of their attempts (sizes, server time, sidecar samples, normals for the
hop delays), each from its own explicit stream keyed by (seed, class, destination,
window, wave): deterministic per seed, independent of everything else in the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.model.scenario import Profile, Scenario, TrafficKind
from netsim.model.streams import stream
from netsim.sim.arrivals import profile_factor
from netsim.sim.fast.queue import sample


def arrivals(
    rng: np.random.Generator, rate: float, profile: Profile | None, start: float, stop: float
) -> np.ndarray:
    """Poisson arrival times on ``[start, stop)``, thinned by the diurnal profile.

    Like :func:`netsim.sim.arrivals.poisson_times` but without a sort: ``n`` sorted
    uniforms are the normalised partial sums of ``n + 1`` exponentials.
    """
    if rate <= 0 or stop <= start:
        return np.zeros(0)
    peak = rate * (profile.peak_to_mean if profile else 1.0)
    n = int(rng.poisson(peak * (stop - start)))
    if n == 0:
        return np.zeros(0)
    gaps = rng.standard_exponential(n + 1)
    total = np.cumsum(gaps)
    times = start + (stop - start) * (total[:-1] / total[-1])
    if profile is not None:
        keep = rng.random(n) * profile.peak_to_mean < profile_factor(profile, times)
        times = times[keep]
    return np.asarray(times)


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
    """The requests (or datagrams) first sent in one window, flattened over flows."""

    flow: np.ndarray
    req: np.ndarray
    t0: np.ndarray
    bounds: np.ndarray  # request index where each flow's segment starts (len flows + 1)

    @property
    def n(self) -> int:
        return len(self.t0)


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
        self.next_req = [0] * len(self.flows)

    def expected_attempts(self) -> float:
        dur = self.scenario.duration
        out = 0.0
        for f in self.flows:
            cls = self.scenario.traffic[f.ci]
            out += f.rate * max(min(cls.stop or dur, dur) - cls.start, 0.0)
        return out

    def requests(self, w: int, t_lo: float, t_hi: float) -> Requests:
        """The requests first sent in ``[t_lo, t_hi)``, window ``w`` (its own streams)."""
        parts, bounds = [], [0]
        for f in self.flows:
            cls = self.scenario.traffic[f.ci]
            stop = min(
                cls.stop if cls.stop is not None else self.scenario.duration, self.scenario.duration
            )
            times = arrivals(
                stream(self.seed, "fast-arrivals", f.ci, f.di, w),
                f.rate,
                cls.profile,
                max(t_lo, cls.start),
                min(t_hi, stop),
            )
            parts.append(times)
            bounds.append(bounds[-1] + len(times))
        t0 = np.concatenate(parts) if parts else np.zeros(0)
        flow = np.repeat(np.arange(len(self.flows)), np.diff(bounds))
        req = np.empty(len(t0), np.int64)
        for i in range(len(self.flows)):
            n = bounds[i + 1] - bounds[i]
            req[bounds[i] : bounds[i + 1]] = np.arange(self.next_req[i], self.next_req[i] + n)
            self.next_req[i] += n
        return Requests(flow, req, t0, np.asarray(bounds))

    def draws(self, rq: Requests, w: int, k: int, h: int) -> dict[str, np.ndarray]:
        """Sizes, server times, sidecars and ``h`` normals per leg (hop delays) of the
        attempts of wave ``k``, one per request of the window."""
        n = rq.n
        out = {
            name: np.zeros(n)
            for name in ("size0", "size1", "server", "side0", "side1", "side2", "side3")
        }
        z = np.zeros((n, 2, h))
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
                # one sample per sidecar traversal: request-response passes four
                # (client out, server in, server out, client in), a datagram two
                for j in range(4 if f.rr else 2):
                    out[f"side{j}"][a:b] = sample(side, rng, m)
            z[a:b, :legs] = rng.standard_normal((m, legs, h))
        out["z"] = z.reshape(-1)
        return out

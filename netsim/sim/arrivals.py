"""Random draws that do not depend on the network: arrivals, transfers, random failures.

Everything here is drawn up front from its own seeded stream (one
``numpy.random.SeedSequence`` child per purpose), so adding a failure to a scenario does not
change the arrivals (common random numbers), and the same seed gives the same draws.

Examples
--------
>>> import numpy as np
>>> t = poisson_times(np.random.default_rng(1), 100.0, None, 0.0, 10.0)
>>> 900 < len(t) < 1100 and bool(np.all(np.diff(t) >= 0))
True
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.special

from netsim.model.dist import Dist
from netsim.model.effects import random_failure_mode
from netsim.model.scenario import (
    DEFAULT_WINDOW,
    CongestionControl,
    Failure,
    Profile,
    Scenario,
    TargetKind,
    TrafficClass,
    TrafficKind,
)
from netsim.model.streams import stream

DAY = 86400.0


@functools.cache  # a pure function of one number, asked for every window of a long run
def _kappa(peak_to_mean: float) -> float:
    """``k`` with ``exp(k) / I0(k) == peak_to_mean`` (the von Mises shape of the profile).

    Bisection to the last bit (``-log(i0e(k))`` increases with ``k``): scipy.optimize's
    root finders would cost every run half a second of imports.
    """
    if peak_to_mean <= 1.0 + 1e-12:
        return 0.0
    target = math.log(peak_to_mean)
    lo, hi = 1e-12, 1e4
    while (mid := 0.5 * (lo + hi)) not in (lo, hi):
        if -math.log(float(scipy.special.i0e(mid))) < target:
            lo = mid
        else:
            hi = mid
    return lo


def profile_factor(profile: Profile | None, t: np.ndarray) -> np.ndarray:
    """Rate multiplier at times ``t``: mean 1 over a day, ``peak_to_mean`` at ``peak_at``."""
    if profile is None:
        return np.ones_like(t)
    k = _kappa(profile.peak_to_mean)
    phase = 2 * np.pi * (t - profile.peak_at) / DAY
    return np.asarray(np.exp(k * (np.cos(phase) - 1.0)) / scipy.special.i0e(k))


def poisson_times(
    rng: np.random.Generator, rate: float, profile: Profile | None, start: float, stop: float
) -> np.ndarray:
    """Arrival times of a (possibly time-varying) Poisson process on ``[start, stop)``."""
    if rate <= 0 or stop <= start:
        return np.empty(0)
    peak = rate * (profile.peak_to_mean if profile else 1.0)
    n = rng.poisson(peak * (stop - start))
    times = np.sort(rng.uniform(start, stop, n))
    if profile is not None:
        keep = rng.uniform(0, 1, n) * profile.peak_to_mean < profile_factor(profile, times)
        times = times[keep]
    return times


@dataclass(frozen=True, slots=True)
class BulkFlow:
    """One fluid transfer (or a continuous stream when ``size`` is infinite)."""

    cls: str
    src: str
    dst: str
    start: float
    size: float  # bytes; inf for a stream that runs until ``stop``
    demand: float  # bit/s
    elastic: bool  # TCP-like: fills buffers when held below its demand
    stop: float
    streams: int = 1  # parallel TCP connections (elastic transfers)
    window: float = DEFAULT_WINDOW  # bytes in flight per stream at most
    cc: CongestionControl = CongestionControl.CUBIC


def _transfer(cls: TrafficClass, dst: str, at: float, size: float, stop: float) -> BulkFlow:
    """An elastic (TCP) transfer of ``size`` bytes of bulk class ``cls`` from ``at``."""
    return BulkFlow(
        cls.name, cls.src, dst, at, size, cls.max_rate, True, stop, cls.streams, cls.window, cls.cc
    )


def bulk_flows(scenario: Scenario, seed: int) -> list[BulkFlow]:
    """Every bulk transfer of the scenario, sorted by start time."""
    flows: list[BulkFlow] = []
    for i, cls in enumerate(scenario.traffic):
        if cls.kind is not TrafficKind.BULK:
            continue
        stop = min(cls.stop if cls.stop is not None else scenario.duration, scenario.duration)
        rng = stream(seed, "bulk", i)
        for dst in cls.dsts:
            share = 1.0 / len(cls.dsts)
            flows += [
                _transfer(cls, dst, tr.at, tr.size * share, stop)
                for tr in cls.transfers
                if cls.start <= tr.at < stop
            ]
            if cls.volume_rate <= 0:
                continue
            if cls.transfer_size is None:
                flows.append(
                    BulkFlow(
                        cls.name,
                        cls.src,
                        dst,
                        cls.start,
                        float("inf"),
                        min(cls.volume_rate * 8 * share, cls.max_rate),
                        False,
                        stop,
                    )
                )
            else:
                rate = cls.volume_rate * share / cls.transfer_size
                times = poisson_times(rng, rate, cls.profile, cls.start, stop)
                flows += [_transfer(cls, dst, float(t), cls.transfer_size, stop) for t in times]
    return sorted(flows, key=lambda f: (f.start, f.cls, f.dst))


def _renewal(
    rng: np.random.Generator, mtbf: float, mttr: Dist, horizon: float
) -> list[tuple[float, float]]:
    """(start, duration) of failures of an alternating up/down process over ``horizon``."""
    out = []
    t = rng.exponential(mtbf)
    while t < horizon:
        repair = max(mttr.sample_one(rng), 1e-3)
        out.append((float(t), float(repair)))
        t += repair + rng.exponential(mtbf)
    return out


def random_failures(scenario: Scenario, seed: int, horizon: float | None = None) -> list[Failure]:
    """Failures drawn from every mtbf/mttr in the topology (links, nodes, groups).

    Each fails in its ``failure_mode`` (:func:`netsim.model.effects.random_failure_mode`):
    by default interconnects and VPNs as blackholes (a provider-side fault: the ends keep
    carrier and must detect it by BFD, hold timer or DPD), internet access links, nodes
    and groups as carrier losses. Each element has its own stream, so adding one changes
    no other.
    """
    topo = scenario.topology
    horizon = scenario.duration if horizon is None else horizon
    out: list[Failure] = []
    default_mttr = Dist.constant(4 * 3600.0)
    for i, link in enumerate(topo.links):
        if link.mtbf:
            mode = random_failure_mode(link)
            for at, dur in _renewal(
                stream(seed, "fail-link", i), link.mtbf, link.mttr or default_mttr, horizon
            ):
                out.append(Failure(TargetKind.LINK, link.name, at, dur, mode))
    for i, node in enumerate(topo.nodes):
        if node.mtbf:
            for at, dur in _renewal(
                stream(seed, "fail-node", i), node.mtbf, node.mttr or default_mttr, horizon
            ):
                out.append(Failure(TargetKind.NODE, node.name, at, dur, random_failure_mode(node)))
    for i, group in enumerate(topo.groups):
        if group.mtbf:
            for at, dur in _renewal(
                stream(seed, "fail-group", i), group.mtbf, group.mttr or default_mttr, horizon
            ):
                out.append(
                    Failure(TargetKind.GROUP, group.name, at, dur, random_failure_mode(group))
                )
    return sorted(out, key=lambda f: (f.at, f.name))

"""Timing invariants of a failover run: how long gaps last, and when routes come back.

Like :mod:`netsim.verify.invariants` (which runs them with the others), each function
takes a :class:`~netsim.trace.core.Trace` and its scenario and raises AssertionError:

- :func:`check_failover_gaps`: each failure's data-plane gap stays within the bound its
  detection method implies (detection + convergence + the MRAI any withdrawal may wait);
- :func:`check_restoration`: a session comes back ``bgp.reestablish`` after what took it
  down ended (a repair, or its own loss detection), only onto a working link; every link
  that was routed around and repaired is restored then; a settled network with nothing
  broken is back on its preferred paths.

Routes return when the *withdrawn* routes are announced again, so a link whose own session
never went down (a blackhole shorter than its detection) is never "restored": traffic
that other routers' withdrawals moved off it comes back when their sessions re-establish
(issue 10 item 8; ``tests/verify/test_regressions.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.verify import bounds
from netsim.verify.oracle import Pair, fail, preferred_rank
from netsim.verify.replay import Replay

if TYPE_CHECKING:
    from netsim.model.routing import Route
    from netsim.model.scenario import Scenario
    from netsim.model.topology import Link
    from netsim.trace.core import Trace


# ---- failover gaps -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Window:
    id: int
    at: float
    own_end: float  # at + min(duration, failover bound)
    influence: float  # at + duration + re-establishment: out of the routes until then
    effects: dict[str, str]


def failure_windows(
    replay: Replay, scenario: Scenario, pairs: set[Pair]
) -> dict[int, tuple[float, bool]]:
    """For each failure: (latest end of the gap it may cause, isolated?).

    A failure on its own ends its gap by ``at + min(duration, bound)``, where the bound is
    the largest :func:`bounds.failover_bound` of the routed links it breaks (plus the MRAI
    a withdrawal may wait); it keeps its links out of the routes until ``repair +
    bgp.reestablish``. A ``loss:p`` failure may take sessions down at any moment while it
    lasts (a run of lost control packets), so its gap may last until then. Failures whose influence
    overlaps form a cluster whose gaps may last until its last member's own end (traffic
    can be moved onto a link another failure broke and not yet detected). A cluster that
    leaves a traffic pair without any path lasts until its repairs are re-established.
    """
    topo = scenario.topology
    items: list[_Window] = []
    relay = bounds.relay_bound(topo)  # withdrawals wait for MRAI on the way back
    for f in replay.failures:
        eff = bounds.failure_effects(topo, f.target, f.name, f.mode)
        routed = {n: m for n, m in eff.items() if n not in topo.underlay_links}
        dur = math.inf if f.repaired_at is None else f.repaired_at - f.at
        reest = max((topo.link(n).bgp.reestablish for n in routed), default=0.0) + relay
        if f.mode == "loss":
            # A run of lost control packets may take a session down at any time while the
            # loss lasts; it is back reestablish after the loss ends at the latest.
            items.append(_Window(f.id, f.at, f.at + dur + reest, f.at + dur + reest, eff))
            continue
        bound = max(
            (
                bounds.failover_bound(topo.link(n), m)
                for n, m in routed.items()
                if m in bounds.BROKEN
            ),
            default=0.0,
        )
        bound += relay
        items.append(_Window(f.id, f.at, f.at + min(dur, bound), f.at + dur + reest, eff))
    items.sort(key=lambda w: w.at)
    clusters: list[list[_Window]] = []
    for item in items:
        if clusters and item.at <= max(w.influence for w in clusters[-1]):
            clusters[-1].append(item)
        else:
            clusters.append([item])
    out: dict[int, tuple[float, bool]] = {}
    for cluster in clusters:
        broken = bounds.broken_links(bounds.merge_effects(w.effects for w in cluster))
        partitioned = any(
            preferred_rank(topo, s, d, broken) is None
            and preferred_rank(topo, s, d, frozenset()) is not None
            for s, d in pairs
        )
        end = max(w.influence if partitioned else w.own_end for w in cluster)
        for w in cluster:
            out[w.id] = (end, len(cluster) == 1 and not partitioned)
    return out


def check_failover_gaps(trace: Trace, scenario: Scenario) -> None:
    """Each failure's measured gap is within its detection + convergence bound.

    The gap is the one :func:`netsim.analysis.failover.failover_results` measures from the
    data plane. Allowed: up to the end of the failure's window (:func:`failure_windows`) plus
    a measurement slack of 32 mean inter-send times of its flows and 0.1 s. An isolated
    failure is also held to the model's own record: detected no earlier than the
    detection floor and no later than the bound, and switched within the failover bound.
    """
    from netsim.analysis.failover import failover_results

    topo = scenario.topology
    replay = Replay.of(trace, scenario.topology)
    pairs = {(c.src, d) for c in scenario.traffic for d in c.dsts}
    windows = failure_windows(replay, scenario, pairs)
    a = trace.attempts
    counts = (
        np.bincount(a["cls"].astype(np.int64) * 65536 + a["dst"].astype(np.int64))
        if len(a)
        else np.zeros(1)
    )
    spacing = trace.duration / max(1, int(counts[counts > 0].min())) if len(a) else 0.0
    slack = 32 * spacing + 0.1
    problems = []
    for result in failover_results(trace):
        rec = result.record
        if rec.id not in windows:
            continue
        end, isolated = windows[rec.id]
        at = rec.failed_at_s
        allowed = min(end, trace.duration) - at + slack
        if result.gap_s > allowed:
            problems.append(
                f"{rec.target.value} {rec.subject} ({rec.mode}) at {at:g}s: "
                f"gap {result.gap_s:.3f}s exceeds the bound {allowed:.3f}s "
                f"(window end {end:g}s + slack {slack:.3f}s)"
            )
        if not isolated:
            continue
        eff = bounds.failure_effects(topo, rec.target, rec.subject, rec.mode)
        hit = [(topo.link(n), m) for n, m in eff.items() if m in bounds.BROKEN]
        if not hit or rec.detected_at_s is None:
            continue
        # detection: the first routed link's (what moves traffic); an underlay link's only
        # while no routed one has been detected (the failure may end before one is)
        routed = [(x, m) for x, m in hit if x.name not in topo.underlay_links]
        took = rec.detected_at_s - at
        ranges = [_detection_range(routed or hit)]
        if routed and len(routed) < len(hit):
            under = _detection_range([h for h in hit if h not in routed])
            lasted = math.inf if rec.repaired_at_s is None else rec.repaired_at_s - at
            if lasted < ranges[0][1] + bounds.EPS:
                ranges.append(under)
        if not any(lo - bounds.EPS <= took <= hi + bounds.EPS for lo, hi in ranges):
            floor, ceil = ranges[0]
            problems.append(
                f"{rec.subject} ({rec.mode}) at {at:g}s: detected after "
                f"{took:.3f}s, outside [{floor:.3f}, {ceil:.3f}]s"
            )
        if routed and rec.switched_at_s is not None and rec.repaired_at_s is None:
            worst = max(bounds.failover_bound(x, m) for x, m in routed)
            worst += bounds.relay_bound(topo)
            if rec.switched_at_s - at > worst + bounds.EPS:
                problems.append(
                    f"{rec.subject} ({rec.mode}) at {at:g}s: switched after "
                    f"{rec.switched_at_s - at:.3f}s > bound {worst:.3f}s"
                )
    fail("failover gaps", problems)


def _detection_range(hit: list[tuple[Link, str]]) -> tuple[float, float]:
    """Earliest and latest first detection among links impaired as ``hit`` says."""
    return (
        min(bounds.detection_floor(x, m) for x, m in hit),
        min(bounds.detection_bound(x, m) for x, m in hit),
    )


# ---- restoration ---------------------------------------------------------------------
def check_restoration(trace: Trace, scenario: Scenario) -> None:
    """Restoration happens ``bgp.reestablish`` after what took the session down ended (a
    repair, or the session's own loss detection: it retries at once), only onto a working
    link, for every link that was routed around; with nothing broken, traffic is back on
    the preferred paths (the routes with nothing down). Moves that waited for MRAI
    (``late``) are news in flight, not sessions coming back, and are not judged here."""
    topo = scenario.topology
    replay = Replay.of(trace, scenario.topology)
    problems = []
    restored = [
        (e.time, e.subject)
        for e in trace.events
        if e.kind == "restored" and not e.attrs.get("late")
    ]
    switched = [(e.time, e.subject) for e in trace.events if e.kind == "switched"]
    detected = [(e.time, e.subject) for e in trace.events if e.kind == "detected"]
    for t, name in restored:
        if replay.mode_at(name, t) in bounds.BROKEN:
            problems.append(f"{name} was restored at {t:g}s while it was {replay.mode_at(name, t)}")
            continue
        ends = [end for _, end in replay.broken_intervals(name) if end <= t + bounds.EPS]
        # a detection restarts the session's attempts (loss); one at the same instant as the
        # restoration is the next story, not this one's start
        ends += [d for d, n in detected if n == name and d < t - bounds.EPS]
        wait = topo.link(name).bgp.reestablish
        if not ends or t - max(ends) < wait - bounds.EPS:
            since = f"{t - max(ends):.3f}s after its repair" if ends else "without a repair"
            problems.append(
                f"{name} was restored at {t:g}s, {since}; re-establishment takes {wait:g}s"
            )
    for name in {link.name for link in topo.routed_links}:
        for start, end in replay.broken_intervals(name):
            due = end + topo.link(name).bgp.reestablish
            if due > trace.duration or any(
                s <= due + bounds.EPS and e > end for s, e in replay.broken_intervals(name)
            ):
                continue
            # Routed around: detected while broken, then switched. A "switched" named after
            # a link that was never detected is a withdrawal its repair let through.
            if not any(
                start - bounds.EPS <= t <= end + bounds.EPS for t, n in detected if n == name
            ):
                continue
            if any(start <= t < due for t, n in switched if n == name) and not any(
                abs(t - due) <= bounds.EPS for t, n in restored if n == name
            ):
                problems.append(
                    f"{name} was repaired at {end:g}s but not restored at "
                    f"{due:g}s (after re-establishment)"
                )
    baseline = replay.route_tables[0]
    routed = {link.name for link in topo.routed_links}
    for start, end in replay.quiescent_windows(bounds.settle_bound(topo) + bounds.EPS):
        if replay.unusable_at(start) & routed:
            continue
        now = replay.routes_at(start)
        diff = sorted(p for p in baseline if now.get(p) != baseline[p])
        if diff:
            s, d = diff[0]
            problems.append(
                f"in [{start:g}s, {end:g}s) nothing is broken but {len(diff)} "
                f"pair(s) are off their preferred path (e.g. {s}->{d} on "
                f"{_shown(now.get(diff[0]))}, preferred {_shown(baseline[diff[0]])})"
            )
    fail("restoration", problems)


def _shown(route: Route | None) -> str:
    return " | ".join(" ".join(p) for p in route.paths) if route is not None else "none"


__all__ = ["check_failover_gaps", "check_restoration", "failure_windows"]

"""Invariants of a failover run, each a named function that raises AssertionError.

Every function takes a :class:`~netsim.trace.core.Trace` (and the scenario or topology it
needs) and checks one promise of architecture sections 4 and 6:

============================================  ==============================================
:func:`check_conservation`                    every attempt is delivered, late, or lost with
                                              a reason; none vanished
:func:`check_link_states`                     each link's data-plane mode follows the failure
                                              schedule (nodes, groups, VPN underlays)
:func:`check_no_delivery_over_broken_links`   nothing crosses a link while it is blackholed
                                              or down
:func:`check_settled_routes`                  once the last change is older than the settle
                                              bound, every connected pair is routed over its
                                              preferred surviving path, and its traffic
                                              follows that route and is not lost to failures
:func:`check_failover_gaps`                   each failure's data-plane gap stays within the
                                              bound its detection method implies
                                              (:mod:`netsim.verify.timing`)
:func:`check_restoration`                     restoration waits for BGP re-establishment of a
                                              working link, and traffic returns to the
                                              preferred path (:mod:`netsim.verify.timing`)
============================================  ==============================================

A link whose loss the control plane detected (its session went down while it still
forwards) counts as unusable for the settled routes while its session is down, and the
session's own changes start a new settling period (:meth:`Replay.unusable_at`).

Two more need runs rather than one trace and live in :mod:`netsim.verify.metamorphic`:
the same seed gives the same trace, and adding a failure never increases deliveries.
:func:`trace_violations` runs them all on one trace and returns the messages by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.trace.core import (
    LATE,
    LOST,
    OK,
    R_BLACKHOLE,
    R_DOWN,
    R_NO_ROUTE,
    R_NODE,
    R_TIMEOUT,
    REASONS,
    Trace,
)
from netsim.verify import bounds
from netsim.verify.oracle import fail, preferred_rank, route_problems
from netsim.verify.replay import Replay
from netsim.verify.timing import check_failover_gaps, check_restoration

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model.scenario import Scenario

FAILURE_REASONS = (R_DOWN, R_BLACKHOLE, R_NODE, R_NO_ROUTE)


def _replay(trace: Trace, scenario: Scenario) -> Replay:
    return Replay.of(trace, scenario.topology)


def _src_of(scenario: Scenario, trace: Trace) -> np.ndarray:
    """Source node name of every attempt (from its class)."""
    srcs = np.array([scenario.traffic_class(c).src for c in trace.classes] or [""], dtype=object)
    return srcs[trace.attempts["cls"]]  # type: ignore[no-any-return]


# ---- conservation --------------------------------------------------------------------
def check_conservation(trace: Trace) -> None:
    """Every attempt is delivered (OK, or LATE after its per-try timeout) or lost with a
    reason, and no request or datagram is missing from its class's numbering."""
    a = trace.attempts
    status, reason = a["status"], a["reason"]
    t_send, t_done, path = a["t_send"], a["t_done"], a["path"]
    problems: list[str] = []

    def rows(mask: np.ndarray, what: str) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            i = int(idx[0])
            problems.append(
                f"{len(idx)} attempt(s) {what} (first: row {i}, "
                f"{trace.classes[a['cls'][i]]} sent at {t_send[i]:.6f}s, status "
                f"{int(status[i])}, reason {REASONS[reason[i]] or 'none'!r})"
            )

    rows(~np.isin(status, (OK, LOST, LATE)), "have an unknown status")
    ok, lost, late = status == OK, status == LOST, status == LATE
    rows(ok & (reason != 0), "are delivered but carry a loss reason")
    rows(ok & ~(t_done >= t_send), "are delivered before they were sent or at no time")
    rows(lost & ((reason <= 0) | (reason >= len(REASONS))), "are lost without a reason")
    rows(lost & np.isfinite(t_done), "are lost but have a delivery time")
    rows(late & ~(t_done >= t_send), "are late but have no delivery time")
    rows(late & (reason != R_TIMEOUT), "are late but not marked as timed out")
    rows(
        (path < 0) & ~(lost & (reason == R_NO_ROUTE)),
        "have no path but are not lost for lack of a route",
    )
    rows((t_send < 0) | (t_send > trace.duration + 1e-9), "were sent outside the run")
    if len(a):
        cls, dst, req, att = a["cls"], a["dst"], a["req"], a["attempt"]
        order = np.lexsort((att, req, dst, cls))
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        c, d = cls[order], dst[order]
        r, k = req[order].astype(np.int64), att[order].astype(np.int64)
        new_flow = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])]
        new_req = new_flow | np.r_[True, r[1:] != r[:-1]]
        # within a flow, request ids run 0, 1, 2, ...; within a request, attempts too
        rows((new_flow & (r != 0))[back], "start their flow with a request id other than 0")
        rows(
            (new_req & ~new_flow & (np.r_[0, np.diff(r)] != 1))[back],
            "follow a hole in their flow's request ids",
        )
        rows(
            ((new_req & (k != 0)) | (~new_req & (np.r_[0, np.diff(k)] != 1)))[back],
            "have attempt numbers out of sequence",
        )
    fail("conservation", problems)


# ---- link states ---------------------------------------------------------------------
def check_link_states(trace: Trace, scenario: Scenario) -> None:
    """Each link's data-plane mode is the most severe impairment the schedule puts on it."""
    replay = _replay(trace, scenario)
    topo = scenario.topology
    effects = [(f, bounds.failure_effects(topo, f.target, f.name, f.mode)) for f in replay.failures]
    instants = sorted(
        {f.at for f in replay.failures}
        | {f.repaired_at for f in replay.failures if f.repaired_at is not None}
    )
    problems = []
    for t in instants:
        active = [
            eff for f, eff in effects if f.at <= t and (f.repaired_at is None or t < f.repaired_at)
        ]
        expected = bounds.merge_effects(active)
        for link in topo.links:
            want = expected.get(link.name, "up")
            got = replay.mode_at(link.name, t)
            if got != want:
                causes = [
                    f.label
                    for f, eff in effects
                    if link.name in eff
                    and f.at <= t
                    and (f.repaired_at is None or t < f.repaired_at)
                ]
                problems.append(
                    f"at {t:g}s {link.name} is {got}, expected {want}"
                    + (
                        f" (because of {'; '.join(causes)})"
                        if causes
                        else " (no failure is active on it)"
                    )
                )
    fail("link states", problems)


# ---- data plane vs link state --------------------------------------------------------
def check_no_delivery_over_broken_links(trace: Trace, scenario: Scenario) -> None:
    """No delivered attempt crossed a link that was blackholed or down for its whole flight."""
    replay = _replay(trace, scenario)
    a = trace.attempts
    delivered = np.isfinite(a["t_done"]) & (a["path"] >= 0)
    t_send, t_done, path = a["t_send"], a["t_done"], a["path"]
    problems = []
    for pid, links in enumerate(trace.paths):
        on_path = delivered & (path == pid)
        if not on_path.any():
            continue
        for name in links:
            for start, end in replay.broken_intervals(name):
                bad = on_path & (t_send >= start) & (t_done < end)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    problems.append(
                        f"{int(bad.sum())} attempt(s) delivered over {name} while it was "
                        f"{replay.mode_at(name, start)} [{start:g}s, {end:g}s) "
                        f"(first sent at {t_send[i]:.6f}s via {' '.join(links)})"
                    )
    fail("no delivery over broken links", problems)


# ---- settled routes --------------------------------------------------------------------
def check_settled_routes(trace: Trace, scenario: Scenario, settle: float | None = None) -> None:
    """Once the last change is older than ``settle`` (default :func:`bounds.settle_bound`),
    every pair the surviving graph connects is routed over its preferred path; the route
    table holds still until the next change; traffic sent then follows it, and none of it is
    lost to a failure (only to ``loss:p``, a full buffer or a timeout)."""
    topo = scenario.topology
    replay = _replay(trace, scenario)
    settle = (bounds.settle_bound(topo) if settle is None else settle) + bounds.EPS
    windows = replay.quiescent_windows(settle)
    a = trace.attempts
    src = _src_of(scenario, trace)
    dst = np.array(trace.nodes, dtype=object)[a["dst"]] if len(a) else np.empty(0, object)
    timeout = np.array([scenario.traffic_class(c).timeout for c in trace.classes] or [0.0])
    horizon = a["t_send"] + timeout[a["cls"]]
    problems = []
    for start, end in windows:
        label = f"in [{start:g}s, {end:g}s)"
        routes = replay.routes_at(start)
        broken = replay.unusable_at(start)
        problems += [f"{label}: {p}" for p in route_problems(topo, routes, broken)]
        moved = [t for t in replay.route_times if start < t < end]
        if moved:
            problems.append(
                f"{label}: routes changed at {moved[0]:g}s although nothing "
                "had changed for the settle bound"
            )
        sel = (a["t_send"] >= start) & (horizon < end)
        for i in np.flatnonzero(sel & (a["path"] >= 0)):
            want = routes.get((src[i], dst[i]))
            got = trace.paths[a["path"][i]]
            if want is None or got not in want.paths:
                shown = " | ".join(" ".join(p) for p in want.paths) if want else "none"
                problems.append(
                    f"{label}: {trace.classes[a['cls'][i]]} {src[i]}->{dst[i]} "
                    f"sent at {a['t_send'][i]:.6f}s took {' '.join(got)}, but "
                    f"the route was {shown}"
                )
                break
        lost = sel & (a["status"] == LOST) & np.isin(a["reason"], FAILURE_REASONS)
        for i in np.flatnonzero(lost):
            if preferred_rank(topo, src[i], dst[i], broken) is not None:
                problems.append(
                    f"{label}: {trace.classes[a['cls'][i]]} {src[i]}->{dst[i]} "
                    f"sent at {a['t_send'][i]:.6f}s was lost "
                    f"({REASONS[a['reason'][i]]}) although the network had "
                    "settled with a path left"
                )
                break
    fail("settled routes", problems)


# ---- all of them ---------------------------------------------------------------------
TRACE_INVARIANTS: dict[str, Callable[[Trace, Scenario], None]] = {
    "conservation": lambda trace, scenario: check_conservation(trace),
    "link_states": check_link_states,
    "no_delivery_over_broken_links": check_no_delivery_over_broken_links,
    "settled_routes": check_settled_routes,
    "failover_gaps": check_failover_gaps,
    "restoration": check_restoration,
}


def trace_violations(trace: Trace, scenario: Scenario) -> dict[str, str]:
    """Run every single-trace invariant; ``{name: message}`` for those that fail."""
    out = {}
    for name, check in TRACE_INVARIANTS.items():
        try:
            check(trace, scenario)
        except AssertionError as exc:
            out[name] = str(exc)
    return out


def check_trace(trace: Trace, scenario: Scenario) -> None:
    """Assert every single-trace invariant, reporting all that fail at once."""
    failed = trace_violations(trace, scenario)
    if failed:
        raise AssertionError("\n".join(failed.values()))


__all__ = [
    "TRACE_INVARIANTS",
    "check_conservation",
    "check_link_states",
    "check_no_delivery_over_broken_links",
    "check_settled_routes",
    "check_trace",
    "trace_violations",
]

"""Reading a Trace back as functions of time: link modes, broken links, route tables.

A :class:`~netsim.trace.core.Trace` records *changes*: ``link_state`` events (a link's
data-plane mode), ``failure`` / ``repair`` events (the schedule), ``detected`` events (a
link's routing session went down) and ``switched`` / ``restored`` events carrying the
routes that moved (a path as a list of link names, a multipath route as a list of them;
``late`` marks the moves that waited for MRAI, not a session coming back).
:class:`Replay` turns them back into step functions so that invariants can ask "what was
broken at t", "which route did a -> b use at t", "whose session was down" and "when was
nothing changing". The trace does not record the initial route table; it is the model's
routing with nothing down, which the data-plane checks confirm against the paths the
attempts actually took.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.model.routing import Route, Routes, route
from netsim.verify.bounds import BROKEN

if TYPE_CHECKING:
    from netsim.model.topology import Topology
    from netsim.trace.core import Trace

Pair = tuple[str, str]


def route_of(doc: object) -> Route | None:
    """A route as a ``switched`` / ``restored`` event writes it (see the module doc)."""
    if not isinstance(doc, list) or not doc:
        return None
    if all(isinstance(x, list) for x in doc):
        return Route.of([tuple(str(n) for n in p) for p in doc])
    return Route.single(tuple(str(n) for n in doc))


@functools.lru_cache(maxsize=64)
def baseline_routes(topology: Topology) -> Routes:
    """Every ordered pair's preferred path with nothing down: the route table every trace
    starts from (a check replays hundreds of traces of one topology)."""
    names = topology.node_names
    return {(a, b): route(topology, a, b, frozenset()) for a in names for b in names if a != b}


@dataclass(frozen=True, slots=True)
class ScheduledFailure:
    """One failure as the trace recorded it (``failure`` event plus its ``repair``)."""

    id: int
    target: str
    name: str
    mode: str  # down | blackhole | loss
    loss: float
    at: float
    repaired_at: float | None

    @property
    def label(self) -> str:
        mode = f"loss:{self.loss:g}" if self.mode == "loss" else self.mode
        until = "" if self.repaired_at is None else f" until {self.repaired_at:g}s"
        return f"{self.target} {self.name} {mode} at {self.at:g}s{until}"


@dataclass
class Replay:
    """Step functions of a trace (see the module docstring)."""

    trace: Trace
    topology: Topology
    modes: dict[str, tuple[list[float], list[str]]] = field(default_factory=dict)
    route_times: list[float] = field(default_factory=list)
    route_tables: list[Routes] = field(default_factory=list)
    failures: list[ScheduledFailure] = field(default_factory=list)
    sessions: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, trace: Trace, topology: Topology) -> Replay:
        """The trace's link modes, route tables and failures as functions of time."""
        replay = cls(trace, topology)
        for link in topology.links:
            replay.modes[link.name] = ([0.0], ["up"])
        table: Routes = dict(baseline_routes(topology))
        replay.route_times, replay.route_tables = [0.0], [table]
        repairs: dict[int, float] = {}
        raw: list[tuple[float, dict[str, object], str]] = []
        down_since: dict[str, float] = {}
        for e in trace.events:
            if e.kind == "detected":
                down_since.setdefault(e.subject, e.time)
            elif e.kind == "restored" and e.subject in down_since and not e.attrs.get("late"):
                replay.sessions.setdefault(e.subject, []).append(
                    (down_since.pop(e.subject), e.time)
                )
            if e.kind == "link_state" and e.subject in replay.modes:
                times, values = replay.modes[e.subject]
                # appended even at an equal time: the last value of an instant wins, and
                # a change at t=0 still counts as a change
                times.append(e.time)
                values.append(str(e.attrs.get("mode", "up")))
            if e.kind in ("switched", "restored"):
                moved = e.attrs.get("routes", {})
                table = dict(table)
                for key, doc in moved.items():
                    src, _, dst = key.partition(">")
                    table[(src, dst)] = route_of(doc)
                replay.route_times.append(e.time)
                replay.route_tables.append(table)
            elif e.kind == "failure":
                raw.append((e.time, e.attrs, e.subject))
            elif e.kind == "repair":
                repairs[int(e.attrs["id"])] = e.time
        for name, since in down_since.items():
            replay.sessions.setdefault(name, []).append((since, math.inf))
        for at, attrs, subject in raw:
            fid = int(attrs["id"])  # type: ignore[call-overload]
            replay.failures.append(
                ScheduledFailure(
                    fid,
                    str(attrs["target"]),
                    subject,
                    str(attrs["mode"]),
                    float(attrs.get("loss", 0.0) or 0.0),  # type: ignore[arg-type]
                    at,
                    repairs.get(fid),
                )
            )
        return replay

    # ---- link modes ------------------------------------------------------------------
    def mode_at(self, link: str, t: float) -> str:
        times, values = self.modes[link]
        return values[bisect.bisect_right(times, t) - 1]

    def broken_at(self, t: float) -> frozenset[str]:
        """Links that do not forward at ``t`` (blackhole or down)."""
        return frozenset(n for n in self.modes if self.mode_at(n, t) in BROKEN)

    def broken_intervals(self, link: str) -> list[tuple[float, float]]:
        """``[start, end)`` stretches in which ``link`` did not forward (end inf if open)."""
        times, values = self.modes[link]
        out: list[tuple[float, float]] = []
        start: float | None = None
        for t, mode in zip(times, values, strict=True):
            if mode in BROKEN and start is None:
                start = t
            elif mode not in BROKEN and start is not None:
                out.append((start, t))
                start = None
        if start is not None:
            out.append((start, math.inf))
        return out

    def session_down_at(self, t: float) -> frozenset[str]:
        """Links whose routing session is down at ``t`` (detected, not re-established)."""
        return frozenset(
            n for n, spans in self.sessions.items() if any(a <= t < b for a, b in spans)
        )

    def unusable_at(self, t: float) -> frozenset[str]:
        """Links no settled route may use at ``t``: broken, or lossy with its session
        down (loss detected, as the control plane may; :mod:`netsim.sim.sessions`)."""
        lossy = {n for n in self.session_down_at(t) if self.mode_at(n, t) == "loss"}
        return self.broken_at(t) | lossy

    # ---- routes ----------------------------------------------------------------------
    def routes_at(self, t: float) -> Routes:
        return self.route_tables[bisect.bisect_right(self.route_times, t) - 1]

    def quiescent_windows(self, settle: float) -> list[tuple[float, float]]:
        """``[start, end)`` stretches at least ``settle`` after the last change of routed links.

        The first window starts at 0 (nothing has happened yet); each later one starts
        ``settle`` after a change and ends at the next change (or the end of the run).
        """
        routed = {link.name for link in self.topology.routed_links}
        changes = sorted(
            {t for name, (times, _) in self.modes.items() if name in routed for t in times[1:]}
            | self._loss_session_changes(routed)
        )
        end = self.trace.duration
        windows = []
        first = changes[0] if changes else end
        if first > 0:
            windows.append((0.0, first))
        for i, t in enumerate(changes):
            start = t + settle
            stop = changes[i + 1] if i + 1 < len(changes) else end
            if start < stop:
                windows.append((start, stop))
        return windows

    def _loss_session_changes(self, routed: set[str]) -> set[float]:
        """Instants a lossy link's session went down or came back: the control plane's own
        (random) changes, after which routes settle again."""
        out: set[float] = set()
        for name, spans in self.sessions.items():
            if name not in routed:
                continue
            for a, b in spans:
                if self.mode_at(name, a) == "loss":
                    out.add(a)
                    if math.isfinite(b):
                        out.add(b)
        return out


__all__ = ["Pair", "Replay", "Routes", "ScheduledFailure", "route_of"]

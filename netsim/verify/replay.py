"""Reading a Trace back as functions of time: link modes, broken links, route tables.

A :class:`~netsim.trace.core.Trace` records *changes*: ``link_state`` events (a link's
data-plane mode), ``failure`` / ``repair`` events (the schedule), and ``switched`` /
``restored`` events carrying the routes that moved. :class:`Replay` turns them back into
step functions so that invariants can ask "what was broken at t", "which route did a -> b
use at t" and "when was nothing changing". The trace does not record the initial route
table; it is the model's routing with nothing down, which the data-plane checks confirm
against the paths the attempts actually took.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.model.routing import Path, best_path
from netsim.verify.bounds import BROKEN

if TYPE_CHECKING:
    from netsim.model.topology import Topology
    from netsim.trace.core import Trace

Pair = tuple[str, str]
Routes = dict[Pair, Path | None]


@functools.lru_cache(maxsize=64)
def baseline_routes(topology: Topology) -> dict[tuple[str, str], Path | None]:
    """Every ordered pair's preferred path with nothing down: the route table every trace
    starts from (a check replays hundreds of traces of one topology)."""
    names = topology.node_names
    return {(a, b): best_path(topology, a, b, frozenset()) for a in names for b in names if a != b}


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
        for e in trace.events:
            if e.kind == "link_state" and e.subject in replay.modes:
                times, values = replay.modes[e.subject]
                # appended even at an equal time: the last value of an instant wins, and
                # a change at t=0 still counts as a change
                times.append(e.time)
                values.append(str(e.attrs.get("mode", "up")))
            elif e.kind in ("switched", "restored"):
                moved = e.attrs.get("routes", {})
                table = dict(table)
                for key, path in moved.items():
                    src, _, dst = key.partition(">")
                    table[(src, dst)] = tuple(path) if path else None
                replay.route_times.append(e.time)
                replay.route_tables.append(table)
            elif e.kind == "failure":
                raw.append((e.time, e.attrs, e.subject))
            elif e.kind == "repair":
                repairs[int(e.attrs["id"])] = e.time
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


__all__ = ["Pair", "Replay", "Routes", "ScheduledFailure"]

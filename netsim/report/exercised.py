"""Which runs exercise a recommendation's change: the only runs that can verify it.

A change acts on some elements (:func:`touched`): detection timers of links, what limits
links' capacity, a duplicate that adds a path around a node or link, the rate of traffic
classes. Re-simulating a run whose scripted failures never involve those elements shows
before and after numbers the change cannot move, so :func:`exercises` says whether a run
does, from the run's own scripted failures (the links each impairs,
:func:`netsim.model.effects.failure_effects`, and what it does to the pairs of the run's
traffic, :func:`~netsim.report.findings.design.hit_by`) and, for capacity, from what its
links carried while a failure lasted:

- **detection** of links: a failure breaks one of them in a mode its timers detect (not a
  carrier loss, which is seen at once) while a pair of the run's traffic crosses it and
  has another path to fail over to (a partition has nothing to detect), and no failure of
  the run moves traffic across a link the change leaves alone (its gap would be the one
  the run's failover SLO measures);
- **a duplicate** of a node or link: a failure impairs one of its links while a pair of
  the run's traffic crosses it (the duplicate is the path around it);
- **capacity** of links: a link carried traffic while a scripted failure lasted;
- **traffic classes**: a scripted failure moved a class's pair onto another path.

When no run of the design exercises a change, :func:`unexercised` says why, for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.effects import LinkMode, failure_effects
from netsim.report.findings.design import hit_by
from netsim.report.findings.traffic import window_rate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.results import FailoverResult
    from netsim.model.topology import Topology
    from netsim.report.changes import Change
    from netsim.report.data import Run

#: Link keys that set how a failure is detected and how fast routing moves.
DETECTION_KEYS = frozenset({"bfd", "dpd", "bgp", "convergence", "mrai"})
#: Link keys that change only the bill: nothing a simulation shows.
PRICE_KEYS = frozenset({"cost"})


def scripted(run: Run) -> set[str]:
    """The elements the run's scenario fails on purpose (random failures are not)."""
    if run.scenario is None:
        return {f.record.subject for f in run.summary.failovers}
    return {f.name for f in run.scenario.failures}


def scripted_failovers(run: Run) -> list[FailoverResult]:
    """The run's failovers of scripted failures."""
    names = scripted(run)
    return [f for f in run.summary.failovers if f.record.subject in names]


@dataclass(frozen=True)
class Touched:
    """The elements a change acts on (module docstring)."""

    detection: frozenset[str] = frozenset()  # links whose detection or convergence changes
    load: frozenset[str] = frozenset()  # links whose capacity (or what limits it) changes
    duplicated: frozenset[str] = frozenset()  # links a duplicate adds a path around
    classes: frozenset[str] = frozenset()  # traffic classes the scenario change limits
    names: tuple[str, ...] = ()  # what it duplicates or changes, for a reader


def touched(change: Change, topology: Topology) -> Touched:
    """What ``change`` acts on in ``topology`` (dotted keys as ``--set`` takes them)."""
    detection, load, duplicated, classes = set(), set(), set(), set()
    names: list[str] = []
    for key, _ in change.topology:
        kind, name, field = [*key.split("."), "", ""][:3]
        if kind == "links" and field in DETECTION_KEYS:
            detection.add(name)
        elif kind == "links" and field not in PRICE_KEYS:
            load.add(name)
        elif kind == "nodes" and name in topology.node_names:
            load |= {x.name for x in topology.links_of(name)}
        names.append(name)
    for name, _ in change.twins:
        if name in topology.node_names:
            duplicated |= {x.name for x in topology.links_of(name)}
        else:
            duplicated.add(name)
        names.append(name)
    for key, _ in change.scenario:
        kind, name = [*key.split("."), ""][:2]
        if kind == "traffic":
            classes.add(name)
            names.append(name)
    return Touched(
        frozenset(detection),
        frozenset(load),
        frozenset(duplicated),
        frozenset(classes),
        tuple(dict.fromkeys(names)),
    )


def _detection_exercised(run: Run, links: frozenset[str]) -> bool:
    assert run.topology is not None
    mine = False
    for f in scripted_failovers(run):
        rec = f.record
        hit = hit_by(run, rec)
        if hit.across - links:
            return False  # another link's failover is in the run's gaps too
        effects = failure_effects(run.topology, rec.target, rec.subject, rec.link_mode)
        detected = any(effects.get(x) is not LinkMode.DOWN for x in hit.across & links)
        mine |= bool(detected and hit.moved and not hit.no_path)
    return mine


def _duplicate_exercised(run: Run, links: frozenset[str]) -> bool:
    return any(
        (hit := hit_by(run, f.record)).across & links and (hit.moved or hit.cut)
        for f in scripted_failovers(run)
    )


def _load_exercised(run: Run, links: frozenset[str]) -> bool:
    failovers = scripted_failovers(run)
    if run.trace is None:
        stats = [run.summary.links.get(x) for x in links]
        carried = any(s is not None and (s.carried_bytes or 0) > 0 for s in stats)
        return bool(failovers) and carried
    for f in failovers:
        rec = f.record
        start = rec.switched_at_s if rec.switched_at_s is not None else rec.failed_at_s
        end = rec.repaired_at_s if rec.repaired_at_s is not None else run.trace.duration
        if any(window_rate(run, x, start, end)[0] > 0 for x in links):
            return True
    return False


def _classes_exercised(run: Run, classes: frozenset[str]) -> bool:
    if run.scenario is None:
        return False
    pairs = {
        (min(c.src, d), max(c.src, d))
        for c in run.scenario.traffic
        if c.name in classes
        for d in c.dsts
    }
    return any(hit_by(run, f.record).moved & pairs for f in scripted_failovers(run))


def exercises(run: Run, change: Change) -> bool:
    """Whether re-simulating ``run`` with ``change`` can show what the change does (module
    docstring): one of the elements it acts on is involved in a scripted failure of the
    run."""
    if run.topology is None:
        return False
    t = touched(change, run.topology)
    return (
        (bool(t.detection) and _detection_exercised(run, t.detection))
        or (bool(t.duplicated) and _duplicate_exercised(run, t.duplicated))
        or (bool(t.load) and _load_exercised(run, t.load))
        or (bool(t.classes) and _classes_exercised(run, t.classes))
    )


def unexercised(change: Change, topology: Topology, runs: Sequence[Run]) -> str:
    """Why no run of ``runs`` can verify ``change``, for a reader."""
    t = touched(change, topology)
    failing = sorted({n for r in runs for n in scripted(r)})
    why = []
    if t.detection:
        why.append(
            f"no scenario blackholes {', '.join(sorted(t.detection))} (or makes it drop "
            "packets: a carrier loss is detected at once) while traffic with another path to "
            "fail over to crosses it, and nothing else fails over in the same run"
        )
    if t.duplicated:
        why.append(
            f"no scenario fails {', '.join(n for n, _ in change.twins)} or one of its links "
            "while traffic crosses it"
        )
    if t.load:
        why.append(f"no scenario loads {', '.join(sorted(t.load))} during a scripted failure")
    if t.classes:
        why.append(
            f"no scenario moves {', '.join(sorted(t.classes))} to another path with a "
            "scripted failure"
        )
    return (
        "Not verified by simulation: "
        + "; ".join(why or ["no run of the design involves what it changes"])
        + (f" (the design's scenarios fail {', '.join(failing)})" if failing else "")
        + ". A scenario that does would measure it; numbers from the others could not show "
        "its effect."
    )


__all__ = [
    "DETECTION_KEYS",
    "PRICE_KEYS",
    "Touched",
    "exercises",
    "scripted",
    "scripted_failovers",
    "touched",
    "unexercised",
]

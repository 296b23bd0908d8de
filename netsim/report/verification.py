"""Each recommendation applied, re-simulated, and judged before and after.

:func:`plan_verification` turns each :class:`~netsim.report.recommend.Recommendation`
into runs: the runs it names, planned again from their own directories
(:meth:`~netsim.report.jobs.Planned.of_run`) with its change applied to their topology
and scenario text. After they ran (in parallel, with the review's other runs),
:func:`verify` compares each with the run it repeats: every SLO's verdict and the figure
it rests on, the fallback's saturated seconds, and, for a duplicated element, the pairs
its failure still takes off their preferred path. ``met`` says whether what the
recommendation promises (``claimed`` checks) holds after the change, re-simulated.

Only runs that exercise the change are re-simulated
(:func:`~netsim.report.exercised.exercises`: their scripted failures, or for a capacity
change their loaded paths, involve what it acts on): a run it cannot affect would show
before and after numbers that say nothing about it. When no run of the design does, the
recommendation is not verified by simulation, and ``untested`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.report.exercised import exercises, unexercised
from netsim.report.findings.design import pairs_hit
from netsim.report.findings.traffic import fallback_load
from netsim.report.jobs import Planned
from netsim.report.vocab import Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.results import SloVerdict
    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.report.recommend import Recommendation


@dataclass(frozen=True)
class Check:
    """One figure before and after a recommendation."""

    run: str
    what: str
    target: str
    before: str
    after: str
    status_before: Status
    status_after: Status
    claimed: bool = False  # part of what the recommendation promises

    def to_json(self) -> dict[str, object]:
        return {
            "run": self.run,
            "what": self.what,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "status_before": self.status_before.value,
            "status_after": self.status_after.value,
            "claimed": self.claimed,
        }


@dataclass(frozen=True)
class Verified:
    """A recommendation with its checks; ``met`` None: nothing was re-simulated."""

    rec: Recommendation
    checks: tuple[Check, ...]
    runs: tuple[str, ...] = ()  # run directories of the re-simulation
    untested: str = ""  # why no run could verify the change (it changes the design or load)

    @property
    def met(self) -> bool | None:
        claimed = [c for c in self.checks if c.claimed]
        if not claimed:
            return None
        return all(c.status_after is Status.HOLDS for c in claimed)

    def to_json(self) -> dict[str, object]:
        return {
            **self.rec.to_json(),
            "met": self.met,
            "checks": [c.to_json() for c in self.checks],
            "runs": list(self.runs),
            "untested": self.untested or None,
        }


def key_of(rec: Recommendation, run: str) -> str:
    return f"rec-{rec.key}--{run}"


def _by_name(runs: Sequence[Run]) -> dict[str, Run]:
    """The design's runs by scenario name (a simulated run before a lab run of the same
    scenario: the lab's is evidence beside it)."""
    out: dict[str, Run] = {}
    for run in runs:
        if run.design is None and (run.name not in out or out[run.name].engine == "lab"):
            out[run.name] = run
    return out


def testing_runs(rec: Recommendation, runs: Sequence[Run]) -> list[Run]:
    """The runs ``rec`` names that exercise its change (all it names when it changes
    nothing: a restated requirement shows its runs as they are)."""
    by_name = _by_name(runs)
    named = [by_name[n] for n in rec.rerun if n in by_name]
    if rec.change is None:
        return named
    return [r for r in named if exercises(r, rec.change)]


def plan_verification(recs: Sequence[Recommendation], runs: Sequence[Run]) -> list[Planned]:
    """The runs that test each recommendation (see the module docstring)."""
    out = []
    for rec in recs:
        if rec.change is None:
            continue
        for run in testing_runs(rec, runs):
            name = run.name
            planned = Planned.of_run(run)
            if planned is None:
                continue
            why = f"recommendation {rec.key!r}"
            out.append(
                planned.variant(
                    key_of(rec, name),
                    scenario_text=rec.change.apply_scenario(planned.scenario_text),
                    topology_text=rec.change.apply_topology(planned.topology_text, why),
                    notes=(f"{name} with {rec.title}",),
                    roles=("verify",),
                )
            )
    return out


def _status(s: SloVerdict) -> Status:
    return Status.of(s.verdict, s.passed)


def _fmt(s: SloVerdict) -> str:
    value = s.judged_value
    if value is None:
        return "-"
    where = " (worst window)" if s.worst_window is not None else ""
    return f"{value:.4g} {s.unit}".strip() + where


def _slo_checks(rec: Recommendation, before: Run, after: Run) -> list[Check]:
    out = []
    now = {s.name: s for s in after.summary.slos}
    claims = {"failover": "failover_gap", "latency": "latency"}
    wanted = {claims[k] for k in rec.fixes if k in claims}
    for s in before.summary.slos:
        a = now.get(s.name)
        if a is None:
            continue
        bound = "≤" if s.bound.value == "max" else "≥"
        out.append(
            Check(
                before.name,
                s.name,
                f"{bound} {s.target:g} {s.unit}".strip(),
                _fmt(s),
                _fmt(a),
                _status(s),
                _status(a),
                claimed=s.metric in wanted and rec.key.startswith(("bfd-", "twin-")),
            )
        )
    return out


def _fallback_check(before: Run, after: Run) -> Check | None:
    b, a = fallback_load([before]), fallback_load([after])
    if b is None:
        return None
    sat_after = a.saturated_s if a is not None else 0.0
    return Check(
        before.name,
        f"{b.link} saturated during the failover",
        "0 s",
        f"{b.saturated_s:.0f} s",
        f"{sat_after:.0f} s",
        Status.FAILS if b.saturated_s > 0 else Status.HOLDS,
        Status.FAILS if sat_after > 0 else Status.HOLDS,
        claimed=True,
    )


def _twin_checks(before: Run, after: Run) -> list[Check]:
    """The worst single failure of each design: how many pairs it takes off their path."""
    if before.topology is None or after.topology is None:
        return []
    counts = []
    for topology in (before.topology, after.topology):
        hit = pairs_hit(topology)
        worst = max(hit, key=lambda e: len(hit[e]), default=None)
        counts.append((len(hit[worst]) if worst else 0, worst or "none"))
    (nb, eb), (na, ea) = counts
    return [
        Check(
            "topology",
            "pairs the worst single failure takes off their preferred path",
            "0",
            f"{nb} ({eb})",
            f"{na} ({ea})" if na else "0",
            Status.FAILS if nb else Status.HOLDS,
            Status.FAILS if na else Status.HOLDS,
            claimed=True,
        )
    ]


def verify(
    recs: Sequence[Recommendation],
    runs: Sequence[Run],
    reruns: Sequence[Run],
    topology: Topology | None = None,
) -> list[Verified]:
    """Each recommendation with its checks (module docstring); ``topology``: the design
    under review (default: the first run's)."""
    by_key = {r.path.name: r for r in reruns if r.path is not None}
    out = []
    for rec in recs:
        testing = testing_runs(rec, runs)
        checks: list[Check] = []
        made: list[str] = []
        for what, claimed, computed in rec.restated:
            checks.append(
                Check(
                    "-",
                    what,
                    "the requirement",
                    claimed,
                    computed,
                    Status.FAILS,
                    Status.HOLDS,
                    claimed=True,
                )
            )
        for before in testing:
            name = before.name
            after = by_key.get(key_of(rec, name))
            if after is None:
                if rec.change is None:
                    checks += [
                        c
                        for c in _slo_checks(rec, before, before)
                        if c.status_before is not Status.HOLDS
                    ]
                continue
            made.append(key_of(rec, name))
            checks += _slo_checks(rec, before, after)
            if "fallback" in rec.fixes:
                found = _fallback_check(before, after)
                if found is not None:
                    checks.append(found)
            if rec.change is not None and rec.change.twins and len(made) == 1:
                checks += _twin_checks(before, after)
        untested = ""
        design = topology or next((r.topology for r in runs if r.topology), None)
        if rec.change is not None and not testing and design is not None:
            untested = unexercised(rec.change, design, [r for r in runs if r.design is None])
        out.append(Verified(rec, tuple(checks), tuple(made), untested))
    return out


__all__ = ["Check", "Verified", "key_of", "plan_verification", "verify"]

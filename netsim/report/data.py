"""What a report is made of: finished runs (summary, Trace, topology) read from run dirs.

A :class:`Run` is one run directory as the report sees it. ``summary.json`` is always
there; the Trace (``trace.json`` + ``attempts.parquet`` + ``timeline.jsonl``) may not be
(a lab run may ship only its summary), and figures that need it skip such runs. The
topology comes from ``topology.yaml`` inside the run directory (``netsim run`` and
``netsim review`` keep the resolved topology with every run), else from
``topologies/<name>.yaml`` next to the working directory or the source tree; the scenario,
with its declared load, from the run's ``scenario.yaml`` when it has one (older runs do
not: the report then says which figures fall back to what the run delivered).

Runs of one scenario that differ only in their seed are replications of it, not several
scenarios: :func:`pool_seeds` makes them one :class:`Run` whose summary pools them as
``netsim run --replications`` does (:func:`netsim.analysis.pooled.pool`: verdicts on the
pooled figures, between-run intervals), and whose trace, the one the figures draw, is the
worst seed's. The same seed twice is one run; one scenario name with two definitions is
an input error, except for a review's re-simulations (:data:`DERIVED` roles), which vary
a scenario on purpose and stay runs of their own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.analysis.results import Summary
from netsim.errors import InputError, ModelError
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import load_topology
from netsim.model.resolve import SCENARIO_FILE, TOPOLOGY_FILE
from netsim.trace.fields import Fields
from netsim.trace.files import load_summary, load_trace

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.model.topology import Topology
    from netsim.trace.core import Trace

SOURCE_TREE = Path(__file__).resolve().parent.parent.parent
DERIVED = frozenset({"verify", "sensitivity"})  # roles of a review's re-simulations


@dataclass
class Run:
    """One finished run: its summary, its Trace if available, and its topology."""

    summary: Summary
    trace: Trace | None = None
    topology: Topology | None = None
    path: Path | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "shortened from 1 d to 1 h"
    design: str | None = None  # the design it compares, if any
    scenario: Scenario | None = None  # as it ran (overrides applied), when known
    topology_text: str | None = None  # its YAML with the file's comments, when known

    @property
    def name(self) -> str:
        return self.summary.scenario

    @property
    def engine(self) -> str:
        return self.summary.engine

    @property
    def label(self) -> str:
        """The scenario, ``(lab)`` for a lab run, and the seeds of pooled replications."""
        reps = self.summary.replications
        seeds = f" (seeds {', '.join(map(str, reps.seeds))})" if reps is not None else ""
        return (self.name if self.engine != "lab" else f"{self.name} (lab)") + seeds

    @property
    def derived(self) -> bool:
        """Whether the run is one of a review's re-simulations (a recommendation's or an
        assumption's variant, kept in the review's ``runs/``), not a run of the design."""
        review = self.summary.review
        return review is not None and bool(set(review.roles) & DERIVED)

    @property
    def has_rows(self) -> bool:
        """Whether the trace keeps every attempt (long fast runs keep only failure windows)."""
        return self.trace is not None and self.trace.meta.get("rows", "all") == "all"


def find_topology(name: str, near: Path | None = None) -> Path | None:
    """``topologies/<name>.yaml`` in the working directory, near a run, or the source tree."""
    roots = [Path.cwd(), SOURCE_TREE]
    if near is not None:
        roots = [*near.resolve().parents, *roots]
    for root in roots:
        candidate = root / "topologies" / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def load_run(run_dir: Path, topology: Topology | None = None) -> Run:
    """Read one run directory (see the module docstring)."""
    run_dir = Path(run_dir)
    doc = Fields.of(load_summary(run_dir), str(run_dir / "summary.json"))
    trace = None
    if (run_dir / "trace.json").is_file() and (run_dir / "attempts.parquet").is_file():
        trace = load_trace(run_dir)
    summary = Summary.from_json(doc, trace.failovers if trace is not None else ())
    local = run_dir / TOPOLOGY_FILE
    text = None
    if topology is None:
        found = local if local.is_file() else find_topology(summary.topology, run_dir)
        topology = load_topology(found) if found else None
        text = found.read_text(encoding="utf-8") if found else None
    review = summary.review
    return Run(
        summary,
        trace,
        topology,
        run_dir,
        list(review.notes) if review else [],
        review.design if review else None,
        _scenario(run_dir, topology),
        text,
    )


def _scenario(run_dir: Path, topology: Topology | None) -> Scenario | None:
    """The run's ``scenario.yaml`` on its topology (None: an older run without it)."""
    path = run_dir / SCENARIO_FILE
    if not path.is_file() or not (run_dir / TOPOLOGY_FILE).is_file():
        return None
    scenario = load_scenario(path)
    return scenario if topology is None else dataclasses.replace(scenario, topology=topology)


def load_runs(run_dirs: list[Path], topology: Topology | None = None) -> list[Run]:
    """Every run directory, in the order given; every missing summary reported at once."""
    runs, errors = [], []
    for d in run_dirs:
        try:
            runs.append(load_run(d, topology))
        except InputError as exc:
            errors.extend(exc.errors)
    if errors:
        raise InputError(errors)
    if not runs:
        raise InputError([ModelError("", 0, "", "no run directories given")])
    return pool_seeds(runs)


def pool_seeds(runs: list[Run]) -> list[Run]:
    """``runs`` with the runs of one scenario (name, engine, design and topology) that
    differ only in their seed pooled into one :class:`Run` each (module docstring), in
    the order first given; an :class:`InputError` when one scenario name has two
    definitions."""
    groups: dict[tuple[object, ...], list[Run]] = {}
    for i, run in enumerate(runs):
        topology = dataclasses.replace(run.topology, source="") if run.topology else None
        # A review's re-simulations (a recommendation's or an assumption's variant, kept
        # in its runs/) change the scenario on purpose: each stays a run of its own.
        derived = i if run.derived else None
        key = (run.name, run.engine, run.design, topology, derived)
        groups.setdefault(key, []).append(run)
    errors = [e for group in groups.values() for e in _differ(group)]
    if errors:
        raise InputError(errors)
    return [_pooled(group) for group in groups.values()]


def _definition(run: Run) -> Scenario | None:
    if run.scenario is None:
        return None
    return dataclasses.replace(run.scenario, seed=0, source="", topology=None)  # type: ignore[arg-type]


def _differ(group: list[Run]) -> list[ModelError]:
    """A run of the group whose scenario is not the first's but for its seed."""
    first = _definition(group[0])
    return [
        ModelError(
            str(run.path or ""),
            0,
            "",
            f"runs scenario {run.name} as {group[0].path or 'another run'} does, but the two "
            "scenario.yaml differ in more than the seed: give one scenario another name: to "
            "compare them, or run both with the same definition to pool them as replications",
        )
        for run in group[1:]
        if _definition(run) != first
    ]


def _pooled(group: list[Run]) -> Run:
    """One run of the group's distinct seeds: pooled when there are several and the
    scenario is known, else the worst of them with the others named in its notes."""
    from netsim.analysis.pooled import pool
    from netsim.analysis.verdicts import Verdict

    distinct = list({run.summary.seed: run for run in reversed(group)}.values())[::-1]
    same = [r for r in group if r not in distinct]
    rank = {Verdict.FAILS: 0, Verdict.AT_RISK: 1}
    worst = min(distinct, key=lambda r: rank.get(r.summary.verdict or Verdict.HOLDS, 2))
    notes = list(worst.notes)
    notes += [f"{r.path} repeats seed {r.summary.seed}: counted once" for r in same]
    if len(distinct) == 1:
        return dataclasses.replace(worst, notes=notes)
    seeds = [r.summary.seed for r in distinct]
    where = ", ".join(f"seed {r.summary.seed} ({r.path})" for r in distinct)
    if worst.scenario is None or any(r.summary.replications for r in distinct):
        notes.append(
            f"{len(distinct)} runs of {worst.name}: {where}; shown: seed {worst.summary.seed}, "
            "the worst (they cannot be pooled: a scenario.yaml is missing or a run is "
            "already pooled)"
        )
        return dataclasses.replace(worst, notes=notes)
    summary = pool([r.summary for r in distinct], worst.scenario, seeds, base_seed=seeds[0])
    notes.append(
        f"{len(distinct)} runs of {worst.name} pooled as replications: {where}; figures "
        f"and trace evidence from seed {worst.summary.seed}, "
        + ("the worst" if worst is not distinct[0] else "the first (no seed is worse)")
    )
    return dataclasses.replace(worst, summary=summary, notes=notes)


def main_topology(runs: list[Run]) -> Topology | None:
    """The topology most simulated runs used (ties: the first seen)."""
    counts: dict[str, int] = {}
    first: dict[str, Topology] = {}
    for run in runs:
        if run.topology is not None and run.design is None:
            counts[run.topology.name] = counts.get(run.topology.name, 0) + 1
            first.setdefault(run.topology.name, run.topology)
    if not counts:
        return next((r.topology for r in runs if r.topology is not None), None)
    return first[max(counts, key=lambda k: counts[k])]


__all__ = ["Run", "find_topology", "load_run", "load_runs", "main_topology", "pool_seeds"]

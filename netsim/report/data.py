"""What a report is made of: finished runs (summary, Trace, topology) read from run dirs.

A :class:`Run` is one run directory as the report sees it. ``summary.json`` is always
there; the Trace (``trace.json`` + ``attempts.parquet`` + ``timeline.jsonl``) may not be
(a lab run may ship only its summary), and figures that need it skip such runs. The
topology comes from ``topology.yaml`` inside the run directory (``netsim run`` and
``netsim review`` keep the resolved topology with every run), else from
``topologies/<name>.yaml`` next to the working directory or the source tree; the scenario,
with its declared load, from the run's ``scenario.yaml`` when it has one (older runs do
not: the report then says which figures fall back to what the run delivered).
"""

from __future__ import annotations

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
        return self.name if self.engine != "lab" else f"{self.name} (lab)"

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
    import dataclasses

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
    return runs


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


__all__ = ["Run", "find_topology", "load_run", "load_runs", "main_topology"]

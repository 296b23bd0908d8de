"""The runs of a review: planned from YAML text, simulated in parallel, kept in directories.

A :class:`Planned` run is the text of a scenario and of its topology (every derivation
the review makes is an edit of that text, :mod:`netsim.report.edits`), so its run
directory holds exactly what ran (``scenario.yaml``, ``topology.yaml``) and ``netsim run``
on them repeats it. :func:`run_all` simulates many on the one runner netsim has
(:func:`netsim.sweep.run_tasks`: local processes, or a Dask cluster with ``scheduler``)
and returns them as :class:`~netsim.report.data.Run` values in plan order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.analysis.results import ReviewNote
from netsim.analysis.summary import summarize
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.resolve import SCENARIO_FILE, TOPOLOGY_FILE
from netsim.model.source import parse_yaml
from netsim.report.data import Run
from netsim.trace.files import atomic_write, write_run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.scenario import Scenario
    from netsim.model.topology import Topology

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Planned:
    """One run to make: its directory name, scenario and topology text, and what the
    report should know of it (notes, roles, the design it compares)."""

    key: str
    scenario_text: str
    topology_text: str
    label: str  # where the scenario came from, named in messages
    notes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # "cost" | "normal" | "failure" | "verify" | "sensitivity"
    design: str | None = None

    @cached_property
    def scenario(self) -> Scenario:
        return load_scenario(
            Path(self.label), text=self.scenario_text, topology_text=self.topology_text
        )

    @cached_property
    def topology(self) -> Topology:
        return read_topology(parse_yaml(self.topology_text, f"{self.key}/{TOPOLOGY_FILE}"))

    def variant(self, key: str, **changes: object) -> Planned:
        """A copy under another directory name, with other fields changed."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(key=key, **changes)
        return Planned(**fields)

    @classmethod
    def of_run(cls, run: Run, key: str | None = None) -> Planned | None:
        """The run as it was planned, from the files its directory keeps (None: an older
        run directory without them)."""
        if run.path is None:
            return None
        scenario, topology = run.path / SCENARIO_FILE, run.path / TOPOLOGY_FILE
        if not scenario.is_file() or not topology.is_file():
            return None
        return cls(
            key or run.path.name,
            scenario.read_text(encoding="utf-8"),
            topology.read_text(encoding="utf-8"),
            str(scenario),
            tuple(run.notes),
            tuple(run.summary.review.roles) if run.summary.review else (),
            run.design,
        )


def run_planned(planned: Planned, out: Path, engine: str) -> Run:
    """Simulate one planned run and write its directory (scenario and topology first,
    ``summary.json`` last)."""
    from netsim.sim.engine import build_simulation

    scenario = planned.scenario
    trace = build_simulation(scenario, engine=engine).run()
    summary = dataclasses.replace(
        summarize(trace, scenario),
        review=ReviewNote(planned.notes, planned.roles, planned.design, engine),
    )
    run_dir = out / planned.key
    atomic_write(run_dir / TOPOLOGY_FILE, planned.topology_text.encode())
    atomic_write(run_dir / SCENARIO_FILE, planned.scenario_text.encode())
    write_run(run_dir, trace, summary)
    return Run(
        summary,
        trace,
        planned.topology,
        run_dir,
        list(planned.notes),
        planned.design,
        scenario,
        planned.topology_text,
    )


@dataclass(frozen=True)
class Job:
    """One run for a worker: picklable, so it travels to processes and Dask workers."""

    planned: Planned
    out: Path
    engine: str


def run_job(job: Job) -> list[Run]:
    """A worker's task (module level, so it travels by name)."""
    return [run_planned(job.planned, job.out, job.engine)]


def run_all(
    planned: Sequence[Planned],
    out: Path,
    engine: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[Run]:
    """Every planned run, in parallel (``workers`` processes, 1: here; or ``scheduler``);
    the runs in plan order. The longest first, so the pool finishes together."""
    from netsim.sweep import run_tasks

    if not planned:
        return []
    order = sorted(range(len(planned)), key=lambda i: -_cost(planned[i]))
    jobs = [Job(planned[i], out, engine) for i in order]
    if workers is None and scheduler is None and len(jobs) == 1:
        workers = 1
    done = run_tasks(jobs, run_job, workers, scheduler, progress)
    by_key = {r.path.name: r for r in done if r.path is not None}
    return [by_key[p.key] for p in planned]


def _cost(planned: Planned) -> float:
    """Simulated seconds times requests per second: a rough size of the run."""
    sc = planned.scenario
    rate = sum(c.rate for c in sc.traffic) or 1.0
    return sc.duration * rate


__all__ = ["Job", "Planned", "run_all", "run_job", "run_planned"]

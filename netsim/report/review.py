"""``netsim review``: run the standard scenarios and the alternatives, then write the report.

The pipeline, one phase per line in :func:`run_review`: pick the engine, plan the runs
(:mod:`netsim.report.plan`), simulate each one and each design's availability (in
parallel; each run writes its run directory, atomically), compare the designs, build the
report (:mod:`netsim.report.build`) and write it. Progress
is reported to a :class:`ReviewProgress` the caller gives (the command line draws bars);
nothing here prints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from netsim.analysis.results import ReviewNote
from netsim.analysis.summary import summarize
from netsim.report.alternatives import DesignRow, design_row
from netsim.report.build import Report, build_report, write_report
from netsim.report.data import SOURCE_TREE, Run
from netsim.report.fig_availability import AvailabilityData, availability_data
from netsim.report.fig_regions import RegionsData, regions_data
from netsim.report.plan import Planned, ReviewPlan, plan_review, topology_of_text
from netsim.sim.engine import build_simulation
from netsim.trace.files import atomic_write, write_run

if TYPE_CHECKING:
    from netsim.model.topology import Topology

Update = Callable[[float, float], None]


def pick_engine(requested: str, probe: Planned | None) -> str:
    """``fast`` when it runs (a 5 s probe of the first planned scenario), else ``exact``."""
    if requested != "auto":
        return requested
    if probe is None:
        return "exact"
    tiny = dataclasses.replace(probe.scenario, duration=5.0, warmup=0.0)
    try:
        build_simulation(tiny, engine="fast").run()
    except Exception:
        return "exact"
    return "fast"


def scenarios_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else SOURCE_TREE / "scenarios"


def run_planned(planned: Planned, out: Path, engine: str, update: Update | None = None) -> Run:
    """Simulate one planned run and write its directory (summary last, topology beside)."""
    trace = build_simulation(planned.scenario, engine=engine).run(progress=update)
    summary = dataclasses.replace(
        summarize(trace, planned.scenario),
        review=ReviewNote(tuple(planned.notes), tuple(planned.roles), planned.design, engine),
    )
    run_dir = out / planned.key
    atomic_write(run_dir / "topology.yaml", planned.topology_text.encode())
    write_run(run_dir, trace, summary)
    topology = topology_of_text(planned.topology_text, str(run_dir / "topology.yaml"))
    return Run(summary, trace, topology, run_dir, list(planned.notes), planned.design)


class ReviewProgress(Protocol):
    """Where a review reports how far it got: steps of the whole, and each run's own."""

    def start(self, total: int) -> None:
        """The review will take ``total`` steps."""

    def step(self, label: str) -> None:
        """One step done; ``label`` says what comes next."""

    def sim(self, label: str) -> Update:
        """A simulation starts; the returned function takes (simulated s, total s)."""


class NoProgress:
    """A :class:`ReviewProgress` that reports nothing."""

    def start(self, total: int) -> None:
        pass

    def step(self, label: str) -> None:
        pass

    def sim(self, label: str) -> Update:
        return lambda done, total: None


def run_review(
    out: Path,
    *,
    scenarios: Path | None = None,
    topology: Path | None = None,
    engine: str = "fast",
    years: int = 2000,
    seed: int = 1,
    progress: ReviewProgress | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    regions: bool = False,
) -> tuple[Report, list[Path]]:
    """See the module docstring; returns the report and the files written.

    The runs and the availability Monte Carlos are independent: they go to ``workers``
    local processes (None: one per CPU; 1: here, in order) or to the Dask cluster at
    ``scheduler`` through ``netsim.sweep.map_tasks``; the report is the same either way.
    """
    from netsim.sweep import map_tasks

    started = time.perf_counter()
    bar = progress or NoProgress()
    directory = scenarios_dir(scenarios)
    probe_plan = plan_review(directory, "fast", topology)
    engine = pick_engine(engine, probe_plan.standard[0] if probe_plan.standard else None)
    plan = probe_plan if engine == "fast" else plan_review(directory, engine, topology)
    jobs = [Job(p, None, out / "runs", engine, years, seed) for p in plan.standard]
    for _, _, topo, normal, failing in plan.designs:
        jobs += [Job(p, None, out / "runs", engine, years, seed) for p in (normal, failing)]
        jobs.append(Job(None, topo, out / "runs", engine, years, seed))
    if regions:
        jobs.append(Job(None, None, out / "runs", engine, years, seed))
    if plan.standard:
        main = topology_of_text(plan.standard[0].topology_text, "topology.yaml")
        jobs.append(Job(None, main, out / "runs", engine, years, seed))
    bar.start(len(jobs) + 30)
    bar.step(f"simulating {len(jobs)} runs and availabilities")
    done = map_tasks(do_job, jobs, workers, scheduler, lambda k, n: bar.step(f"{k}/{n} done"))
    runs = [r for r in done[: len(plan.standard)] if isinstance(r, Run)]
    rows = compare_designs(plan, done[len(plan.standard) :])
    avail = done[-1] if plan.standard and isinstance(done[-1], AvailabilityData) else None
    by_regions = next((d for d in done if isinstance(d, RegionsData)), None)
    notes = review_notes(plan, engine)
    report = build_report(
        runs,
        runs[0].topology if runs else None,
        alternatives=rows,
        years=years,
        seed=seed,
        notes=notes,
        title="Design review: ADR-003 inter-cloud networking",
        step=bar.step,
        availability=avail,
        workers=workers if scheduler is None else 1,
        regions=by_regions,
    )
    report.notes.append(
        f"netsim review took {time.perf_counter() - started:.0f} s of wall time on this machine"
    )
    bar.step("writing the report")
    written = write_report(report, out / "report.html", out / "figures")
    return report, written


@dataclass(frozen=True)
class Job:
    """One independent piece of a review: a planned run, a topology's availability, or
    (neither) the designs over the number of regions."""

    planned: Planned | None
    topology: Topology | None
    out: Path
    engine: str
    years: int
    seed: int


def do_job(job: Job) -> Run | AvailabilityData | RegionsData:
    """Run one :class:`Job` (executed on a worker): a planned run, a topology's
    availability, or (neither) the designs over the number of regions."""
    if job.planned is not None:
        return run_planned(job.planned, job.out, job.engine)
    if job.topology is None:
        return regions_data(seed=job.seed)
    return availability_data(job.topology, job.years, job.seed)


def compare_designs(
    plan: ReviewPlan, done: list[Run | AvailabilityData | RegionsData]
) -> list[DesignRow]:
    """The alternatives' rows from their finished jobs (normal run, failure run and
    availability per design, in plan order)."""
    rows = []
    for i, (key, label, topo, _, _) in enumerate(plan.designs):
        normal_run, failure_run, avail = done[3 * i : 3 * i + 3]
        if not (
            isinstance(normal_run, Run)
            and isinstance(failure_run, Run)
            and isinstance(avail, AvailabilityData)
        ):
            raise TypeError("the design jobs came back out of order")
        rows.append(
            design_row(key, label, topo, normal=normal_run, failure=failure_run, avail=avail)
        )
    return rows


def review_notes(plan: ReviewPlan, engine: str) -> list[str]:
    notes = [
        f"Simulated with the {engine} engine; every run's directory (summary.json, "
        "attempts, timeline, topology.yaml) is under runs/ beside this report."
    ]
    for p in plan.standard:
        notes += [f"{p.key}: {n}" for n in p.notes]
    if plan.designs:
        template = plan.designs[0][4].scenario.name.split("--", 1)[1]
        moved = ", ".join(
            f"{key}: {failing.scenario.failures[0].name}" for key, _, _, _, failing in plan.designs
        )
        notes.append(
            f"Alternatives: each design carries the mean-load baseline (for its cost "
            f"and normal latency) and the traffic of {template} with its failure "
            f"moved to the first link of the path that traffic takes ({moved})."
        )
    notes += plan.skipped
    return notes


__all__ = ["NoProgress", "ReviewProgress", "pick_engine", "run_planned", "run_review"]

"""``netsim review`` and ``netsim report``: from scenarios (or finished runs) to the page.

The pipeline, one phase per line in :func:`run_review`: plan the runs
(:mod:`netsim.report.plan`), simulate them in parallel (:func:`~netsim.report.jobs.run_all`:
local processes or a Dask cluster), assess them (:func:`~netsim.report.assess.assess`:
findings, claims, recommendations re-simulated, assumptions varied), build the page
(:mod:`netsim.report.build`) and write it. :func:`report_runs` is the same from the
assessment on, for runs that already exist. Progress goes to a :class:`ReviewProgress`
the caller gives (the command line draws bars); nothing here prints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from netsim.report.assess import Options, assess
from netsim.report.build import Report, build_report, write_report
from netsim.report.data import SOURCE_TREE, main_topology
from netsim.report.fig_regions import RegionsData, regions_data
from netsim.report.jobs import run_all
from netsim.report.plan import ReviewPlan, plan_review

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.report.jobs import Planned

Update = Callable[[int, int], None]


class ReviewProgress(Protocol):
    """Where a review reports how far it got: steps of the whole, and the runs."""

    def start(self, total: int) -> None:
        """The review will take about ``total`` steps."""

    def step(self, label: str) -> None:
        """One step done; ``label`` says what comes next."""

    def runs(self, label: str) -> Update:
        """A batch of runs starts; the returned function takes (done, total)."""


class NoProgress:
    """A :class:`ReviewProgress` that reports nothing."""

    def start(self, total: int) -> None:
        pass

    def step(self, label: str) -> None:
        pass

    def runs(self, label: str) -> Update:
        return lambda done, total: None


def scenarios_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else SOURCE_TREE / "scenarios"


def pick_engine(requested: str, probe: Planned | None) -> str:
    """``fast`` when it runs (a 5 s probe of the first planned scenario), else ``exact``
    (``--engine auto``); any other request as given."""
    if requested != "auto":
        return requested
    if probe is None:
        return "exact"
    from netsim.sim.engine import build_simulation

    tiny = dataclasses.replace(probe.scenario, duration=5.0, warmup=0.0)
    try:
        build_simulation(tiny, engine="fast").run()
    except Exception:  # any failure of the probe means: use the reference
        return "exact"
    return "fast"


def review_notes(plan: ReviewPlan, engine: str) -> list[str]:
    notes = [
        f"Simulated with the {engine} engine; every run's directory (summary.json, "
        "attempts, timeline, and the scenario.yaml and topology.yaml it ran) is under runs/ "
        "beside this report: netsim run on them repeats it.",
        *plan.notes,
    ]
    for p in plan.standard:
        notes += [f"{p.key}: {n}" for n in p.notes]
    if plan.designs:
        moved = ", ".join(f"{d.key}: {d.failure.scenario.failures[0].name}" for d in plan.designs)
        notes.append(
            f"Alternatives: each design runs the normal scenario and the traffic of "
            f"{plan.designs[0].failure.key.split('--', 1)[1]} with its failure moved to the "
            f"first link of the path that traffic takes in that design ({moved}): the "
            "failure differs per design, the load does not."
        )
    return notes + plan.skipped


def report_runs(
    runs: list[Run],
    topology: Topology | None,
    options: Options,
    *,
    labels: dict[str, str] | None = None,
    plan: ReviewPlan | None = None,
    later: Sequence[Run] = (),
    notes: Sequence[str] = (),
    title: str | None = None,
    regions: RegionsData | None = None,
) -> Report:
    """Assess finished runs and build their page (``netsim report``, and the second half
    of ``netsim review``; ``regions``: the designs over the number of regions)."""
    topology = topology or main_topology(runs)
    assessment = assess(runs, topology, options, labels=labels, plan=plan, later=later)
    runs = [*runs, *(r for r in assessment.ctx.runs if r not in runs)]
    return build_report(
        runs,
        assessment,
        notes=notes,
        title=title,
        step=options.step,
        workers=options.workers,
        regions=regions,
    )


def run_review(
    out: Path,
    *,
    scenarios: Path | None = None,
    topology: Path | None = None,
    alternatives: Sequence[Path] = (),
    engine: str = "fast",
    years: int = 2000,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: ReviewProgress | None = None,
    regions: bool = False,
) -> tuple[Report, list[Path]]:
    """See the module docstring; returns the report and the files written (``regions``:
    add the designs over the number of regions, ``netsim review --regions``)."""
    started = time.perf_counter()
    bar = progress or NoProgress()
    directory = scenarios_dir(scenarios)
    plan = plan_review(directory, "fast" if engine == "auto" else engine, topology, alternatives)
    if engine == "auto":
        engine = pick_engine(engine, plan.standard[0] if plan.standard else None)
        if engine != "fast":
            plan = plan_review(directory, engine, topology, alternatives)
    # Every run of the design at once, longest first (a month of random failures is the
    # longest: it overlaps the rest); the random-failure runs join the findings only after
    # the recommendations are derived, which rest on scripted failures alone.
    bar.start(len(plan.planned) + 25)
    bar.step(f"simulating {len(plan.planned)} runs")
    done = run_all(
        plan.planned,
        out / "runs",
        engine,
        workers=workers,
        scheduler=scheduler,
        progress=bar.runs("runs"),
    )
    runs = [r for p, r in zip(plan.planned, done, strict=True) if not p.scenario.random_failures]
    later = [r for p, r in zip(plan.planned, done, strict=True) if p.scenario.random_failures]
    subject = plan.subject
    options = Options(out / "runs", engine, years, seed, workers, scheduler, step=bar.step)
    labels = {d.key: d.label for d in plan.designs}
    title = (
        "Design review: ADR-003 inter-cloud networking"
        if subject is not None and subject.name == "megaport-hub"
        else None
    )
    report = report_runs(
        runs,
        subject,
        options,
        labels=labels,
        plan=plan,
        later=later,
        notes=review_notes(plan, engine),
        title=title,
        regions=regions_data(seed=seed) if regions else None,
    )
    report.notes.append(
        f"netsim review took {time.perf_counter() - started:.0f} s of wall time on this machine"
    )
    report.numbers["notes"] = report.notes
    bar.step("writing the report")
    written = write_report(report, out / "report.html", out / "figures")
    return report, written


__all__ = [
    "NoProgress",
    "ReviewProgress",
    "pick_engine",
    "report_runs",
    "run_review",
    "scenarios_dir",
]

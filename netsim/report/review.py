"""``netsim review``: run the standard scenarios and the alternatives, then write the report.

The pipeline, one phase per line in :func:`run_review`: pick the engine, plan the runs
(:mod:`netsim.report.plan`), simulate each one (writing its run directory, atomically),
compare the designs, build the report (:mod:`netsim.report.build`) and write it. Progress
is reported to a :class:`ReviewProgress` the caller gives (the command line draws bars);
nothing here prints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from netsim.analysis.results import ReviewNote
from netsim.analysis.summary import summarize
from netsim.report.alternatives import DesignRow, design_row
from netsim.report.build import Report, build_report, write_report
from netsim.report.data import SOURCE_TREE, Run
from netsim.report.fig_availability import availability_data
from netsim.report.plan import Planned, ReviewPlan, plan_review, topology_of_text
from netsim.sim.engine import build_simulation
from netsim.trace.files import atomic_write, write_run

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
) -> tuple[Report, list[Path]]:
    """See the module docstring; returns the report and the files written."""
    started = time.perf_counter()
    bar = progress or NoProgress()
    directory = scenarios_dir(scenarios)
    probe_plan = plan_review(directory, "fast", topology)
    engine = pick_engine(engine, probe_plan.standard[0] if probe_plan.standard else None)
    plan = probe_plan if engine == "fast" else plan_review(directory, engine, topology)
    bar.start(len(plan.standard) + 3 * len(plan.designs) + 30)
    runs = []
    for planned in plan.standard:
        bar.step(f"simulating {planned.key}")
        runs.append(run_planned(planned, out / "runs", engine, bar.sim(planned.key)))
    rows = compare_designs(plan, out / "runs", engine, years=years, seed=seed, bar=bar)
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
    )
    report.notes.append(
        f"netsim review took {time.perf_counter() - started:.0f} s of wall time on this machine"
    )
    bar.step("writing the report")
    written = write_report(report, out / "report.html", out / "figures")
    return report, written


def compare_designs(
    plan: ReviewPlan, out: Path, engine: str, *, years: int, seed: int, bar: ReviewProgress
) -> list[DesignRow]:
    rows = []
    for key, label, topo, normal, failing in plan.designs:
        bar.step(f"design {key}: normal load")
        normal_run = run_planned(normal, out, engine, bar.sim(normal.key))
        bar.step(f"design {key}: failure")
        failure_run = run_planned(failing, out, engine, bar.sim(failing.key))
        bar.step(f"design {key}: availability")
        rows.append(
            design_row(
                key,
                label,
                topo,
                normal=normal_run,
                failure=failure_run,
                avail=availability_data(topo, years, seed),
            )
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

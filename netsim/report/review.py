"""``netsim review``: run the standard scenarios and the alternatives, then write the report.

The pipeline, one phase per line in :func:`run_review`: pick the engine, plan the runs
(:mod:`netsim.report.plan`), simulate each one (writing its run directory, atomically),
compare the designs, build the report (:mod:`netsim.report.build`) and write it. Progress
goes to stderr through rich.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from netsim.analysis.summary import summarize
from netsim.cli.console import stderr_console
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


def run_planned(planned: Planned, out: Path, engine: str, update: Update | None = None
                ) -> Run:
    """Simulate one planned run and write its directory (summary last, topology beside)."""
    trace = build_simulation(planned.scenario, engine=engine).run(progress=update)
    summary = summarize(trace, planned.scenario)
    summary["review"] = {"notes": list(planned.notes), "roles": list(planned.roles),
                         "design": planned.design, "engine_used": engine}
    run_dir = out / planned.key
    atomic_write(run_dir / "topology.yaml", planned.topology_text.encode())
    write_run(run_dir, trace, summary)
    topology = topology_of_text(planned.topology_text, str(run_dir / "topology.yaml"))
    return Run(summary, trace, topology, run_dir, list(planned.notes), planned.design)


class ReviewProgress:
    """An overall bar (one step per run and per figure) and a bar for the current run."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.overall = progress.add_task("review", total=total) if progress else None
        self.current = progress.add_task("", total=1.0, visible=False) if progress else None

    def step(self, label: str) -> None:
        if self.progress is not None and self.overall is not None:
            self.progress.update(self.overall, advance=1, description=label)

    def sim(self, label: str) -> Update:
        if self.progress is None or self.current is None:
            return lambda done, total: None
        progress, task = self.progress, self.current
        progress.update(task, description=f"  {label}", completed=0, visible=True)
        return lambda done, total: progress.update(task, completed=done, total=total)


@contextmanager
def review_progress(enabled: bool, total: int) -> Iterator[ReviewProgress]:
    if not enabled:
        yield ReviewProgress(None, total)
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.completed:.0f}/{task.total:.0f}"), TimeElapsedColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as progress:
        yield ReviewProgress(progress, total)


def run_review(out: Path, scenarios: Path | None = None, topology: Path | None = None,
               engine: str = "auto", years: int = 2000, seed: int = 1, progress: bool = True
               ) -> tuple[Report, list[Path]]:
    """See the module docstring; returns the report and the files written."""
    started = time.perf_counter()
    directory = scenarios_dir(scenarios)
    probe_plan = plan_review(directory, "fast", topology)
    engine = pick_engine(engine, probe_plan.standard[0] if probe_plan.standard else None)
    plan = probe_plan if engine == "fast" else plan_review(directory, engine, topology)
    total = len(plan.standard) + 3 * len(plan.designs) + 30
    with review_progress(progress, total) as bar:
        runs = []
        for planned in plan.standard:
            bar.step(f"simulating {planned.key}")
            runs.append(run_planned(planned, out / "runs", engine, bar.sim(planned.key)))
        rows = compare_designs(plan, out / "runs", engine, years, seed, bar)
        notes = review_notes(plan, engine)
        report = build_report(runs, runs[0].topology if runs else None, rows, years, seed,
                              notes, "Design review: ADR-003 inter-cloud networking",
                              bar.step)
        report.notes.append(f"netsim review took {time.perf_counter() - started:.0f} s of "
                            "wall time on this machine")
        bar.step("writing the report")
        written = write_report(report, out / "report.html", out / "figures")
    return report, written


def compare_designs(plan: ReviewPlan, out: Path, engine: str, years: int, seed: int,
                    bar: ReviewProgress) -> list[DesignRow]:
    rows = []
    for key, label, topo, normal, failing in plan.designs:
        bar.step(f"design {key}: normal load")
        normal_run = run_planned(normal, out, engine, bar.sim(normal.key))
        bar.step(f"design {key}: failure")
        failure_run = run_planned(failing, out, engine, bar.sim(failing.key))
        bar.step(f"design {key}: availability")
        rows.append(design_row(key, label, topo, normal_run, failure_run,
                               availability_data(topo, years, seed)))
    return rows


def review_notes(plan: ReviewPlan, engine: str) -> list[str]:
    notes = [f"Simulated with the {engine} engine; every run's directory (summary.json, "
             "attempts, timeline, topology.yaml) is under runs/ beside this report."]
    for p in plan.standard:
        notes += [f"{p.key}: {n}" for n in p.notes]
    if plan.designs:
        template = plan.designs[0][4].scenario.name.split("--", 1)[1]
        moved = ", ".join(f"{key}: {failing.scenario.failures[0].name}"
                          for key, _, _, _, failing in plan.designs)
        notes.append(f"Alternatives: each design carries the mean-load baseline (for its cost "
                     f"and normal latency) and the traffic of {template} with its failure "
                     f"moved to the first link of the path that traffic takes ({moved}).")
    notes += plan.skipped
    return notes


__all__ = ["pick_engine", "run_planned", "run_review"]

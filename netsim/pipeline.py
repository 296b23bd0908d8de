"""The simulation pipeline as a library: scenario -> Trace -> summary.

``netsim run`` (:mod:`netsim.cli.run`) is :func:`simulate`, then
:func:`netsim.trace.files.write_run`, plus printing. ``netsim run --replications N`` is
:func:`simulate_replications` (independent seeds on local processes or Dask, pooled into
between-run intervals), and ``--until-conclusive`` is :func:`run_until_conclusive`.

Examples
--------
>>> from netsim import load_scenario
>>> scenario = load_scenario("scenarios/interconnect-cut.yaml", ["duration=3m"])
>>> trace, summary = simulate(scenario, seed=1)
>>> summary.failovers[0].record.subject
'aws-mcr'
>>> summary.data_plane
'fast'
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.analysis.pooled import pool
from netsim.analysis.requests import sketches_of
from netsim.analysis.results import ConclusiveNote
from netsim.analysis.strata import has_scripted_breaks
from netsim.analysis.summary import summarize
from netsim.analysis.verdicts import Verdict, duration_text
from netsim.sim.engine import build_simulation
from netsim.sweep import replication_seeds, run_replications
from netsim.trace.files import atomic_write, dumps
from netsim.trace.rows import resolve_records

if TYPE_CHECKING:
    from netsim.analysis.results import Summary
    from netsim.model.scenario import Scenario
    from netsim.sim.fast.plane import Runner
    from netsim.trace.core import Trace

Progress = Callable[[float, float], None]  # (simulated seconds done, total)
PART_S = 4 * 86400.0  # simulated time per part of a long run (progress every few seconds)
TASKS_PER_WORKER = 4  # parts per local process at least: keeps all busy to the end
TaskProgress = Callable[[int, int], None]  # (replications done, total)

#: ``--until-conclusive`` simulates at most this many times the scenario's duration
#: unless ``--max-duration`` says otherwise.
DEFAULT_CAP = 10.0
#: Run files a pooled directory must not keep from an earlier single run there.
RUN_FILES = ("summary.json", "attempts.parquet", "timeline.jsonl", "trace.json")


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    engine: str = "fast",
    progress: Progress | None = None,
    *,
    records: str = "auto",
    workers: int | None = 1,
    scheduler: str | None = None,
) -> tuple[Trace, Summary]:
    """Run one scenario and summarise it (the library form of ``netsim run``).

    ``engine``: ``fast`` (the default) or ``exact``. ``records`` (``auto``, ``all``,
    ``failures``, ``none``; :mod:`netsim.trace.rows`) is what the run keeps for
    ``attempts.parquet``; ``trace.meta["rows"]`` says what it chose. The fast engine
    computes the windows of a long run on ``workers`` local processes (None: one per CPU;
    1: here) or on the Dask cluster at ``scheduler``; the result is the same either way.
    """
    records = resolve_records(records, scenario)
    runner, tasks = parallel_runner(scenario, workers, scheduler)
    simulation = build_simulation(
        scenario,
        seed,
        engine=engine,
        rows="all" if records == "all" else "failures",
        runner=runner,
        tasks=tasks,
    )
    trace = simulation.run(progress=progress)
    summary = summarize(trace, scenario)
    keep_records(trace, records)
    return trace, summary


def parallel_runner(
    scenario: Scenario, workers: int | None, scheduler: str | None
) -> tuple[Runner | None, int]:
    """The runner the fast engine hands the parts of a run to, and how many parts: about
    ``PART_S`` of simulated time each, at least ``TASKS_PER_WORKER`` per local process
    (None, 1: the run is computed here, in order). The parts never change the result."""
    from netsim.sweep import BoundRunner

    if scheduler is None and workers == 1:
        return None, 1
    count = workers or os.cpu_count() or 1
    if scheduler is None and count == 1:
        return None, 1
    spans = math.ceil(scenario.duration / PART_S)
    tasks = max(TASKS_PER_WORKER * (count if scheduler is None else 4), spans)
    return BoundRunner(workers, scheduler), tasks


def keep_records(trace: Trace, records: str) -> None:
    """Mark what the run directory will hold (``trace.meta["rows"]``): when fewer rows than
    the trace has will be written, the statistics go along as sketches, so that the run
    directory summarises the same way (within the sketches' 0.1 %)."""
    held = trace.meta.get("rows", "all")
    if records != "all" and "sketches" not in trace.meta:
        trace.meta["sketches"] = sketches_of(trace).to_json()
    if records == "none" or held == "all":
        trace.meta["rows"] = records


def simulate_replications(
    scenario: Scenario,
    count: int,
    *,
    seed: int | None = None,
    engine: str = "exact",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: TaskProgress | None = None,
) -> tuple[Summary, list[Summary]]:
    """``count`` independent replications pooled (:func:`netsim.analysis.pooled.pool`),
    and the replications' own summaries. Seeds as ``netsim sweep`` derives them."""
    base = scenario.seed if seed is None else seed
    seeds = replication_seeds(base, count)
    runs = run_replications(
        scenario, seeds, engine=engine, workers=workers, scheduler=scheduler, progress=progress
    )
    return pool(runs, scenario, seeds, base), runs


@dataclasses.dataclass(frozen=True)
class Settled:
    """What :func:`run_until_conclusive` ended with: the last single run's Trace and
    summary, or (``trace`` None) the pooled summary and its replications."""

    trace: Trace | None
    summary: Summary
    runs: list[Summary]


def _wanted(summary: Summary) -> tuple[float | None, int]:
    """The longest run and the most replications the inconclusive SLOs ask for."""
    hows = [s.settle for s in summary.slos if s.verdict is Verdict.INCONCLUSIVE and s.settle]
    runs = [h.run_s for h in hows if h.run_s is not None]
    reps = [h.replications for h in hows if h.replications is not None]
    longest = max(runs) if runs and len(runs) == len(hows) else None
    return longest, max(reps, default=2)


def run_until_conclusive(
    scenario: Scenario,
    *,
    seed: int | None = None,
    engine: str = "exact",
    max_duration: float | None = None,
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    task_progress: TaskProgress | None = None,
    note: Callable[[str], None] = lambda text: None,
) -> Settled:
    """Simulate until no SLO is inconclusive or ``max_duration`` simulated seconds are
    spent (default ``DEFAULT_CAP`` times the scenario's duration).

    Without scripted breaks (:func:`netsim.analysis.strata.has_scripted_breaks`), the run
    is made longer: at least twice as long each time, as long as the inconclusive SLOs
    ask for (plus 10 %). With them a longer run would judge another scenario (the
    scripted failures diluted), so it pools replications instead, as many as asked for;
    so does ``replications`` (the count to start from). ``note`` hears each step.
    """
    cap = max_duration if max_duration is not None else DEFAULT_CAP * scenario.duration
    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(text)
        note(text)

    def done(summary: Summary, settled: bool) -> Summary:
        return dataclasses.replace(summary, until_conclusive=ConclusiveNote(tuple(steps), settled))

    if replications is None:
        trace, summary = simulate(scenario, seed, engine, progress)
        step(f"ran {duration_text(scenario.duration)}: {summary.judged.value}")
        while summary.judged is Verdict.INCONCLUSIVE:
            longest, reps = _wanted(summary)
            if longest is None or has_scripted_breaks(scenario):
                step("a longer run would dilute the scripted failures: pooling replications")
                replications = reps
                break
            if scenario.duration >= cap:
                step(f"stopped at the cap of {duration_text(cap)}: still at risk")
                return Settled(trace, done(summary, False), [])
            length = min(cap, max(1.1 * longest, 2 * scenario.duration))
            scenario = dataclasses.replace(scenario, duration=length)
            trace, summary = simulate(scenario, seed, engine, progress)
            step(f"ran {duration_text(length)}: {summary.judged.value}")
        else:
            return Settled(trace, done(summary, True), [])
    most = max(2, math.floor(cap / scenario.duration))
    count = min(max(2, replications), most)
    base = scenario.seed if seed is None else seed
    runs: list[Summary] = []
    while True:
        seeds = replication_seeds(base, count)
        runs += run_replications(
            scenario,
            seeds[len(runs) :],
            engine=engine,
            first=len(runs),
            workers=workers,
            scheduler=scheduler,
            progress=task_progress,
        )
        pooled = pool(runs, scenario, seeds, base)
        step(
            f"pooled {count} replications of {duration_text(scenario.duration)}: "
            f"{pooled.judged.value}"
        )
        if pooled.judged is not Verdict.INCONCLUSIVE:
            return Settled(None, done(pooled, True), runs)
        if count >= most:
            step(f"stopped at the cap of {duration_text(cap)} simulated: still at risk")
            return Settled(None, done(pooled, False), runs)
        count = min(most, max(count + 2, math.ceil(1.1 * _wanted(pooled)[1])))


def write_replications(out: Path, pooled: Summary, runs: list[Summary]) -> None:
    """A pooled run directory: ``replications/<i>/summary.json`` for each run, then
    ``summary.json`` (last, so a directory with one is complete). Trace files an earlier
    single run left there are removed: they would not belong to this summary."""
    out.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "replications", ignore_errors=True)
    for i, run in enumerate(runs):
        (out / "replications" / str(i)).mkdir(parents=True, exist_ok=True)
        atomic_write(out / "replications" / str(i) / "summary.json", dumps(run.to_json()))
    atomic_write(out / "summary.json", dumps(pooled.to_json()))


def default_out(scenario: Scenario, suffix: str = "") -> Path:
    """``results/<scenario>[suffix]/``: where a run is written unless told otherwise."""
    return Path("results") / f"{scenario.name}{suffix}"


__all__ = [
    "Settled",
    "default_out",
    "keep_records",
    "parallel_runner",
    "run_until_conclusive",
    "simulate",
    "simulate_replications",
    "write_replications",
]

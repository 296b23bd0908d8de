"""The simulation pipeline as a library: scenario -> Trace -> summary.

``netsim run`` (:mod:`netsim.cli.run`) is :func:`simulate`, then
:func:`netsim.trace.files.write_run`, plus printing.

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

import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.analysis.requests import sketches_of
from netsim.analysis.summary import summarize
from netsim.sim.engine import build_simulation
from netsim.trace.rows import resolve_records

if TYPE_CHECKING:
    from netsim.analysis.results import Summary
    from netsim.model.scenario import Scenario
    from netsim.sim.fast.plane import Part, Runner
    from netsim.sim.fast.window import Accumulated
    from netsim.trace.core import Trace

Progress = Callable[[float, float], None]  # (simulated seconds done, total)
PART_S = 4 * 86400.0  # simulated time per part of a long run (progress every few seconds)
TASKS_PER_WORKER = 4  # parts per local process at least: keeps all busy to the end


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
    from netsim.sweep import completed

    if scheduler is None and workers == 1:
        return None, 1
    count = workers or os.cpu_count() or 1
    if scheduler is None and count == 1:
        return None, 1
    spans = math.ceil(scenario.duration / PART_S)
    tasks = max(TASKS_PER_WORKER * (count if scheduler is None else 4), spans)

    def runner(
        fn: Callable[[Part], Accumulated], tasks: Sequence[Part]
    ) -> Iterator[tuple[int, Accumulated]]:
        return completed(fn, tasks, workers, scheduler)

    return runner, tasks


def keep_records(trace: Trace, records: str) -> None:
    """Mark what the run directory will hold (``trace.meta["rows"]``): when fewer rows than
    the trace has will be written, the statistics go along as sketches, so that the run
    directory summarises the same way (within the sketches' 0.1 %)."""
    held = trace.meta.get("rows", "all")
    if records != "all" and "sketches" not in trace.meta:
        trace.meta["sketches"] = sketches_of(trace).to_json()
    if records == "none" or held == "all":
        trace.meta["rows"] = records


def default_out(scenario: Scenario, suffix: str = "") -> Path:
    """``results/<scenario>[suffix]/``: where a run is written unless told otherwise."""
    return Path("results") / f"{scenario.name}{suffix}"


__all__ = ["default_out", "keep_records", "parallel_runner", "simulate"]

"""Parameter sweeps: a grid of ``--set`` overrides x replications, run in parallel.

``netsim sweep SCENARIO --grid KEY=V1,V2 ...`` loads the scenario once per grid point (so a
bad key or value is reported before anything runs), derives one seed per replication from
the base seed (the same seeds at every point: common random numbers make differences
between points sharper), and runs one task per batch of replications of a point on local
processes (:class:`concurrent.futures.ProcessPoolExecutor`) or on an existing Dask cluster
(``--scheduler tcp://HOST:PORT``; the scenario objects travel pickled, so workers need
netsim but not the YAML files). Each replication is summarised
(:func:`netsim.analysis.summary.summarize`) and reduced to one row: the grid values, the
seed, each SLO's measured value and verdict. The table is deterministic (rows sorted by
point and replication, no timings), so a local and a cluster run with the same seeds
give the same table. Results (``sweep.csv``, ``sweep.json``, ``sensitivity.png``, one panel
per SLO metric against each parameter) are written atomically.

The same runner (:func:`run_tasks`) runs ``netsim run --replications N``
(:func:`run_replications`): one task per seed, whole summaries back, pooled by
:func:`netsim.analysis.pooled.pool`.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from netsim.errors import EnvironmentProblem, UsageError
from netsim.model.load_scenario import load_scenario
from netsim.trace.files import atomic_write, dumps

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from netsim.analysis.results import Summary
    from netsim.model.scenario import Scenario

T = TypeVar("T")
R = TypeVar("R")

#: One replication: grid values (str), point, replication and seed (int), each SLO's
#: measured value over the run (float, None without data), its point-estimate pass (bool,
#: ``NAME:pass``), its worst window (``NAME:worst``) and its verdict as ``netsim run``
#: gives it (``NAME:verdict``: holds, does not hold, at risk, not judged). Columns are
#: named by the grid keys and the SLOs, so a row is a mapping, not a class.
Row = dict[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class Task:
    """Replications of one grid point: what a worker needs, all picklable."""

    point: int
    values: tuple[tuple[str, str], ...]
    scenario: Scenario
    replications: tuple[tuple[int, int], ...]  # (replication index, seed)
    engine: str


def parse_grid(items: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``["traffic.api.rate=10/s,20/s"]`` -> ``[("traffic.api.rate", ["10/s", "20/s"])]``.

    >>> parse_grid(["a.b=1,2", "c=x"])
    [('a.b', ['1', '2']), ('c', ['x'])]
    """
    grid: list[tuple[str, list[str]]] = []
    for item in items:
        key, sep, raw = item.partition("=")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key.strip() or not values:
            raise UsageError(f"--grid expects KEY=V1,V2,..., got {item!r}")
        if key.strip() in {k for k, _ in grid}:
            raise UsageError(f"--grid {key.strip()} given twice")
        grid.append((key.strip(), values))
    if not grid:
        raise UsageError("a sweep needs at least one --grid KEY=V1,V2")
    return grid


def grid_points(grid: list[tuple[str, list[str]]]) -> list[tuple[tuple[str, str], ...]]:
    """The cartesian product, first key slowest."""
    keys = [k for k, _ in grid]
    return [
        tuple(zip(keys, combo, strict=True))
        for combo in itertools.product(*(values for _, values in grid))
    ]


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent, reproducible seeds for replications 0..R-1 of base ``seed``."""
    return [
        int(np.random.SeedSequence([seed, r]).generate_state(1)[0]) for r in range(replications)
    ]


def run_task(task: Task) -> list[Row]:
    """Run and summarise the replications of one point (executed on a worker)."""
    from netsim.analysis.summary import summarize
    from netsim.sim.engine import build_simulation

    rows = []
    for rep, seed in task.replications:
        trace = build_simulation(task.scenario, seed, task.engine).run()
        summary = summarize(trace, task.scenario)
        row: Row = {"point": task.point, "replication": rep, "seed": seed, **dict(task.values)}
        for slo in summary.slos:
            row[slo.name] = slo.measured
            row[f"{slo.name}:pass"] = slo.passed
            # the verdict netsim run gives: judged per window, from the interval
            row[f"{slo.name}:worst"] = slo.judged_value
            row[f"{slo.name}:verdict"] = None if slo.verdict is None else slo.verdict.value
        row["pass"] = summary.passed
        row["verdict"] = None if summary.verdict is None else summary.verdict.value
        rows.append(row)
    return rows


def plan_sweep(
    path: Path,
    grid: list[tuple[str, list[str]]],
    *,
    replications: int = 1,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: str = "fast",
    batch: int | None = None,
) -> list[Task]:
    """Load every point's scenario (all input errors surface here) and cut the tasks."""
    if replications < 1:
        raise UsageError(f"--replications must be at least 1, got {replications}")
    tasks = []
    for i, values in enumerate(grid_points(grid)):
        scenario = load_scenario(path, [*overrides, *(f"{k}={v}" for k, v in values)])
        seeds = list(
            enumerate(replication_seeds(scenario.seed if seed is None else seed, replications))
        )
        size = batch or replications
        for j in range(0, replications, size):
            tasks.append(Task(i, values, scenario, tuple(seeds[j : j + size]), engine))
    return tasks


def summarize_task(task: Task) -> list[tuple[int, Summary]]:
    """Run and summarise the replications of one task, keeping the whole summaries
    (executed on a worker; ``netsim run --replications`` pools them)."""
    from netsim.analysis.summary import summarize
    from netsim.sim.engine import build_simulation

    return [
        (rep, summarize(build_simulation(task.scenario, seed, task.engine).run(), task.scenario))
        for rep, seed in task.replications
    ]


def completed(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[tuple[int, R]]:
    """``(index, fn(task))`` for each task as it finishes, on local processes (``workers``;
    None: one per CPU; 1: in this process, in order) or on a Dask cluster (``scheduler``
    address). The one runner of netsim: sweeps use it for their grid points, the fast
    engine for the parts of a long run (merging each as it comes, so the results are
    never all held at once). ``fn`` and the tasks must be picklable (a module-level
    function, frozen dataclasses).
    """
    if scheduler is not None:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise EnvironmentProblem(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}; "
                "start one (dask scheduler) or use --workers"
            ) from None
        with client:
            futures = client.map(fn, tasks, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                yield index[future.key], future.result()
    elif workers == 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            yield i, fn(task)
    else:
        count = min(workers or os.cpu_count() or 1, len(tasks))
        preload()
        with ProcessPoolExecutor(max_workers=count) as pool:
            pending = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
            for fut in as_completed(pending):
                yield pending[fut], fut.result()


@dataclass(frozen=True, slots=True)
class BoundRunner:
    """:func:`completed` with its workers bound (``Runner`` of the fast engine's parts).

    ``inherits``: the tasks run here or in local processes forked when it is called, which
    inherit what the caller holds then (so a task need not carry it); not on a Dask
    cluster, nor where processes start fresh (``spawn``, ``forkserver``).
    """

    workers: int | None
    scheduler: str | None

    @property
    def inherits(self) -> bool:
        import multiprocessing

        if self.scheduler is not None:
            return False
        return self.workers == 1 or multiprocessing.get_start_method(allow_none=False) == "fork"

    def __call__(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        return completed(fn, tasks, self.workers, self.scheduler)


def preload() -> None:
    """Import what every task imports (the engines, scipy.stats: 1.8 s on a slow host)
    here, before the pool forks its workers, so that they inherit the modules instead of
    each importing them again (a review forks two pools of two)."""
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=False) == "fork":
        import scipy.stats  # noqa: F401

        import netsim.sim.engine  # noqa: F401


def run_tasks(
    tasks: Sequence[T],
    work: Callable[[T], list[R]],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``work`` over the tasks (:func:`completed`); every task's results, in completion
    order. ``work`` must be a module-level function: it travels to the workers by name."""
    results: list[R] = []
    for done, (_, result) in enumerate(completed(work, tasks, workers, scheduler), 1):
        results.extend(result)
        if progress is not None:
            progress(done, len(tasks))
    return results


def map_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``fn`` of each task (:func:`completed`), in task order; ``progress(done, total)``
    is called as tasks finish."""
    results: dict[int, R] = {}
    for i, result in completed(fn, tasks, workers, scheduler):
        results[i] = result
        if progress is not None:
            progress(len(results), len(tasks))
    return [results[i] for i in range(len(tasks))]


def run_sweep(
    tasks: list[Task],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Row]:
    """Run the tasks (:func:`run_tasks`); the rows sorted by point and replication."""
    rows = run_tasks(tasks, run_task, workers, scheduler, progress)
    return sorted(rows, key=lambda r: (r["point"], r["replication"]))


def run_replications(
    scenario: Scenario,
    seeds: Sequence[int],
    *,
    engine: str = "fast",
    first: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Summary]:
    """Summaries of ``scenario`` run with each of ``seeds`` (replications ``first``,
    ``first + 1``, ...), one task per replication, in replication order."""
    tasks = [Task(0, (), scenario, ((first + i, seed),), engine) for i, seed in enumerate(seeds)]
    done = run_tasks(tasks, summarize_task, workers, scheduler, progress)
    return [summary for _, summary in sorted(done, key=lambda pair: pair[0])]


def table_csv(rows: list[Row]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_sweep(
    out: Path,
    rows: list[Row],
    grid: list[tuple[str, list[str]]],
    meta: dict[str, object],
    scenario: Scenario | None = None,
) -> None:
    """``sweep.csv``, ``sweep.json`` and ``sensitivity.png``, each written atomically
    (``scenario``: its SLOs give the figure its units and target lines)."""
    atomic_write(out / "sweep.csv", table_csv(rows).encode())
    atomic_write(out / "sweep.json", dumps({**meta, "grid": dict(grid), "rows": rows}))
    from netsim.report.fig_sweep import plot_sensitivity

    fig = plot_sensitivity(rows, grid, scenario.slos if scenario is not None else ())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write(out / "sensitivity.png", buf.getvalue())

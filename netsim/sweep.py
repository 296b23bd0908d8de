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
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netsim.errors import EXIT_OK, EnvironmentProblem, UsageError
from netsim.model.load_scenario import load_scenario
from netsim.trace.files import atomic_write, dumps

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netsim.model.scenario import Scenario

#: One replication: grid values (str), point, replication and seed (int), each SLO's
#: measured value (float, None without data) and verdicts (bool). Columns are named by the
#: grid keys and the SLOs, so a row is a mapping, not a class.
Row = dict[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class Task:
    """Replications of one grid point: what a worker needs, all picklable."""

    point: int
    values: tuple[tuple[str, str], ...]
    scenario: Scenario
    replications: tuple[tuple[int, int], ...]     # (replication index, seed)
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
    return [tuple(zip(keys, combo, strict=True)) for combo in
            itertools.product(*(values for _, values in grid))]


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent, reproducible seeds for replications 0..R-1 of base ``seed``."""
    return [int(np.random.SeedSequence([seed, r]).generate_state(1)[0])
            for r in range(replications)]


def run_task(task: Task) -> list[Row]:
    """Run and summarise the replications of one point (executed on a worker)."""
    from netsim.analysis.summary import summarize
    from netsim.sim.engine import build_simulation

    rows = []
    for rep, seed in task.replications:
        trace = build_simulation(task.scenario, seed, task.engine).run()
        summary = summarize(trace, task.scenario)
        row: Row = {"point": task.point, "replication": rep, "seed": seed,
                    **dict(task.values)}
        for slo in summary.slos:
            row[slo.name] = slo.measured
            row[f"{slo.name}:pass"] = slo.passed
        row["pass"] = summary.passed
        rows.append(row)
    return rows


def plan_sweep(path: Path, grid: list[tuple[str, list[str]]], replications: int = 1,
               seed: int | None = None, overrides: Sequence[str] = (), engine: str = "fast",
               batch: int | None = None) -> list[Task]:
    """Load every point's scenario (all input errors surface here) and cut the tasks."""
    if replications < 1:
        raise UsageError(f"--replications must be at least 1, got {replications}")
    tasks = []
    for i, values in enumerate(grid_points(grid)):
        scenario = load_scenario(path, [*overrides, *(f"{k}={v}" for k, v in values)])
        seeds = list(enumerate(replication_seeds(scenario.seed if seed is None else seed,
                                                 replications)))
        size = batch or replications
        for j in range(0, replications, size):
            tasks.append(Task(i, values, scenario, tuple(seeds[j:j + size]), engine))
    return tasks


def run_sweep(tasks: list[Task], workers: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """Run the tasks locally (``workers`` processes; 1: in this process) or on a Dask
    cluster (``scheduler`` address); the rows sorted by point and replication."""
    rows: list[Row] = []
    done = 0

    def collect(result: list[Row]) -> None:
        nonlocal done
        rows.extend(result)
        done += 1
        if progress is not None:
            progress(done, len(tasks))

    if scheduler is not None:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise EnvironmentProblem(f"cannot reach the Dask scheduler at {scheduler}: {exc}; "
                                     "start one (dask scheduler) or use --workers") from None
        with client:
            futures = client.map(run_task, tasks, pure=False)
            for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                collect(future.result())
    elif workers == 1:
        for task in tasks:
            collect(run_task(task))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for fut in as_completed([pool.submit(run_task, t) for t in tasks]):
                collect(fut.result())
    return sorted(rows, key=lambda r: (r["point"], r["replication"]))


def table_csv(rows: list[Row]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def metric_names(rows: list[Row], keys: list[str]) -> list[str]:
    fixed = {"point", "replication", "seed", "pass", *keys}
    return [k for k in rows[0] if k not in fixed and not k.endswith(":pass")] if rows else []


def plot_sensitivity(rows: list[Row], grid: list[tuple[str, list[str]]]) -> Any:
    """One panel per (SLO metric, parameter): mean over replications and the other
    parameters at each value, with the min-max range as error bars. Returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k, _ in grid]
    metrics = metric_names(rows, keys) or ["pass"]
    fig, axes = plt.subplots(len(metrics), len(grid), squeeze=False,
                             figsize=(4 * len(grid), 2.8 * len(metrics)))
    for i, metric in enumerate(metrics):
        for j, (key, values) in enumerate(grid):
            ax = axes[i][j]
            means, lows, highs = [], [], []
            for v in values:
                ys = [float(y) for r in rows if r[key] == v and (y := r[metric]) is not None]
                means.append(float(np.mean(ys)) if ys else math.nan)
                lows.append(min(ys) if ys else math.nan)
                highs.append(max(ys) if ys else math.nan)
            x = np.arange(len(values))
            m = np.asarray(means)
            ax.errorbar(x, m, yerr=[m - np.asarray(lows), np.asarray(highs) - m], marker="o",
                        capsize=3)
            ax.set_xticks(x, values, rotation=20, fontsize=8)
            ax.set_xlabel(key, fontsize=8)
            ax.set_ylabel(metric, fontsize=8)
    fig.tight_layout()
    return fig


def write_sweep(out: Path, rows: list[Row], grid: list[tuple[str, list[str]]],
                meta: dict[str, object]) -> None:
    """``sweep.csv``, ``sweep.json`` and ``sensitivity.png``, each written atomically."""
    atomic_write(out / "sweep.csv", table_csv(rows).encode())
    atomic_write(out / "sweep.json", dumps({**meta, "grid": dict(grid), "rows": rows}))
    fig = plot_sensitivity(rows, grid)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write(out / "sensitivity.png", buf.getvalue())


# ---- command line ---------------------------------------------------------------------
def register(sub: Any) -> None:
    """``netsim sweep SCENARIO --grid KEY=V1,V2 ... [--workers N | --scheduler ADDR]``."""
    p = sub.add_parser("sweep", help="run a parameter grid with replications in parallel")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="a --set key and its values; repeat for more parameters")
    p.add_argument("--replications", type=int, default=1)
    p.add_argument("--seed", type=int, help="base seed (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed override applied at every point")
    p.add_argument("--engine", choices=("exact", "fast"), default="fast")
    p.add_argument("--batch", type=int, help="replications per task (default: all of a point)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: CPU count)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--out", type=Path, help="output directory (default results/sweep-<name>/)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: Any) -> int:
    from netsim.cli.console import progress_bar

    grid = parse_grid(args.grid)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if args.batch is not None and args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    tasks = plan_sweep(Path(args.scenario), grid, args.replications, args.seed, args.set,
                       args.engine, args.batch)
    started = time.perf_counter()
    with progress_bar(f"sweep of {len(tasks)} tasks", len(tasks), not args.quiet) as update:
        rows = run_sweep(tasks, args.workers, args.scheduler, update)
    name = tasks[0].scenario.name if tasks else "sweep"
    out = args.out or Path("results") / f"sweep-{name}"
    write_sweep(out, rows, grid, {"scenario": name, "engine": args.engine,
                                  "replications": args.replications,
                                  "where": args.scheduler or f"{args.workers or 'all'} local",
                                  "wall_s": round(time.perf_counter() - started, 3)})
    if not args.quiet:
        print(f"{len(rows)} runs; results in {out}/ (sweep.csv, sweep.json, sensitivity.png)")
    return EXIT_OK

"""``netsim sweep SCENARIO --grid KEY=V1,V2 ...``: a parameter grid with replications."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import (
    add_engine,
    add_output,
    add_workers,
    check_out,
    console,
    print_json,
    seed_number,
)
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse

    from netsim.sweep import Row


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``netsim sweep SCENARIO --grid KEY=V1,V2 ... [--workers N | --scheduler ADDR]``."""
    p = sub.add_parser(
        "sweep",
        help="run a parameter grid with replications in parallel",
        description="Run a scenario at every point of a grid of --set overrides, each with "
        "replications (the same seeds at every point, so points compare with common random "
        "numbers), on local processes or a Dask cluster. Prints each SLO's measured value "
        "and verdict per point and replication, and writes DIR/sweep.csv, sweep.json and "
        "sensitivity.png (each SLO against each parameter, with its target).",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a --set key and its values; repeat for more parameters",
    )
    p.add_argument(
        "--replications", type=int, default=1, metavar="N", help="seeds per point (default 1)"
    )
    p.add_argument(
        "--seed", type=seed_number, metavar="N", help="base seed (default: the scenario's)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a fixed override applied at every point",
    )
    add_engine(p)
    p.add_argument(
        "--batch", type=int, metavar="N", help="replications per task (default: all of a point)"
    )
    add_workers(p, "the grid")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="output directory (default results/sweep-<name>/)"
    )
    add_output(p, "the rows of the table")
    p.set_defaults(handler=cmd_sweep)


def print_rows(rows: list[Row], keys: list[str]) -> None:
    """The sweep's table: grid values, replication, each SLO's value and verdict."""
    from rich.table import Table

    if not rows:
        return
    slos = [k.removesuffix(":verdict") for k in rows[0] if k.endswith(":verdict")]
    t = Table(title="Sweep: each SLO per point and replication (worst window, verdict)")
    for col in (*keys, "rep", "seed", *slos):
        t.add_column(col, no_wrap=True, justify="left" if col in keys else "right")
    colour = {"holds": "green", "does not hold": "red", "at risk": "yellow"}
    for r in rows:
        cells = [str(r[k]) for k in keys] + [str(r["replication"]), str(r["seed"])]
        for name in slos:
            value, verdict = r.get(f"{name}:worst"), str(r.get(f"{name}:verdict") or "-")
            mark = f"[{colour[verdict]}]{verdict}[/]" if verdict in colour else verdict
            cells.append(
                ("-" if not isinstance(value, float | int) else f"{value:.6g}") + f" {mark}"
            )
        t.add_row(*cells)
    console().print(t)


def cmd_sweep(args: argparse.Namespace) -> int:
    import time

    from netsim.cli.console import progress_bar
    from netsim.sweep import parse_grid, plan_sweep, run_sweep, write_sweep

    grid = parse_grid(args.grid)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if args.batch is not None and args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    tasks = plan_sweep(
        Path(args.scenario),
        grid,
        replications=args.replications,
        seed=args.seed,
        overrides=args.set,
        engine=args.engine,
        batch=args.batch,
    )
    name = tasks[0].scenario.name if tasks else "sweep"
    out = args.out or Path("results") / f"sweep-{name}"
    check_out(out)
    started = time.perf_counter()
    show = not (args.quiet or args.json)
    with progress_bar(f"sweep of {len(tasks)} tasks", len(tasks), show) as update:
        rows = run_sweep(tasks, args.workers, args.scheduler, update)
    write_sweep(
        out,
        rows,
        grid,
        {
            "scenario": name,
            "engine": args.engine,
            "replications": args.replications,
            "where": args.scheduler or f"{args.workers or 'all'} local",
            "wall_s": round(time.perf_counter() - started, 3),
        },
        tasks[0].scenario if tasks else None,
    )
    if args.json:
        print_json({"out": str(out), "grid": dict(grid), "rows": rows})
    elif not args.quiet:
        print_rows(rows, [k for k, _ in grid])
        print(f"{len(rows)} runs; results in {out}/ (sweep.csv, sweep.json, sensitivity.png)")
    return EXIT_OK

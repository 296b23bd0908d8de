"""``netsim sweep SCENARIO --grid KEY=V1,V2 ...``: a parameter grid with replications."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.run import add_engine
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``netsim sweep SCENARIO --grid KEY=V1,V2 ... [--workers N | --scheduler ADDR]``."""
    p = sub.add_parser("sweep", help="run a parameter grid with replications in parallel")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a --set key and its values; repeat for more parameters",
    )
    p.add_argument("--replications", type=int, default=1)
    p.add_argument("--seed", type=int, help="base seed (default: the scenario's)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a fixed override applied at every point",
    )
    add_engine(p)
    p.add_argument("--batch", type=int, help="replications per task (default: all of a point)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: CPU count)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--out", type=Path, help="output directory (default results/sweep-<name>/)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_sweep)


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
    started = time.perf_counter()
    with progress_bar(f"sweep of {len(tasks)} tasks", len(tasks), not args.quiet) as update:
        rows = run_sweep(tasks, args.workers, args.scheduler, update)
    name = tasks[0].scenario.name if tasks else "sweep"
    out = args.out or Path("results") / f"sweep-{name}"
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
    )
    if not args.quiet:
        print(f"{len(rows)} runs; results in {out}/ (sweep.csv, sweep.json, sensitivity.png)")
    return EXIT_OK

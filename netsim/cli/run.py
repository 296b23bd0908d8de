"""``netsim run SCENARIO``: simulate a scenario, judge its SLOs, write the run directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import EXIT_OK, EXIT_VIOLATED, UsageError

if TYPE_CHECKING:
    import argparse

    from netsim.analysis.results import Summary
    from netsim.trace.core import Trace

#: The data planes of ``netsim.sim.engine.DATA_PLANES``, named here so that ``--help`` needs
#: no simulator import (tests/cli/test_cli.py holds the two equal). The first is the default.
ENGINES = ("fast", "exact")
#: ``--records`` choices (``netsim.trace.rows.RECORDS``, held equal by the same test).
RECORDS = ("auto", "all", "failures", "none")


def add_engine(p: argparse.ArgumentParser) -> None:
    """``--engine``: every verb that simulates takes it, with the same default."""
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=ENGINES[0],
        help="data plane: fast (vectorised, the default) or exact (every packet a simpy "
        "event, the reference)",
    )


def add_workers(p: argparse.ArgumentParser, what: str) -> None:
    """``--workers N | --scheduler ADDRESS``, as ``netsim sweep`` has them."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, help=f"local processes for {what} (default: one per CPU; 1: here)"
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="simulate a scenario and judge its SLOs",
        description="Simulate a scenario (its topology is named in the file), print latency "
        "percentiles with confidence intervals, SLO verdicts and failovers, and write "
        "results/<scenario>/ (summary.json, attempts.parquet, timeline.jsonl, trace.json). "
        "Exit 0 when every SLO holds, 1 when one is violated, 2 on bad input.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--out", type=Path, help="output directory (default results/<scenario>/)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key by dotted path, e.g. traffic.api.rate=2/s",
    )
    add_engine(p)
    p.add_argument(
        "--records",
        choices=RECORDS,
        default="auto",
        help="attempt rows written to attempts.parquet: all, those from 30 s before each "
        "failure to 30 s after its switch, or none (no file); auto (default): all when the "
        "run sends at most a million requests and datagrams, else failures. Statistics come "
        "from every request either way (from sketches, within 0.1 %%, when rows are left out)",
    )
    add_workers(p, "the fast engine's windows")
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.model.load_scenario import load_scenario
    from netsim.pipeline import default_out, simulate

    check_workers(args.workers)
    scenario = load_scenario(Path(args.scenario), args.set)
    with progress_bar(f"simulating {scenario.name}", scenario.duration, not args.quiet) as update:
        trace, summary = simulate(
            scenario,
            args.seed,
            args.engine,
            progress=update,
            records=args.records,
            workers=args.workers,
            scheduler=args.scheduler,
        )
    return conclude(args.out or default_out(scenario), trace, summary, args.quiet, files_of(trace))


def check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")


def files_of(trace: Trace) -> str:
    """What the run directory holds, in words (the rows as ``--records`` chose)."""
    rows = {
        "all": "attempts.parquet",
        "failures": "attempts.parquet with the attempts around failures (--records all for "
        "every one)",
        "none": "no attempts.parquet",
    }[trace.meta.get("rows", "all")]
    return f"summary.json, {rows}, timeline.jsonl"


def conclude(out: Path, trace: Trace, summary: Summary, quiet: bool, files: str) -> int:
    """Write the run directory, print the summary, and return the exit status
    (shared by ``netsim run`` and ``netsim lab run``)."""
    from netsim.cli.console import print_summary
    from netsim.trace.files import write_run

    write_run(out, trace, summary)
    if not quiet:
        print_summary(summary)
        print(f"results in {out}/ ({files})")
    return EXIT_OK if summary.passed else EXIT_VIOLATED

"""``netsim run SCENARIO``: simulate a scenario, judge its SLOs, write the run directory.

Also ``--replications N`` (independent seeds pooled into between-run intervals, on local
processes or a Dask cluster) and ``--until-conclusive`` (simulate until no SLO verdict is
inconclusive, or a cap). Exit status: 1 when an SLO does not hold, 0 otherwise;
``--strict`` makes an inconclusive verdict exit 1 too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import (
    ENGINES,
    add_engine,
    add_output,
    add_workers,
    check_out,
    check_workers,
    print_json,
    seed_number,
)
from netsim.errors import EXIT_OK, EXIT_VIOLATED, UsageError

if TYPE_CHECKING:
    import argparse

    from netsim.analysis.results import Summary
    from netsim.model.resolve import ResolvedFiles
    from netsim.trace.core import Trace

#: ``--records`` choices (``netsim.trace.rows.RECORDS``, held equal by the same test).
RECORDS = ("auto", "all", "failures", "none")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="simulate a scenario and judge its SLOs",
        description="Simulate a scenario (its topology is named in the file), print latency "
        "percentiles with confidence intervals, SLO verdicts and failovers, and write "
        "results/<scenario>/ (summary.json, attempts.parquet, timeline.jsonl, trace.json, "
        "and the scenario.yaml and topology.yaml the run used, overrides applied). Latency "
        "and success SLOs are judged per window (window: in the SLO, default 5 min): an SLO "
        "holds when every window's 95% interval meets the target, does not hold when one "
        "window's whole interval misses it, and is at risk otherwise (statistically "
        "inconclusive). Exit 0 when no SLO fails (at risk included, unless --strict), 1 when "
        "one does not hold, 2 on bad input.",
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="scenario YAML file (its topology: path is relative to it)",
    )
    p.add_argument("--seed", type=seed_number, metavar="N", help="override the scenario's seed")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="output directory (default results/<scenario>/)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key by dotted path, e.g. traffic.api.rate=2/s or "
        "topology.links.aws-mcr.capacity=5Gbps (a bad one is reported as --set KEY=VALUE)",
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
    p.add_argument(
        "--replications",
        type=int,
        metavar="N",
        help="run N independent seeds (derived from the seed as netsim sweep does) and pool "
        "them into between-run intervals; writes summary.json and replications/<i>/",
    )
    add_workers(p, "the fast engine's windows and for replications")
    p.add_argument(
        "--until-conclusive",
        action="store_true",
        help="keep simulating (a longer run, or more replications when the scenario has "
        "scripted failures, SLOs judged per window, or --replications) until no SLO is at "
        "risk",
    )
    p.add_argument(
        "--max-duration",
        metavar="D",
        help="cap of --until-conclusive: the longest run, or the replications' total "
        "simulated time (default: 10 times the scenario's duration), e.g. 6h",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when an SLO is at risk too")
    add_output(p, "the summary.json document")
    p.set_defaults(handler=cmd_run)


def _check(args: argparse.Namespace) -> float | None:
    """Usage errors of the new flags (exit 2); the cap in seconds if given."""
    from netsim.model.units import UnitError, parse_duration

    if args.replications is not None and args.replications < 2:  # noqa: PLR2004
        raise UsageError(
            f"--replications needs at least 2 runs for a between-run interval, "
            f"got {args.replications}"
        )
    check_workers(args.workers)
    if args.max_duration is None:
        return None
    if not args.until_conclusive:
        raise UsageError("--max-duration is the cap of --until-conclusive: add it")
    try:
        cap = parse_duration(args.max_duration)
    except UnitError as exc:
        raise UsageError(f"--max-duration: {exc}") from None
    if cap <= 0:
        raise UsageError(f"--max-duration must be positive, got {args.max_duration!r}")
    return cap


def cmd_run(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.model.load_scenario import load_scenario
    from netsim.model.resolve import resolve_files
    from netsim.pipeline import (
        default_out,
        run_until_conclusive,
        simulate,
        simulate_replications,
    )

    cap = _check(args)
    scenario = load_scenario(Path(args.scenario), args.set)
    if cap is not None and cap < scenario.duration:
        raise UsageError(
            f"--max-duration {args.max_duration} is shorter than the run it caps "
            f"({scenario.duration:g} s): give at least the scenario's duration"
        )
    files = resolve_files(Path(args.scenario), args.set)
    out = args.out or default_out(scenario)
    check_out(out)
    where = {"workers": args.workers, "scheduler": args.scheduler}
    show = not args.quiet and not args.json
    if args.until_conclusive:
        with progress_bar(f"simulating {scenario.name}", scenario.duration, show) as update:
            settled = run_until_conclusive(
                scenario,
                seed=args.seed,
                engine=args.engine,
                max_duration=cap,
                replications=args.replications,
                progress=update,
                task_progress=update,
                **where,
            )
        if settled.trace is None:
            return conclude_pooled(out, settled.summary, settled.runs, args, files)
        return conclude(out, settled.trace, settled.summary, args, FILES, files=files)
    if args.replications:
        with progress_bar(f"{args.replications} replications", args.replications, show) as tasks:
            pooled, runs = simulate_replications(
                scenario,
                args.replications,
                seed=args.seed,
                engine=args.engine,
                progress=tasks,
                **where,
            )
        return conclude_pooled(out, pooled, runs, args, files)
    with progress_bar(f"simulating {scenario.name}", scenario.duration, show) as update:
        trace, summary = simulate(
            scenario,
            args.seed,
            args.engine,
            progress=update,
            records=args.records,
            workers=args.workers,
            scheduler=args.scheduler,
        )
    return conclude(out, trace, summary, args, files_of(trace), files=files)


FILES = "summary.json, attempts.parquet, timeline.jsonl, scenario.yaml, topology.yaml"


def files_of(trace: Trace) -> str:
    """What the run directory holds, in words (the rows as ``--records`` chose)."""
    rows = {
        "all": "attempts.parquet",
        "failures": "attempts.parquet with the attempts around failures (--records all for "
        "every one)",
        "none": "no attempts.parquet",
    }[trace.meta.get("rows", "all")]
    return f"summary.json, {rows}, timeline.jsonl, scenario.yaml, topology.yaml"


def exit_status(summary: Summary, *, strict: bool = False) -> int:
    """1 when an SLO does not hold (or, ``strict``, is inconclusive), else 0."""
    from netsim.analysis.verdicts import Verdict

    failing = {Verdict.FAILS, Verdict.INCONCLUSIVE} if strict else {Verdict.FAILS}
    return EXIT_VIOLATED if summary.judged in failing else EXIT_OK


def _keep(out: Path, files: ResolvedFiles | None) -> None:
    """The scenario and topology the run used, beside its results."""
    from netsim.trace.files import atomic_write

    if files is None:
        return
    for name, text in files.files().items():
        atomic_write(out / name, text.encode())


def conclude(
    out: Path,
    trace: Trace,
    summary: Summary,
    args: argparse.Namespace,
    what: str,
    *,
    files: ResolvedFiles | None = None,
) -> int:
    """Write the run directory, print the summary (or its JSON), and return the exit
    status (shared by ``netsim run`` and ``netsim lab run``)."""
    import shutil

    from netsim.cli.console import print_summary
    from netsim.trace.files import write_run

    strict = getattr(args, "strict", False)
    # A pooled run written here before left replications that are not this run's.
    shutil.rmtree(out / "replications", ignore_errors=True)
    _keep(out, files)
    write_run(out, trace, summary)
    if args.json:
        print_json(summary.to_json())
    elif not args.quiet:
        print_summary(summary, strict=strict)
        print(f"results in {out}/ ({what})")
    return exit_status(summary, strict=strict)


def conclude_pooled(
    out: Path,
    pooled: Summary,
    runs: list[Summary],
    args: argparse.Namespace,
    files: ResolvedFiles | None = None,
) -> int:
    """Write a pooled run directory, print it, and return the exit status."""
    from netsim.cli.console import print_summary
    from netsim.pipeline import write_replications

    write_replications(out, pooled, runs)
    _keep(out, files)
    if args.json:
        print_json(pooled.to_json())
    elif not args.quiet:
        print_summary(pooled, strict=args.strict)
        print(f"results in {out}/ (summary.json pooled, replications/<i>/summary.json)")
    return exit_status(pooled, strict=args.strict)


__all__ = ["ENGINES", "conclude", "conclude_pooled", "exit_status", "register"]

"""``netsim run SCENARIO``: simulate a scenario, judge its SLOs, write the run directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import EXIT_OK, EXIT_VIOLATED

if TYPE_CHECKING:
    import argparse

    from netsim.analysis.results import Summary
    from netsim.trace.core import Trace

#: The data planes of ``netsim.sim.engine.DATA_PLANES``, named here so that ``--help`` needs
#: no simulator import (tests/cli/test_cli.py holds the two equal).
ENGINES = ("exact", "fast")


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
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="exact",
        help="data-plane engine (default: exact per-packet)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.model.load_scenario import load_scenario
    from netsim.pipeline import default_out, simulate

    scenario = load_scenario(Path(args.scenario), args.set)
    with progress_bar(f"simulating {scenario.name}", scenario.duration, not args.quiet) as update:
        trace, summary = simulate(scenario, args.seed, args.engine, progress=update)
    return conclude(
        args.out or default_out(scenario),
        trace,
        summary,
        args.quiet,
        "summary.json, attempts.parquet, timeline.jsonl",
    )


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

"""``netsim report RESULT_DIR...``: a design-review page from finished runs (sim or lab)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse

STEPS = 20  # progress steps shown while the report is built


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="design-review HTML from finished run directories (simulated, lab, or both)",
        description="Build the design-review page from run directories that netsim run, "
        "netsim lab run or netsim review wrote; simulated and lab runs of the same scenario "
        "are drawn side by side.",
    )
    p.add_argument(
        "run_dirs",
        nargs="+",
        type=Path,
        metavar="RESULT_DIR",
        help="run directories (each holds a summary.json)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results/report/report.html"),
        help="HTML file to write (default results/report/report.html)",
    )
    p.add_argument("--topology", type=Path, help="topology file (default: the runs' own)")
    p.add_argument(
        "--years",
        type=int,
        default=2000,
        help="simulated years of the availability Monte Carlo (default 2000)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.cli.review import print_outcome
    from netsim.model.load_topology import load_topology
    from netsim.report.build import build_report, write_report
    from netsim.report.data import load_runs

    topology = load_topology(args.topology) if args.topology else None
    runs = load_runs(list(args.run_dirs), topology)
    out: Path = args.out
    with progress_bar("building the report", STEPS, not args.quiet) as update:
        count = [0]

        def step(_: str) -> None:
            count[0] += 1
            update(min(count[0], STEPS), STEPS)

        report = build_report(runs, topology, years=args.years, step=step)
        written = write_report(report, out, out.parent / f"{out.stem}-figures")
    print_outcome(report, written[-1], args.quiet)
    return EXIT_OK

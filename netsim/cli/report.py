"""The ``review`` and ``report`` verbs (registered in :mod:`netsim.cli_more`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse


def register(sub: Any) -> None:
    """``netsim review [--out DIR]`` and ``netsim report RESULT_DIR... [--out FILE]``."""
    p = sub.add_parser("review", help="run the standard scenarios and the alternatives on the "
                       "default topology and write a design-review report")
    p.add_argument("--out", type=Path, default=Path("results/review"),
                   help="output directory (default results/review/)")
    p.add_argument("--topology", type=Path, help="review this topology instead of "
                   "topologies/megaport-hub.yaml (same link names)")
    p.add_argument("--scenarios", type=Path, help="scenario directory (default ./scenarios)")
    p.add_argument("--engine", choices=("auto", "fast", "exact"), default="auto",
                   help="data-plane engine (default: fast when it runs, else exact)")
    p.add_argument("--years", type=int, default=2000,
                   help="simulated years of the availability Monte Carlo (default 2000)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("report", help="design-review HTML from finished run directories "
                       "(simulated, lab, or both)")
    p.add_argument("run_dirs", nargs="+", type=Path, metavar="RESULT_DIR")
    p.add_argument("--out", type=Path, default=Path("results/report/report.html"),
                   help="HTML file to write (default results/report/report.html)")
    p.add_argument("--topology", type=Path, help="topology file (default: the runs' own)")
    p.add_argument("--years", type=int, default=2000,
                   help="simulated years of the availability Monte Carlo (default 2000)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_report)


def cmd_review(args: argparse.Namespace) -> int:
    from netsim.report.review import run_review

    report, written = run_review(args.out, args.scenarios, args.topology, args.engine,
                                 args.years, progress=not args.quiet)
    _print_outcome(report, written[-1], args.quiet)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.model.load_topology import load_topology
    from netsim.report.build import build_report, write_report
    from netsim.report.data import load_runs

    topology = load_topology(args.topology) if args.topology else None
    runs = load_runs(list(args.run_dirs), topology)
    out: Path = args.out
    with progress_bar("building the report", 20, not args.quiet) as update:
        count = [0]

        def step(_: str) -> None:
            count[0] += 1
            update(min(count[0], 20), 20)
        report = build_report(runs, topology, years=args.years, step=step)
        written = write_report(report, out, out.parent / f"{out.stem}-figures")
    _print_outcome(report, written[-1], args.quiet)
    return EXIT_OK


def _print_outcome(report: Any, html: Path, quiet: bool) -> None:
    if quiet:
        print(html)
        return
    from rich.console import Console

    console = Console()
    for f in report.findings:
        colour = {"risk": "red", "holds": "green"}.get(f.status, "blue")
        console.print(f"[{colour}]{f.status:>5}[/] [bold]{f.title}[/]: {f.text}")
    console.print(f"report: {html}")


__all__ = ["register"]

"""``netsim review``: the standard scenarios and the alternatives, then the design review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.cli.run import ENGINES, add_workers, check_workers
from netsim.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "review",
        help="run the standard scenarios and the alternatives on the default "
        "topology and write a design-review report",
        description="The main job: simulate the standard scenario set on the ADR-003 "
        "topology (or --topology) and the ADR's alternatives, then write one self-contained "
        "HTML design review (results/review/report.html) with figures, findings and every "
        "run's directory beside it.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results/review"),
        help="output directory (default results/review/)",
    )
    p.add_argument(
        "--topology",
        type=Path,
        help="review this topology instead of topologies/megaport-hub.yaml (same link names)",
    )
    p.add_argument("--scenarios", type=Path, help="scenario directory (default ./scenarios)")
    p.add_argument(
        "--engine",
        choices=(*ENGINES, "auto"),
        default=ENGINES[0],
        help="data plane: fast (vectorised, the default), exact (every packet a simpy "
        "event, the reference) or auto (fast when a 5 s probe runs, else exact)",
    )
    p.add_argument(
        "--years",
        type=int,
        default=2000,
        help="simulated years of the availability Monte Carlo (default 2000)",
    )
    p.add_argument(
        "--regions",
        action="store_true",
        help="add the cost and worst-pair P95 of this design and its alternatives from 3 to "
        "20 regions (at how many regions does it stop being the cheapest that meets the SLO?)",
    )
    add_workers(p, "the runs and availability Monte Carlos")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    from netsim.cli.console import review_progress
    from netsim.report.review import run_review

    check_workers(args.workers)
    with review_progress(not args.quiet) as bar:
        report, written = run_review(
            args.out,
            scenarios=args.scenarios,
            topology=args.topology,
            engine=args.engine,
            years=args.years,
            progress=bar,
            workers=args.workers,
            scheduler=args.scheduler,
            regions=args.regions,
        )
    print_outcome(report, written[-1], args.quiet)
    return EXIT_OK


def print_outcome(report: Any, html: Path, quiet: bool) -> None:
    """The findings, one line each, and where the report is (``--quiet``: the path only)."""
    if quiet:
        print(html)
        return
    from rich.console import Console

    console = Console()
    for f in report.findings:
        colour = {"risk": "red", "holds": "green"}.get(f.status, "blue")
        console.print(f"[{colour}]{f.status:>5}[/] [bold]{f.title}[/]: {f.text}")
    console.print(f"report: {html}")

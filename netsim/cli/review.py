"""``netsim review``: the design's scenarios and its alternatives, then the design review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.cli.common import (
    add_engine,
    add_output,
    add_workers,
    add_years,
    check_out,
    check_workers,
    console,
    print_json,
)
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "review",
        help="run the scenarios and alternatives of a design and write its design review",
        description="The main job: simulate the scenario set of a design (ADR-003's "
        "megaport-hub and its alternatives by default), derive recommendations from the "
        "numbers and re-simulate each, vary every assumption, and write one self-contained "
        "HTML design review (DIR/report.html) that opens with its verdict, with report.json "
        "and every run's directory beside it.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results/review"),
        metavar="DIR",
        help="output directory (default results/review/)",
    )
    p.add_argument(
        "--topology",
        type=Path,
        metavar="FILE",
        help="the design to review (default: the topology most scenarios use, ADR-003's "
        "megaport-hub among the shipped ones)",
    )
    p.add_argument(
        "--scenarios",
        type=Path,
        metavar="DIR",
        help="scenario directory (default ./scenarios): the scenarios on the design are run",
    )
    p.add_argument(
        "--alternative",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a topology to compare the design with on the same load (repeat for more; "
        "ADR-003 is compared with the ADR's own alternatives)",
    )
    p.add_argument(
        "--regions",
        action="store_true",
        help="add the cost and worst-pair P95 of ADR-003's design (one MCR hub, VPN ring) and "
        "its alternatives as netsim generate builds them for 3 to 20 regions (at how many "
        "regions does it stop being the cheapest that meets the SLO?); the same family "
        "whatever --topology is: for a design of your own, simulate it at each size with "
        "netsim generate and netsim run",
    )
    add_engine(p, auto=True)
    add_years(p)
    add_workers(p, "the runs and availability Monte Carlos")
    add_output(p, "the verdict, recommendations and findings (report.json has everything)")
    p.set_defaults(handler=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    from netsim.cli.console import review_progress
    from netsim.report.review import run_review

    check(args)
    check_out(args.out)
    with review_progress(not (args.quiet or args.json)) as bar:
        report, written = run_review(
            args.out,
            scenarios=args.scenarios,
            topology=args.topology,
            alternatives=args.alternative,
            engine=args.engine,
            years=args.years,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=bar,
            regions=args.regions,
        )
    print_outcome(report, written[-1], args)
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Usage errors of the shared flags (exit 2)."""
    if args.years < 0:
        raise UsageError(f"--years must not be negative, got {args.years}")
    check_workers(args.workers)


def print_outcome(report: Any, html: Path, args: argparse.Namespace) -> None:
    """The verdict, the recommendations and the findings, one line each, and where the
    report is (``--quiet``: the path only; ``--json``: all of it as JSON)."""
    numbers = report.numbers
    if args.json:
        print_json(
            {
                "report": str(html),
                "verdict": numbers["verdict"],
                "recommendations": numbers["recommendations"],
                "findings": numbers["findings"],
            }
        )
        return
    if args.quiet:
        print(html)
        return
    out = console()
    colour = {"holds": "green", "does not hold": "red", "at risk": "yellow"}
    status, sentence = report.assessment.verdict
    out.print(f"[bold {colour.get(status.value, 'blue')}]{status.value}[/]: {sentence}")
    from netsim.report.build import word

    for v in report.assessment.verified:
        out.print(f"  recommendation ({word(v)}): {v.rec.title}")
    for f in report.findings:
        out.print(f"[{colour.get(f.status.value, 'blue')}]{f.status.value:>13}[/] {f.title}")
    out.print(f"report: {html}")

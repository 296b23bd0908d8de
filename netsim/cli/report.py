"""``netsim report RESULT_DIR...``: a design-review page from finished runs (sim or lab)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import add_engine, add_output, add_workers, add_years, check_out
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse

STEPS = 25  # progress steps shown while the report is built


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="design-review HTML from finished run directories (simulated, lab, or both)",
        description="Build the design-review page from run directories that netsim run, "
        "netsim lab run or netsim review wrote: the verdict, the recommendations (each "
        "re-simulated from the scenario.yaml and topology.yaml the runs kept, unless "
        "--no-verify), the findings, the assumptions and what they move. Simulated and lab "
        "runs of the same scenario are one scenario, drawn side by side; runs of one "
        "scenario with different seeds are its replications, pooled.",
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
        metavar="FILE",
        help="HTML file to write (default results/report/report.html); re-simulations go "
        "to runs/ beside it",
    )
    p.add_argument(
        "--topology",
        type=Path,
        metavar="FILE",
        help="the design the runs review (default: their own topology.yaml)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="do not re-simulate the recommendations and the assumptions (a quicker page "
        "without before/after numbers or sensitivity)",
    )
    add_engine(p)
    add_years(p)
    add_workers(p, "the re-simulations")
    add_output(p, "the verdict, recommendations and findings")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from netsim.cli.console import progress_bar
    from netsim.cli.review import check, print_outcome
    from netsim.model.load_topology import load_topology
    from netsim.report.assess import Options
    from netsim.report.build import write_report
    from netsim.report.data import load_runs
    from netsim.report.review import report_runs

    check(args)
    out: Path = args.out
    check_out(out.parent)
    if out.is_dir():
        raise UsageError(f"--out {out}: is a directory; name the HTML file, e.g. {out}/report.html")
    topology = load_topology(args.topology) if args.topology else None
    runs = load_runs(list(args.run_dirs), topology)
    if args.topology:
        text = Path(args.topology).read_text(encoding="utf-8")
        for run in runs:
            run.topology_text = text
    with progress_bar("building the report", STEPS, not (args.quiet or args.json)) as update:
        count = [0]

        def step(_: str) -> None:
            count[0] += 1
            update(min(count[0], STEPS), STEPS)

        options = Options(
            out.parent / "runs",
            args.engine,
            args.years,
            1,
            args.workers,
            args.scheduler,
            verify=not args.no_verify,
            step=step,
        )
        report = report_runs(runs, topology, options)
        written = write_report(report, out, out.parent / f"{out.stem}-figures")
    print_outcome(report, written[-1], args)
    return EXIT_OK

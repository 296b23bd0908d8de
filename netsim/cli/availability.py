"""``netsim availability TOPOLOGY``: Monte Carlo availability of every cloud pair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.cli.common import add_output, add_years, console, print_json
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "availability",
        help="Monte Carlo availability of every cloud pair against the "
        "closed form and the SLA claimed",
        description="Simulate many years of random failures (each element's mtbf/mttr) and "
        "report, per pair of clouds, the simulated availability with its interval, the "
        "closed form where one exists, and downtime per year.",
    )
    p.add_argument("topology", metavar="TOPOLOGY", help="topology YAML file")
    add_years(p)
    p.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default 1)")
    add_output(p, "the availability document (pairs, closed forms, downtime)")
    p.set_defaults(handler=cmd_availability)


def cmd_availability(args: argparse.Namespace) -> int:
    from netsim.analysis.availability import SLA_CLAIMED, availability_report
    from netsim.model.load_topology import load_topology

    if args.years < 1:
        raise UsageError(f"--years must be at least 1, got {args.years}")
    doc = availability_report(load_topology(args.topology), args.years, args.seed)
    if args.json:
        print_json(doc)
        return EXIT_OK
    if args.quiet:
        return EXIT_OK
    from rich.table import Table

    table = Table(
        title=f"{doc['topology']}: availability over {args.years} simulated years "
        f"(SLA claimed {SLA_CLAIMED:.4%})"
    )
    for col in (
        "pair",
        "simulated",
        "95% CI",
        "closed form",
        "downtime min/yr mean",
        "p50",
        "p95",
        "SLA",
    ):
        table.add_column(col, justify="left" if col == "pair" else "right", no_wrap=True)
    for p in doc["pairs"]:
        d = p["downtime_min_per_year"]
        cf = "-" if p["closed_form"] is None else f"{p['closed_form']:.7f}"
        ci = "-" if None in p["ci"] else f"[{p['ci'][0]:.7f}, {p['ci'][1]:.7f}]"
        table.add_row(
            f"{p['a']}-{p['b']}",
            f"{p['simulated']:.7f}",
            ci,
            cf,
            f"{d['mean']:.2f}",
            f"{d['p50']:.2f}",
            f"{d['p95']:.2f}",
            "[green]holds[/]" if p["meets_sla"] else "[red]does not hold[/]",
        )
    console().print(table)
    return EXIT_OK

"""``netsim availability TOPOLOGY``: Monte Carlo availability of every cloud pair, and with
``--load SCENARIO`` the availability that meets the SLO (the route carries the load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.cli.common import add_output, add_years, console, print_json, seed_number
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse

    from netsim.analysis.demand import Demand
    from netsim.model.topology import Topology


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "availability",
        help="Monte Carlo availability of every cloud pair against the "
        "closed form and the SLA claimed",
        description="Simulate many years of random failures (each element's mtbf/mttr) and "
        "report, per pair of clouds, the simulated availability with its interval, the "
        "closed form where one exists, and downtime per year. With --load, a pair also "
        "counts as down while its route cannot carry the scenario's mean load (meets SLO).",
    )
    p.add_argument("topology", metavar="TOPOLOGY", help="topology YAML file")
    add_years(p)
    p.add_argument(
        "--seed", type=seed_number, default=1, metavar="N", help="random seed (default 1)"
    )
    p.add_argument(
        "--load",
        metavar="SCENARIO",
        help="judge availability as the SLO does: a pair is down while its route cannot "
        "carry this scenario's traffic (mean rates)",
    )
    add_output(p, "the availability document (pairs, closed forms, downtime)")
    p.set_defaults(handler=cmd_availability)


def cmd_availability(args: argparse.Namespace) -> int:
    from netsim.analysis.availability import SLA_CLAIMED, availability_report
    from netsim.model.load_topology import load_topology

    if args.years < 1:
        raise UsageError(f"--years must be at least 1, got {args.years}")
    topology = load_topology(args.topology)
    demand = _demand(args.load, topology) if args.load else None
    doc = availability_report(topology, args.years, args.seed, demand)
    if args.json:
        print_json(doc)
        return EXIT_OK
    if args.quiet:
        return EXIT_OK
    from rich.table import Table

    load = f", load of {doc['load']}" if demand is not None else ""
    table = Table(
        title=f"{doc['topology']}: availability over {args.years} simulated years "
        f"(SLA column: against {SLA_CLAIMED:.4%}, ADR-003's claimed interconnect SLA{load})"
    )
    columns = ["pair", "connected", "95% CI", "closed form", "downtime min/yr mean", "p50", "p95"]
    if demand is not None:
        columns += ["meets SLO", "SLO downtime min/yr"]
    for col in (*columns, "SLA"):
        table.add_column(col, justify="left" if col == "pair" else "right", no_wrap=True)
    for p in doc["pairs"]:
        d = p["downtime_min_per_year"]
        cf = "-" if p["closed_form"] is None else f"{p['closed_form']:.7f}"
        ci = "-" if None in p["ci"] else f"[{p['ci'][0]:.7f}, {p['ci'][1]:.7f}]"
        slo = (
            [f"{p['meets_slo']:.7f}", f"{p['meets_slo_downtime_min_per_year']['mean']:.2f}"]
            if demand is not None
            else []
        )
        table.add_row(
            f"{p['a']}-{p['b']}",
            f"{p['simulated']:.7f}",
            ci,
            cf,
            f"{d['mean']:.2f}",
            f"{d['p50']:.2f}",
            f"{d['p95']:.2f}",
            *slo,
            "[green]holds[/]" if p["meets_sla"] else "[red]does not hold[/]",
        )
    console().print(table)
    return EXIT_OK


def _demand(path: str, topology: Topology) -> Demand:
    """The declared load of scenario ``path``; its traffic must run between ``topology``'s
    nodes."""
    from netsim.analysis.demand import demand_of
    from netsim.model.load_scenario import load_scenario

    demand = demand_of(load_scenario(path))
    nodes = set(topology.node_names)
    unknown = sorted({n for pair in demand.pairs for n in pair} - nodes)
    if unknown:
        raise UsageError(
            f"--load {path}: its traffic runs between nodes {topology.name} does not have "
            f"({', '.join(unknown)})"
        )
    return demand

"""``netsim generate --sites N [--hubs K] [--vpn mesh|ring|none] [--seed S] --out DIR``.

Writes ``DIR/topology.yaml`` and ``DIR/scenario.yaml`` (:mod:`netsim.model.design_text`),
each atomically, and checks that both load before saying so; the scenario names the
topology beside it, so ``netsim run DIR/scenario.yaml`` and ``netsim check DIR/topology.yaml``
work at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import add_output, check_out, print_json, seed_number
from netsim.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "generate",
        help="write a design of N cloud regions on K MCR hubs, with a day of scaled load",
        description="Write DIR/topology.yaml (N cloud regions of AWS, GCP and Azure in turn, "
        "each on a 10 Gbps interconnect to its nearest of K Megaport Cloud Routers, the "
        "routers meshed, an IPSec VPN overlay over the internet; every parameter cited from "
        "the reference numbers) and DIR/scenario.yaml (a day of ADR-003 load scaled to N "
        "regions, with ADR-003's SLOs).",
    )
    p.add_argument("--sites", type=int, required=True, metavar="N", help="cloud regions")
    p.add_argument("--hubs", type=int, default=1, metavar="K", help="MCR hubs (default 1)")
    p.add_argument(
        "--vpn",
        choices=("mesh", "ring", "none"),
        default="ring",
        help="VPN overlay between the regions: every pair, a ring (default) or none",
    )
    p.add_argument(
        "--seed", type=seed_number, default=1, metavar="N", help="the scenario's seed (default 1)"
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    add_output(p, "what was written (files, regions, hubs, links, traffic classes, SLOs)")
    p.set_defaults(handler=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    from netsim.model.design_text import generate_design
    from netsim.model.load_scenario import load_scenario
    from netsim.trace.files import atomic_write

    design = generate_design(args.sites, hubs=args.hubs, vpn=args.vpn, seed=args.seed)
    out: Path = args.out
    check_out(out)
    written: list[Path] = []
    try:
        for name, text in (("topology.yaml", design.topology), ("scenario.yaml", design.scenario)):
            atomic_write(out / name, text.encode())
            written.append(out / name)
    except OSError as exc:  # what check_out cannot see (a read-only mount, a full disk)
        for path in written:  # no topology without its scenario left behind
            path.unlink(missing_ok=True)
        raise UsageError(f"--out {out}: cannot write {exc.filename}: {exc.strerror}") from exc
    scenario = load_scenario(out / "scenario.yaml")  # both files load, or exit 2 with why
    topo = scenario.topology
    if args.json:
        print_json(
            {
                "topology": str(out / "topology.yaml"),
                "scenario": str(out / "scenario.yaml"),
                "regions": len(design.sites),
                "hubs": len(design.hubs),
                "links": len(topo.links),
                "traffic": len(scenario.traffic),
                "slos": len(scenario.slos),
            }
        )
        return EXIT_OK
    if args.quiet:
        return EXIT_OK
    print(
        f"{out}/topology.yaml: {len(design.sites)} regions, {len(design.hubs)} hub(s), "
        f"{len(topo.links)} links; {out}/scenario.yaml: {len(scenario.traffic)} traffic "
        f"classes, {len(scenario.slos)} SLOs"
    )
    return EXIT_OK

"""``netsim check TOPOLOGY``: partitions, single points of failure, failover bounds, SLOs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.run import ENGINES
from netsim.errors import UsageError
from netsim.verify import EXHAUSTIVE_LIMIT

if TYPE_CHECKING:
    import argparse


def _cmd(args: argparse.Namespace) -> int:
    from netsim.model.units import parse_duration

    gap = None
    if args.max_gap is not None:
        try:
            gap = parse_duration(args.max_gap)
        except ValueError as exc:
            raise UsageError(f"--max-gap: {exc}") from None
    from netsim.verify.check import run_check

    return run_check(Path(args.topology), args.max_failures,
                     Path(args.scenario) if args.scenario else None, args.json, gap,
                     args.search, args.require_preferred, args.engine, args.all)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``netsim check`` to the command line."""
    p = sub.add_parser("check", help="enumerate failures: partitions, SPOFs, failover "
                       "bounds, SLOs; print minimal counterexamples")
    p.add_argument("topology", metavar="TOPOLOGY")
    p.add_argument("--max-failures", type=int, default=1, metavar="K",
                   help="simultaneous failures to combine (default 1)")
    p.add_argument("--scenario", metavar="S", help="also judge this scenario's SLOs with "
                   "each combination injected (its traffic on TOPOLOGY)")
    p.add_argument("--max-gap", metavar="DURATION", help="failover-gap target (default: the "
                   "scenario's failover_gap SLO, else none)")
    p.add_argument("--require-preferred", action="store_true",
                   help="count losing a pair's preferred path as a violation")
    p.add_argument("--search", choices=("auto", "exhaustive", "hypothesis"), default="auto",
                   help=f"auto: exhaustive up to {EXHAUSTIVE_LIMIT} combinations")
    p.add_argument("--engine", choices=ENGINES, default="fast",
                   help="data-plane engine for --scenario runs (default fast)")
    p.add_argument("--all", action="store_true", help="also list every combination's "
                   "outcome per pair (exhaustive search only)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_cmd)

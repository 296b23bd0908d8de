"""``netsim check TOPOLOGY``: the command line and the text report of :mod:`netsim.verify.check`.

:func:`run_check` loads the inputs, runs :func:`~netsim.verify.check.check_topology` and
prints the report as text (:func:`render_text`) or JSON; its return value is the exit status
of architecture section 5 (0 every property holds, 1 a violation, 2 bad input).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import add_engine, add_output, check_workers
from netsim.errors import EXIT_OK, EXIT_VIOLATED, UsageError
from netsim.verify import EXHAUSTIVE_LIMIT

if TYPE_CHECKING:
    import argparse

    from netsim.verify.check import CheckOptions, CheckReport, Finding
    from netsim.verify.search import Combo, FailureSpace


def _grouped(findings: list[Finding]) -> list[tuple[Finding, list[tuple[str, str]]]]:
    """Findings of one kind merged by combination: (first finding, pairs it hits)."""
    out: dict[Combo, tuple[Finding, list[tuple[str, str]]]] = {}
    for f in findings:
        entry = out.setdefault(f.combo, (f, []))
        if f.pair:
            entry[1].append(f.pair)
    return sorted(out.values(), key=lambda x: (len(x[0].combo), sorted(x[0].combo)))


def render_text(report: CheckReport) -> str:
    from netsim.verify.search import FailureSpace
    from netsim.verify.tables import gap_table

    """The report for a terminal: preferred paths, SPOFs, partitions, other violations."""
    space = FailureSpace(report.topology)
    lines = [*_header(report, space), *_spofs(report, space), *_sections(report)]
    if report.table is not None:
        lines += ["", "Every combination (pair: outcome, worst-case gap as blackholes):"]
        for row in report.table:
            gaps = {
                p: round(o.gap_s, 3) for p, o in row.outcomes.items() if not math.isinf(o.gap_s)
            }
            cells = [
                f"{p} {o.status}" + (f" {gaps[p]:g}s" if gaps.get(p) else "")
                for p, o in row.outcomes.items()
            ]
            lines.append(f"  {' + '.join(row.elements)}: {', '.join(cells)}")
    if report.gap_target is None:
        lines += [
            "",
            "Worst-case failover gap of single failures (no target given; "
            "--max-gap or a scenario's failover_gap SLO sets one):",
        ]
        for gap in gap_table(space):
            lines.append(
                f"  {gap.element}: {gap.blackhole_s:g}s as a blackhole, "
                f"{gap.down_s:g}s as a carrier loss (worst pair "
                f"{gap.pair[0]}-{gap.pair[1]})"
            )
    bad = report.violations
    counts: dict[str, int] = {}
    for f in bad:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    lines += [
        "",
        f"{len(bad)} violation(s)"
        + (
            ": " + ", ".join(f"{n} {k}" for k, n in counts.items())
            if bad
            else "; every property holds"
        ),
    ]
    return "\n".join(lines)


def _header(report: CheckReport, space: FailureSpace) -> list[str]:
    """What was searched, and every pair's preferred path."""
    kinds = {"link": 0, "node": 0, "group": 0}
    for e in space.elements:
        kinds[e.kind] += 1
    lines = [
        f"netsim check {report.topology.source or report.topology.name}: up to "
        f"{report.max_failures} simultaneous failure(s) of {kinds['link']} links, "
        f"{kinds['node']} nodes (transit only), {kinds['group']} groups; "
        f"{report.combinations} combinations ({report.search}), "
        f"{report.verified} run through the control plane"
        + (f", {report.slo_runs} scenario runs" if report.scenario else "")
        + f"; {report.wall_s:.1f}s",
        "",
        "Preferred paths:",
    ]
    for (a, b), path in space.baseline.items():
        lines.append(f"  {a}-{b}: {' '.join(path or ('none',))}")
    return lines


def _spofs(report: CheckReport, space: FailureSpace) -> list[str]:
    """Single points of failure, each with the elements that break the same links."""
    lines = [
        "",
        "Single points of failure (one failure and a pair loses its preferred path, or all paths):",
    ]
    spofs = report.spofs()
    same: dict[frozenset[str], list[str]] = {}
    for name in spofs:
        e = next(iter(spofs[name][0].combo))
        same.setdefault(frozenset(space.effects(frozenset({e}), "down")), []).append(name)
    if not spofs:
        lines.append("  none")
    for name, fs in spofs.items():
        e = next(iter(fs[0].combo))
        twins = [n for n in same[frozenset(space.effects(frozenset({e}), "down"))] if n != name]
        lines.append(f"  {name}" + (f" (same links as {', '.join(twins)})" if twins else "") + ":")
        lines += [f"    {f.pair[0]}-{f.pair[1]}: {f.detail}" for f in fs if f.pair]
    return lines


def _sections(report: CheckReport) -> list[str]:
    from netsim.verify.search import label

    """Partitions, combinations that lose a preferred path, gaps, SLOs, model disagreements."""
    lines: list[str] = []
    sections = (
        ("partition", "Partitions (no path left), minimal combinations"),
        ("degraded", "Preferred path lost only by a combination (minimal)"),
        ("gap", f"Failover gap above {report.gap_target or 0:g}s (worst case, minimal)"),
        ("slo", f"SLO violations of scenario {report.scenario}"),
        ("model", "Simulator disagrees with the model's bounds"),
    )
    for kind, title in sections:
        found = [f for f in report.of_kind(kind) if kind != "degraded" or len(f.combo) > 1]
        if (kind in ("slo", "model") and not found) or (
            kind == "gap" and report.gap_target is None
        ):
            continue
        lines += ["", f"{title}:"]
        if not found:
            lines.append("  none")
        for f, pairs in _grouped(found):
            what = (f"{kind} " + ", ".join(f"{a}-{b}" for a, b in pairs)) if pairs else f.detail
            lines.append(f"  {label(f.combo) or '(no failure)'}: {what}")
            if kind in ("gap", "slo", "model") and pairs:
                lines.append(f"    {f.detail}")
            if f.combo and f.violation:
                lines.append("    failures: [" + ", ".join(f.schedule()) + "]")
    return lines


def run_check(
    path: Path,
    options: CheckOptions,
    scenario_path: Path | None = None,
    as_json: bool = False,
    quiet: bool = False,
) -> int:
    """``netsim check``: load, check, print; the exit status of architecture section 5."""
    import dataclasses
    import json

    from netsim.model.load_scenario import load_scenario
    from netsim.model.load_topology import load_topology
    from netsim.verify.check import check_topology

    if options.max_failures < 1:
        raise UsageError("--max-failures must be at least 1")
    topology = load_topology(path)
    scenario = None
    if scenario_path is not None:
        scenario = load_scenario(scenario_path)
        missing = sorted(
            {n for c in scenario.traffic for n in (c.src, *c.dsts)} - set(topology.node_names)
        )
        if missing:
            raise UsageError(
                f"--scenario {scenario_path}: traffic uses node(s) "
                f"{', '.join(missing)} that {path} does not have"
            )
        scenario = dataclasses.replace(scenario, topology=topology)
    report = check_topology(topology, options, scenario)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    elif not quiet:
        print(render_text(report))
    return EXIT_VIOLATED if report.violations else EXIT_OK


def _cmd(args: argparse.Namespace) -> int:
    from netsim.model.units import parse_duration
    from netsim.verify.check import CheckOptions

    gap = None
    if args.max_gap is not None:
        try:
            gap = parse_duration(args.max_gap)
        except ValueError as exc:
            raise UsageError(f"--max-gap: {exc}") from None
        if gap < 0:
            raise UsageError(f"--max-gap must not be negative, got {args.max_gap!r}")
    check_workers(args.workers)
    options = CheckOptions(
        args.max_failures,
        gap,
        args.search,
        args.require_preferred,
        args.engine,
        table=args.all,
        workers=args.workers,
    )
    return run_check(
        Path(args.topology),
        options,
        Path(args.scenario) if args.scenario else None,
        args.json,
        args.quiet,
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``netsim check`` to the command line."""
    p = sub.add_parser(
        "check",
        help="enumerate failures: partitions, SPOFs, failover "
        "bounds, SLOs; print minimal counterexamples",
        description="Enumerate every combination of up to K simultaneous failures (links, "
        "transit nodes, shared-risk groups) against an independent reference of the "
        "routing semantics: partitions, single points of failure, worst-case failover gaps, "
        "and with --scenario the scenario's SLOs with each combination injected. Each "
        "violation comes with a minimal failure schedule to paste into a scenario. Exit 0 "
        "when every property holds, 1 on a violation, 2 on bad input.",
    )
    p.add_argument("topology", metavar="TOPOLOGY", help="topology YAML file")
    p.add_argument(
        "--max-failures",
        type=int,
        default=1,
        metavar="K",
        help="simultaneous failures to combine (default 1)",
    )
    p.add_argument(
        "--scenario",
        metavar="S",
        help="also judge this scenario's SLOs with "
        "each combination injected (its traffic on TOPOLOGY)",
    )
    p.add_argument(
        "--max-gap",
        metavar="DURATION",
        help="failover-gap target (default: the scenario's failover_gap SLO, else none)",
    )
    p.add_argument(
        "--require-preferred",
        action="store_true",
        help="count losing a pair's preferred path as a violation",
    )
    p.add_argument(
        "--search",
        choices=("auto", "exhaustive", "hypothesis"),
        default="auto",
        help=f"auto: exhaustive up to {EXHAUSTIVE_LIMIT} combinations",
    )
    add_engine(p)
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local processes for the control-plane runs (default: one per CPU; 1: here)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="also list every combination's outcome per pair (exhaustive search only)",
    )
    add_output(p, "the report")
    p.set_defaults(handler=_cmd)


__all__ = ["register", "render_text", "run_check"]

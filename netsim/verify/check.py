"""Which failures break reachability, failover bounds or SLOs: the library of ``netsim check``.

The pipeline of :func:`check_topology`, one phase per line:

1. ``space = FailureSpace(topology)`` -- links, nodes, groups; the pairs of clouds and their
   preferred paths;
2. ``minimal = search(space, k, judges)`` -- every combination of up to ``k`` simultaneous
   failures (exhaustively, or hypothesis-guided when there are too many), keeping the
   minimal ones that partition a pair, lose its preferred path (degrade it to a fallback
   such as the VPN) or exceed the failover-gap target;
3. ``model = verify(space, combos)`` -- each reported combination (and every single
   failure) is run through the simulator's control plane and must agree with the bounds
   (:mod:`netsim.verify.bounds`) and the routing oracle (:mod:`netsim.verify.oracle`);
4. ``slos = judge_slos(scenario, ...)`` (with ``--scenario``, :mod:`netsim.verify.slo_runs`)
   -- each distinct combination that touches the scenario's traffic is injected into the
   scenario and simulated; failed SLOs are reported with the schedule that fails them.

A :class:`~netsim.verify.findings.Finding` is one result; the tables of every
combination's outcome and of worst-case gaps are :mod:`netsim.verify.tables`.

Partitions, gap-bound and SLO violations (and model disagreements) make the exit status 1;
a lost preferred path is reported as a single point of failure and is a violation only
with ``--require-preferred``. The schedules reported are minimal: no subset fails the same
way, and they paste into a scenario's ``failures:`` list. The command line and the text
rendering of a :class:`CheckReport` are :mod:`netsim.cli.check`'s; nothing here prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.verify import EXHAUSTIVE_LIMIT
from netsim.verify.findings import Finding
from netsim.verify.runs import VERIFY_AT, distinct_effects, verify
from netsim.verify.search import (
    Combo,
    FailureSpace,
    Judge,
    Minimal,
    exhaustive,
    gap_judge,
    guided,
    label,
    outcome_judge,
)
from netsim.verify.slo_runs import judge_slos
from netsim.verify.tables import CombinationRow, gap_table, outcome_row

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.model.topology import Topology


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How :func:`check_topology` searches and judges (the flags of ``netsim check``)."""

    max_failures: int = 1
    gap_target: float | None = None  # None: the scenario's failover_gap SLO, else no target
    search: str = "auto"  # auto | exhaustive | hypothesis
    require_preferred: bool = False  # a lost preferred path is a violation too
    engine: str = "fast"  # data-plane engine of the scenario runs
    limit: int = EXHAUSTIVE_LIMIT  # auto: exhaustive up to this many combinations
    table: bool = False  # record every combination's outcome (exhaustive only)
    workers: int | None = 1  # local processes for the control-plane runs (None: all CPUs)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :func:`check_topology` found, and how it searched."""

    topology: Topology
    max_failures: int
    search: str  # exhaustive | hypothesis
    combinations: int
    findings: tuple[Finding, ...] = ()
    gap_target: float | None = None
    scenario: str | None = None
    slo_runs: int = 0
    verified: int = 0
    wall_s: float = 0.0
    table: tuple[CombinationRow, ...] | None = None

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.violation]

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def spofs(self) -> dict[str, list[Finding]]:
        """Single elements that degrade or partition a pair, by element."""
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            if len(f.combo) == 1 and f.kind in ("degraded", "partition"):
                out.setdefault(label(f.combo), []).append(f)
        return out

    def to_json(self) -> dict[str, object]:
        space = FailureSpace(self.topology)
        return {
            "topology": self.topology.name,
            "file": self.topology.source,
            "max_failures": self.max_failures,
            "search": self.search,
            "combinations": self.combinations,
            "verified": self.verified,
            "elements": [str(e) for e in space.elements],
            "pairs": [list(p) for p in space.pairs],
            "preferred": [
                {"pair": list(p), "path": list(path or ())} for p, path in space.baseline.items()
            ],
            "single_points_of_failure": [
                {
                    "element": name,
                    "pairs": [
                        {"pair": list(f.pair or ()), "effect": f.kind, "detail": f.detail}
                        for f in fs
                    ],
                }
                for name, fs in self.spofs().items()
            ],
            "gap_target_s": self.gap_target,
            "scenario": self.scenario,
            "slo_runs": self.slo_runs,
            "gap_bounds": [g.to_json() for g in gap_table(space)],
            "findings": [f.to_json() for f in self.findings],
            "violations": len(self.violations),
            "pass": not self.violations,
            "wall_s": round(self.wall_s, 3),
            **(
                {"combinations_checked": [r.to_json() for r in self.table]}
                if self.table is not None
                else {}
            ),
        }


# ---- phases ------------------------------------------------------------------------------
def search(
    space: FailureSpace,
    k: int,
    judges: tuple[Judge, ...],
    how: str = "auto",
    limit: int = EXHAUSTIVE_LIMIT,
) -> tuple[Minimal, str]:
    """Minimal failing combinations, exhaustively when at most ``limit`` combinations."""
    if how == "exhaustive" or (how == "auto" and space.count(k) <= limit):
        return exhaustive(space, k, judges), "exhaustive"
    return guided(space, k, judges), "hypothesis"


def describe(
    space: FailureSpace, combo: Combo, pair: tuple[str, str], kind: str, gap_target: float | None
) -> str:
    out = space.outcome(combo, pair)
    base = space.baseline[pair] or ()
    pref = min((space.topology.link(n).preference for n in base), default=0)
    if kind == "partition":
        return f"{pair[0]} and {pair[1]} have no path left (partition)"
    if kind == "degraded":
        return (
            f"loses the preferred path {' '.join(base)} (preference {pref}); traffic falls "
            f"back to {' '.join(out.path or ())} (preference {out.preference})"
        )
    return (
        f"worst-case failover gap {out.gap_s:.3g}s (all blackhole; {out.gap_down_s:.3g}s "
        f"if carrier is lost) exceeds {gap_target:g}s"
    )


def check_topology(
    topology: Topology, options: CheckOptions | None = None, scenario: Scenario | None = None
) -> CheckReport:
    """The library form of ``netsim check`` (see the module docstring)."""
    started = time.perf_counter()
    opts = options or CheckOptions()
    max_failures, gap_target, engine = opts.max_failures, opts.gap_target, opts.engine
    if scenario is not None and gap_target is None:
        gaps = [s.max for s in scenario.slos if s.metric == "failover_gap" and s.max]
        gap_target = min(gaps) if gaps else None
    space = FailureSpace(topology)
    # A pair with no path when nothing has failed is a partition of the design itself: it
    # is reported once, with no failure, and left out of the search (every failure would
    # otherwise be a "minimal" partition of it).
    cut_off = [pair for pair, path in space.baseline.items() if path is None]
    if cut_off:
        space = FailureSpace(topology, tuple(p for p in space.pairs if p not in cut_off))
    judges: tuple[Judge, ...] = (outcome_judge,) + (
        (gap_judge(gap_target),) if gap_target is not None else ()
    )
    minimal, method = search(space, max_failures, judges, opts.search, opts.limit)
    findings = [
        Finding(
            kind,
            combo,
            pair,
            describe(space, combo, pair, kind, gap_target),
            kind != "degraded" or opts.require_preferred,
            "blackhole" if kind == "gap" else "down",
        )
        for pair, kind, combo in minimal.items()
    ]
    findings = [
        Finding(
            "partition",
            frozenset(),
            pair,
            f"{pair[0]} and {pair[1]} have no path even with nothing failed",
            True,
        )
        for pair in cut_off
    ] + findings
    to_verify = distinct_effects(
        space,
        sorted(
            {frozenset({e}) for e in space.elements} | {c for _, _, c in minimal.items()},
            key=lambda c: (len(c), sorted(c)),
        ),
    )
    findings += verify(space, to_verify, workers=opts.workers)
    rows = (
        tuple(outcome_row(space, c) for c in space.combos(max_failures))
        if opts.table and method == "exhaustive"
        else None
    )
    slo_runs = 0
    if scenario is not None:
        ends = {(c.src, d) for c in scenario.traffic for d in c.dsts}
        # guided search: too many combinations to simulate; the singles and what it found
        pool = space.combos(max_failures) if method == "exhaustive" else to_verify
        candidates = [
            c
            for c in pool
            if all(space.applies(c, p) for p in ends)
            and not any(
                space.outcome(c, p).status == "partition"
                for p in space.pairs
                if space.applies(c, p)
            )
        ]
        slo_findings, slo_runs = judge_slos(space, scenario, candidates, engine)
        findings += slo_findings
    return CheckReport(
        topology,
        max_failures,
        method,
        space.count(max_failures),
        tuple(findings),
        gap_target,
        scenario.name if scenario else None,
        slo_runs,
        len(to_verify),
        time.perf_counter() - started,
        rows,
    )


__all__ = [
    "EXHAUSTIVE_LIMIT",
    "VERIFY_AT",
    "CheckOptions",
    "CheckReport",
    "Finding",
    "check_topology",
    "describe",
    "search",
    "verify",
]

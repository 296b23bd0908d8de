"""Judging a scenario's SLOs under failure combinations: the ``--scenario`` part of check.

:func:`judge_slos` injects each combination that touches the scenario's traffic (as
blackholes, at the time and for the duration of the scenario's first scripted failure,
or at a quarter of the run for half of it) into the scenario, simulates it and reports the
SLOs it fails, with the schedule that fails them. Combinations that break the same links
are run once; combinations containing one that already fails are not run.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from netsim.model.routing import best_path
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.verify import bounds
from netsim.verify.findings import Finding

if TYPE_CHECKING:
    from netsim.verify.search import Combo, FailureSpace


def judge_slos(
    space: FailureSpace, scenario: Scenario, combos: list[Combo], engine: str = "fast"
) -> tuple[list[Finding], int]:
    """Inject each relevant combination into ``scenario`` (as blackholes) and judge its SLOs."""
    from netsim.analysis.summary import summarize
    from netsim.sim.engine import build_simulation

    first = min(scenario.failures, key=lambda f: f.at, default=None)
    at = first.at if first else max(scenario.warmup, scenario.duration / 4)
    duration = first.duration if first and first.duration else scenario.duration / 2
    quiet = dataclasses.replace(scenario, failures=(), random_failures=False)
    findings: list[Finding] = []
    base = summarize(build_simulation(quiet, engine=engine).run(), quiet)
    runs = 1
    failed = [s.name for s in base.slos if not s.passed]
    if failed:
        findings.append(
            Finding(
                "slo", frozenset(), None, "fails without any failure: " + ", ".join(failed), True
            )
        )
    used = {
        n
        for c in scenario.traffic
        for d in c.dsts
        for p in ((c.src, d), (d, c.src))
        for n in (_path(space, p) or ())
    }
    seen: dict[frozenset[str], list[str]] = {}
    for combo in combos:
        broken = bounds.broken_links(space.effects(combo))
        if not broken & used:
            continue
        if any(f.kind == "slo" and f.combo and f.combo <= combo for f in findings):
            continue
        key = frozenset(broken)
        if key not in seen:
            fails = tuple(
                Failure(TargetKind(e.kind), e.name, at, duration, FailureMode.BLACKHOLE)
                for e in sorted(combo)
            )
            run = dataclasses.replace(quiet, failures=fails)
            summary = summarize(build_simulation(run, engine=engine).run(), run)
            runs += 1
            seen[key] = [
                f"{s.name} ({s.measured} vs {s.bound.value} {s.target}"
                f"{' ' + s.unit if s.unit else ''})"
                for s in summary.slos
                if not s.passed
            ]
        if seen[key]:
            findings.append(
                Finding(
                    "slo",
                    combo,
                    None,
                    "violates " + ", ".join(seen[key]),
                    True,
                    "blackhole",
                    at,
                    duration,
                )
            )
    return findings, runs


def _path(space: FailureSpace, pair: tuple[str, str]) -> tuple[str, ...] | None:
    return best_path(space.topology, *pair, frozenset())


__all__ = ["judge_slos"]

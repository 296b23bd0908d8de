"""``netsim check TOPOLOGY``: which failures break reachability, failover bounds or SLOs.

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
4. ``slos = judge_slos(scenario, ...)`` (with ``--scenario``) -- each distinct combination
   that touches the scenario's traffic is injected into the scenario and simulated; failed
   SLOs are reported with the schedule that fails them.

Partitions, gap-bound and SLO violations (and model disagreements) make the exit status 1;
a lost preferred path is reported as a single point of failure and is a violation only
with ``--require-preferred``. The schedules printed are minimal: no subset fails the same
way, and they paste into a scenario's ``failures:`` list.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netsim.errors import EXIT_OK, EXIT_VIOLATED, UsageError
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.verify import EXHAUSTIVE_LIMIT, bounds
from netsim.verify.search import (
    Combo,
    FailureSpace,
    Judge,
    Minimal,
    Outcome,
    exhaustive,
    gap_judge,
    guided,
    label,
    outcome_judge,
)

if TYPE_CHECKING:

    from pathlib import Path

    from netsim.model.topology import Topology

VERIFY_AT = 1.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One minimal failing combination for one pair (or for the whole scenario)."""

    kind: str                         # partition | degraded | gap | slo | model
    combo: Combo
    pair: tuple[str, str] | None
    detail: str
    violation: bool
    mode: str = "down"
    at: float = 0.0
    duration: float | None = None

    def schedule(self) -> list[str]:
        dur = None if self.duration is None else f"{self.duration:g}s"
        return [e.yaml(f"{self.at:g}s", self.mode, dur) for e in sorted(self.combo)]

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "violation": self.violation,
                "pair": list(self.pair) if self.pair else None,
                "elements": [str(e) for e in sorted(self.combo)], "detail": self.detail,
                "schedule": self.schedule()}


@dataclass
class CheckReport:
    topology: Topology
    max_failures: int
    search: str
    combinations: int
    findings: list[Finding] = field(default_factory=list)
    gap_target: float | None = None
    scenario: str | None = None
    slo_runs: int = 0
    verified: int = 0
    wall_s: float = 0.0
    table: list[CombinationRow] | None = None

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
            "topology": self.topology.name, "file": self.topology.source,
            "max_failures": self.max_failures, "search": self.search,
            "combinations": self.combinations, "verified": self.verified,
            "elements": [str(e) for e in space.elements],
            "pairs": [list(p) for p in space.pairs],
            "preferred": [{"pair": list(p), "path": list(path or ())}
                          for p, path in space.baseline.items()],
            "single_points_of_failure": [
                {"element": name, "pairs": [{"pair": list(f.pair or ()), "effect": f.kind,
                                             "detail": f.detail} for f in fs]}
                for name, fs in self.spofs().items()],
            "gap_target_s": self.gap_target, "scenario": self.scenario,
            "slo_runs": self.slo_runs, "gap_bounds": [g.to_json() for g in gap_table(space)],
            "findings": [f.to_json() for f in self.findings],
            "violations": len(self.violations), "pass": not self.violations,
            "wall_s": round(self.wall_s, 3),
            **({"combinations_checked": [r.to_json() for r in self.table]}
               if self.table is not None else {}),
        }


# ---- phases ------------------------------------------------------------------------------
def search(space: FailureSpace, k: int, judges: tuple[Judge, ...], how: str = "auto",
           limit: int = EXHAUSTIVE_LIMIT) -> tuple[Minimal, str]:
    """Minimal failing combinations, exhaustively when at most ``limit`` combinations."""
    if how == "exhaustive" or (how == "auto" and space.count(k) <= limit):
        return exhaustive(space, k, judges), "exhaustive"
    return guided(space, k, judges), "hypothesis"


def describe(space: FailureSpace, combo: Combo, pair: tuple[str, str], kind: str,
             gap_target: float | None) -> str:
    out = space.outcome(combo, pair)
    base = space.baseline[pair] or ()
    pref = min((space.topology.link(n).preference for n in base), default=0)
    if kind == "partition":
        return f"{pair[0]} and {pair[1]} have no path left (partition)"
    if kind == "degraded":
        return (f"loses the preferred path {' '.join(base)} (preference {pref}); traffic falls "
                f"back to {' '.join(out.path or ())} (preference {out.preference})")
    return (f"worst-case failover gap {out.gap_s:.3g}s (all blackhole; {out.gap_down_s:.3g}s "
            f"if carrier is lost) exceeds {gap_target:g}s")


def verify(space: FailureSpace, combos: list[Combo], seed: int = 0) -> list[Finding]:
    """Run each combination through the simulator's control plane, as blackholes and as
    carrier losses, and compare it with the bounds and the routing oracle."""
    from netsim.testing.machine import control_trace
    from netsim.verify import invariants
    from netsim.verify.replay import Replay

    topo = space.topology
    settle = bounds.settle_bound(topo)
    problems = []
    for combo in combos:
        for mode in ("blackhole", "down"):
            failures = tuple(Failure(TargetKind(e.kind), e.name, VERIFY_AT, None,
                                     FailureMode(mode)) for e in sorted(combo))
            until = VERIFY_AT + settle + 1.0
            scenario = Scenario("check", topo, until, 0.0, seed, (), failures)
            trace = control_trace(scenario, until, seed)
            found = []
            for check in (invariants.check_link_states, invariants.check_settled_routes):
                try:
                    check(trace, scenario)
                except AssertionError as exc:
                    found.append(str(exc))
            replay = Replay.of(trace, topo)
            for pair in space.pairs:
                out = space.outcome(combo, pair)
                if not space.applies(combo, pair) or out.status == "partition":
                    continue
                bound = out.gap_s if mode == "blackhole" else out.gap_down_s
                clean = _clean_since(replay, pair)
                if clean > VERIFY_AT + bound + bounds.EPS:
                    found.append(f"{pair[0]}->{pair[1]} left the broken links after "
                                 f"{clean - VERIFY_AT:.3f}s > bound {bound:.3f}s")
            if found:
                problems.append(Finding("model", combo, None, "; ".join(found), True, mode,
                                        VERIFY_AT))
    return problems


def _clean_since(replay: Any, pair: tuple[str, str]) -> float:
    """When ``pair``'s route last became free of broken links (the end of its gap)."""
    broken = replay.broken_at(VERIFY_AT)
    times = [VERIFY_AT] + [t for t in replay.route_times if t > VERIFY_AT]
    end = VERIFY_AT
    for i, t in enumerate(times):
        if broken & set(replay.routes_at(t).get(pair) or ()):
            end = times[i + 1] if i + 1 < len(times) else math.inf
    return end


def judge_slos(space: FailureSpace, scenario: Scenario, combos: list[Combo],
               engine: str = "exact") -> tuple[list[Finding], int]:
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
        findings.append(Finding("slo", frozenset(), None, "fails without any failure: "
                                + ", ".join(failed), True))
    used = {n for c in scenario.traffic for d in c.dsts
            for p in ((c.src, d), (d, c.src))
            for n in (_path(space, p) or ())}
    seen: dict[frozenset[str], list[str]] = {}
    for combo in combos:
        broken = bounds.broken_links(space.effects(combo))
        if not broken & used:
            continue
        if any(f.kind == "slo" and f.combo and f.combo <= combo for f in findings):
            continue
        key = frozenset(broken)
        if key not in seen:
            fails = tuple(Failure(TargetKind(e.kind), e.name, at, duration,
                                  FailureMode.BLACKHOLE) for e in sorted(combo))
            run = dataclasses.replace(quiet, failures=fails)
            summary = summarize(build_simulation(run, engine=engine).run(), run)
            runs += 1
            seen[key] = [f"{s.name} ({s.measured} vs {s.bound.value} {s.target}"
                         f"{' ' + s.unit if s.unit else ''})"
                         for s in summary.slos if not s.passed]
        if seen[key]:
            findings.append(Finding("slo", combo, None, "violates " + ", ".join(seen[key]),
                                    True, "blackhole", at, duration))
    return findings, runs


def _path(space: FailureSpace, pair: tuple[str, str]) -> tuple[str, ...] | None:
    from netsim.model.routing import best_path

    return best_path(space.topology, *pair, frozenset())


def check_topology(topology: Topology, max_failures: int = 1, scenario: Scenario | None = None,
                   gap_target: float | None = None, how: str = "auto",
                   require_preferred: bool = False, engine: str = "fast",
                   limit: int = EXHAUSTIVE_LIMIT, table: bool = False) -> CheckReport:
    """The library form of ``netsim check`` (see the module docstring).

    ``table`` also records every combination's outcome per pair (exhaustive search only).
    """
    started = time.perf_counter()
    if scenario is not None and gap_target is None:
        gaps = [s.max for s in scenario.slos if s.metric == "failover_gap" and s.max]
        gap_target = min(gaps) if gaps else None
    space = FailureSpace(topology)
    judges: tuple[Judge, ...] = (outcome_judge,) + (
        (gap_judge(gap_target),) if gap_target is not None else ())
    minimal, method = search(space, max_failures, judges, how, limit)
    report = CheckReport(topology, max_failures, method, space.count(max_failures),
                         gap_target=gap_target, scenario=scenario.name if scenario else None)
    for pair, kind, combo in minimal.items():
        violation = kind != "degraded" or require_preferred
        report.findings.append(Finding(kind, combo, pair, describe(space, combo, pair, kind,
                                                                   gap_target), violation,
                                       "blackhole" if kind == "gap" else "down"))
    to_verify = sorted({frozenset({e}) for e in space.elements}
                       | {c for _, _, c in minimal.items()}, key=lambda c: (len(c), sorted(c)))
    report.findings += verify(space, to_verify)
    report.verified = len(to_verify)
    if table and method == "exhaustive":
        report.table = [outcome_row(space, c) for c in space.combos(max_failures)]
    if scenario is not None:
        ends = {(c.src, d) for c in scenario.traffic for d in c.dsts}
        # guided search: too many combinations to simulate; the singles and what it found
        pool = space.combos(max_failures) if method == "exhaustive" else to_verify
        candidates = [c for c in pool
                      if all(space.applies(c, p) for p in ends)
                      and not any(space.outcome(c, p).status == "partition"
                                  for p in space.pairs if space.applies(c, p))]
        slo_findings, report.slo_runs = judge_slos(space, scenario, candidates, engine)
        report.findings += slo_findings
    report.wall_s = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class CombinationRow:
    """One combination's outcome for every pair it applies to (``--all``), by "a-b"."""

    elements: tuple[str, ...]
    outcomes: dict[str, Outcome]

    def to_json(self) -> dict[str, object]:
        def gap(s: float) -> float | None:
            return None if math.isinf(s) else round(s, 3)
        return {"elements": list(self.elements),
                "pairs": {p: {"status": o.status, "path": list(o.path or ()),
                              "gap_s": gap(o.gap_s), "gap_down_s": gap(o.gap_down_s)}
                          for p, o in self.outcomes.items()}}


def outcome_row(space: FailureSpace, combo: Combo) -> CombinationRow:
    """One combination's outcome for every pair it applies to (``--all``)."""
    return CombinationRow(tuple(str(e) for e in sorted(combo)),
                          {f"{p[0]}-{p[1]}": space.outcome(combo, p) for p in space.pairs
                           if space.applies(combo, p)})


# ---- output ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GapRow:
    """The worst-case failover gap of one single failure over the pairs it hits."""

    element: str
    pair: tuple[str, str]
    blackhole_s: float
    down_s: float

    def to_json(self) -> dict[str, object]:
        return {"element": self.element, "pair": list(self.pair),
                "blackhole_s": self.blackhole_s, "down_s": self.down_s}


def gap_table(space: FailureSpace) -> list[GapRow]:
    """Worst-case failover gap of every single failure over the pairs it hits."""
    rows = []
    for e in space.elements:
        combo = frozenset({e})
        outs = [space.outcome(combo, p) for p in space.pairs if space.applies(combo, p)]
        hit = [o for o in outs if o.status in ("rerouted", "degraded")]
        if hit:
            worst = max(hit, key=lambda o: o.gap_s)
            rows.append(GapRow(str(e), worst.pair, round(worst.gap_s, 3),
                               round(max(o.gap_down_s for o in hit), 3)))
    return rows


def _grouped(findings: list[Finding]) -> list[tuple[Finding, list[tuple[str, str]]]]:
    """Findings of one kind merged by combination: (first finding, pairs it hits)."""
    out: dict[Combo, tuple[Finding, list[tuple[str, str]]]] = {}
    for f in findings:
        entry = out.setdefault(f.combo, (f, []))
        if f.pair:
            entry[1].append(f.pair)
    return sorted(out.values(), key=lambda x: (len(x[0].combo), sorted(x[0].combo)))


def render_text(report: CheckReport) -> str:
    """The report for a terminal: preferred paths, SPOFs, partitions, other violations."""
    space = FailureSpace(report.topology)
    kinds = {"link": 0, "node": 0, "group": 0}
    for e in space.elements:
        kinds[e.kind] += 1
    lines = [f"netsim check {report.topology.source or report.topology.name}: up to "
             f"{report.max_failures} simultaneous failure(s) of {kinds['link']} links, "
             f"{kinds['node']} nodes (transit only), {kinds['group']} groups; "
             f"{report.combinations} combinations ({report.search}), "
             f"{report.verified} run through the control plane"
             + (f", {report.slo_runs} scenario runs" if report.scenario else "")
             + f"; {report.wall_s:.1f}s", "", "Preferred paths:"]
    for (a, b), path in space.baseline.items():
        lines.append(f"  {a}-{b}: {' '.join(path or ('none',))}")
    lines += ["", "Single points of failure (one failure and a pair loses its preferred "
              "path, or all paths):"]
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
        lines.append(f"  {name}" + (f" (same links as {', '.join(twins)})" if twins else "")
                     + ":")
        lines += [f"    {f.pair[0]}-{f.pair[1]}: {f.detail}" for f in fs if f.pair]
    sections = (("partition", "Partitions (no path left), minimal combinations"),
                ("degraded", "Preferred path lost only by a combination (minimal)"),
                ("gap", f"Failover gap above {report.gap_target or 0:g}s (worst case, minimal)"),
                ("slo", f"SLO violations of scenario {report.scenario}"),
                ("model", "Simulator disagrees with the model's bounds"))
    for kind, title in sections:
        found = [f for f in report.of_kind(kind) if kind != "degraded" or len(f.combo) > 1]
        if (kind in ("slo", "model") and not found) or (kind == "gap" and
                                                         report.gap_target is None):
            continue
        lines += ["", f"{title}:"]
        if not found:
            lines.append("  none")
        for f, pairs in _grouped(found):
            what = (f"{kind} " + ", ".join(f"{a}-{b}" for a, b in pairs)) if pairs \
                else f.detail
            lines.append(f"  {label(f.combo) or '(no failure)'}: {what}")
            if kind in ("gap", "slo", "model") and pairs:
                lines.append(f"    {f.detail}")
            if f.combo and f.violation:
                lines.append("    failures: [" + ", ".join(f.schedule()) + "]")
    if report.table is not None:
        lines += ["", "Every combination (pair: outcome, worst-case gap as blackholes):"]
        for row in report.table:
            cells = [f"{p} {o.status}" + (f" {round(o.gap_s, 3):g}s"
                                          if not math.isinf(o.gap_s) and round(o.gap_s, 3)
                                          else "")
                     for p, o in row.outcomes.items()]
            lines.append(f"  {' + '.join(row.elements)}: {', '.join(cells)}")
    if report.gap_target is None:
        lines += ["", "Worst-case failover gap of single failures (no target given; "
                  "--max-gap or a scenario's failover_gap SLO sets one):"]
        for g in gap_table(space):
            lines.append(f"  {g.element}: {g.blackhole_s:g}s as a blackhole, "
                         f"{g.down_s:g}s as a carrier loss (worst pair "
                         f"{g.pair[0]}-{g.pair[1]})")
    bad = report.violations
    counts: dict[str, int] = {}
    for f in bad:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    lines += ["", f"{len(bad)} violation(s)" + (": " + ", ".join(
        f"{n} {k}" for k, n in counts.items()) if bad else "; every property holds")]
    return "\n".join(lines)


def run_check(path: Path, max_failures: int, scenario_path: Path | None = None,
              as_json: bool = False, gap_target: float | None = None, how: str = "auto",
              require_preferred: bool = False, engine: str = "fast",
              table: bool = False) -> int:
    """``netsim check``: load, check, print; the exit status of architecture section 5."""
    from netsim.model.load_scenario import load_scenario
    from netsim.model.load_topology import load_topology

    if max_failures < 1:
        raise UsageError("--max-failures must be at least 1")
    topology = load_topology(path)
    scenario = None
    if scenario_path is not None:
        scenario = load_scenario(scenario_path)
        missing = sorted({n for c in scenario.traffic for n in (c.src, *c.dsts)}
                         - set(topology.node_names))
        if missing:
            raise UsageError(f"--scenario {scenario_path}: traffic uses node(s) "
                             f"{', '.join(missing)} that {path} does not have")
        scenario = dataclasses.replace(scenario, topology=topology)
    report = check_topology(topology, max_failures, scenario, gap_target, how,
                            require_preferred, engine, table=table)
    print(json.dumps(report.to_json(), indent=2) if as_json else render_text(report))
    return EXIT_VIOLATED if report.violations else EXIT_OK

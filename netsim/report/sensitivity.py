"""What each assumption moves: every ``ASSUMPTION`` varied, and which verdicts flip.

A design that marks no value ``ASSUMPTION`` (one written without netsim's conventions)
has its uncited quantities varied instead (:func:`varied_kind`): written with no citation,
they are no better backed. Assumptions are grouped by key and link kind (all interconnect
buffers together), and
each group is varied over a stated range: ``RANGE`` = half and double its value (no
published figure bounds any of them more tightly). A group is evaluated the cheapest way
that is exact for it:

- costs: the cost model on the varied topology (no simulation);
- failure rates (``mtbf``, ``mttr``): the closed-form availability of the varied topology;
- timers (convergence, BGP, BFD, DPD): the run with the design's longest failover gap,
  re-simulated (never a run where a failure left a pair with no path: a partition's gap
  lasts until the repair, whatever the timers);
- buffers, delays, capacities: the run with the worst latency under failure and the
  worst in normal operation, re-simulated;

skipping runs whose paths and failures never touch the group's links. The re-simulations
are ordinary planned runs (:mod:`netsim.report.jobs`), so they go through the sweep
runner with the rest of the review: local processes or a Dask cluster. Each variant's
findings are recomputed with the varied runs in place of the originals, and
:class:`Sensitivity` records each finding's headline figure and verdict at both ends.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.units import parse_duration
from netsim.report.assumptions import numeric, scaled
from netsim.report.edits import edit_topology
from netsim.report.findings.traffic import no_path
from netsim.report.jobs import Planned

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netsim.model.source import YamlMap
    from netsim.report.assumptions import Assumption
    from netsim.report.data import Run
    from netsim.report.findings import Context, Finding
    from netsim.report.vocab import Status

RANGE = (0.5, 2.0)
TIMERS = ("convergence", "bgp", "bfd", "dpd")
COSTS = ("cost",)
FAILURES = ("mtbf", "mttr")
TRAFFIC = ("buffer", "delay", "capacity", "overhead")
UNRANKED = ("preference",)  # never varied unless marked ASSUMPTION (see groups())


@dataclass(frozen=True)
class Group:
    """Assumptions varied together: one key on one kind of link (or on nodes, groups)."""

    key: str
    link_kind: str
    members: tuple[Assumption, ...]

    @property
    def label(self) -> str:
        names = [e for a in self.members for e in a.elements]
        where = f"{self.link_kind} " if self.link_kind else ""
        shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")  # noqa: PLR2004
        return f"{where}{self.key} ({shown})"

    @property
    def slug(self) -> str:
        return f"{self.link_kind or 'x'}-{self.key}".replace(".", "-")

    @property
    def links(self) -> set[str]:
        return {e for a in self.members for e in a.elements}

    @property
    def how(self) -> str:
        if self.key in COSTS:
            return "cost model"
        if self.key in FAILURES:
            return "closed-form availability"
        return "re-simulated"

    def apply(self, text: str, factor: float) -> str:
        changes = [
            (".".join(str(p) for p in path), scaled(a.raw, factor))
            for a in self.members
            for path in a.paths
        ]
        return edit_topology(text, _by_name(changes, text), why=f"sensitivity ×{factor:g}")


def _by_name(changes: list[tuple[str, object]], text: str) -> list[tuple[str, object]]:
    """Link indices as names (``links.3.buffer`` -> ``links.aws-mcr.buffer``)."""
    import yaml

    links = (yaml.safe_load(text) or {}).get("links") or []
    out = []
    for key, value in changes:
        parts = key.split(".")
        if parts[0] == "links" and parts[1].isdigit():
            parts[1] = str(links[int(parts[1])]["name"])
        out.append((".".join(parts), value))
    return out


def varied_kind(assumptions: Sequence[Assumption]) -> str:
    """Which rows are varied: those marked ``assumption``; in a file that marks none (a
    design written without netsim's conventions), the ``uncited`` quantities it writes
    with no citation at all, which are no better backed."""
    return "assumption" if any(a.kind == "assumption" for a in assumptions) else "uncited"


def groups(assumptions: Sequence[Assumption]) -> list[Group]:
    """The varied groups: rows of :func:`varied_kind` with a value that scales (a
    ``preference`` only when marked: it is the design's ranking of paths, not a figure
    anyone measures)."""
    kind = varied_kind(assumptions)
    found: dict[tuple[str, str], list[Assumption]] = {}
    for a in assumptions:
        if a.kind != kind or not numeric(a) or (kind == "uncited" and a.key in UNRANKED):
            continue
        found.setdefault((a.key, a.link_kind), []).append(a)
    return [Group(k, lk, tuple(v)) for (k, lk), v in found.items()]


def _touches(run: Run, links: set[str], timers: bool) -> bool:
    """Whether a group's links can change the run: a timer only on a link that fails in
    it (detection, convergence, restoration), anything else on a link its traffic uses
    or whose underlay the group is."""
    trace = run.trace
    if trace is None:
        return True
    failed = {x for rec in trace.failovers for x in rec.links}
    if timers:
        return bool(failed & links)
    used = {x for path in trace.paths for x in path}
    under = set()
    if run.topology is not None:
        under = {x.name for x in run.topology.links if set(x.underlay) & links}
    return bool((used | failed) & (links | under))


def decisive_runs(ctx: Context, findings: Sequence[Finding], group: Group) -> list[Run]:
    """The runs a group is re-simulated on (module docstring)."""
    if group.key in COSTS or group.key in FAILURES:
        return []
    # Scripted failures only: a month of random failures is evidence, not a lever.
    failing = [
        r
        for r in ctx.mine
        if r.scenario is not None and r.scenario.failures and not r.scenario.random_failures
    ]
    normal = [r for r in ctx.mine if not r.summary.failovers]

    def worst(runs: list[Run], metric: str) -> Run | None:
        return max(
            runs,
            key=lambda r: max(
                (s.judged_value or 0.0 for s in r.summary.slos if s.metric == metric), default=-1
            ),
            default=None,
        )

    if group.key in TIMERS:
        # A partition's gap lasts until the repair, whatever the timers: not a lever.
        picked = [worst([r for r in failing if not no_path(r)], "failover_gap")]
    else:
        picked = [worst(failing, "latency"), worst(normal, "latency")]
    return [r for r in picked if r is not None and _touches(r, group.links, group.key in TIMERS)]


def key_of(group: Group | None, factor: float, run: str, timers: bool) -> str:
    """The run directory of a variant (``group`` None: the shortened run as it is; timer
    groups and the others cut the run differently, so each has its own base)."""
    if group is None:
        return f"sens-base-{'timers' if timers else 'traffic'}--{run}"
    return f"sens-{group.slug}-x{factor:g}--{run}"


#: A re-simulated failure run ends this long after its last scripted failure: the window
#: that holds the failure, its detection, switch and return (half an SLO window more).
TAIL_S = 180.0


def shortened(planned: Planned, timers: bool) -> Planned:
    """The run cut down to what the group can move (the variants and the run's own base
    at ×1 are cut alike, so they compare): a timer moves the failover at each failure's
    start, so the run ends ``TAIL_S`` after the first failure, moved to a minute after
    the warmup when nothing else in the scenario is scheduled; anything else moves
    latency for as long as the failure lasts, so the run ends ``TAIL_S`` after the last."""
    from netsim.report.edits import edit_scenario

    sc = planned.scenario
    if not sc.failures or sc.random_failures:
        return planned
    first = min(f.at for f in sc.failures)
    scheduled = any(c.start > 0 or c.stop is not None or c.transfers for c in sc.traffic)
    shift = max(first - sc.warmup - 60.0, 0.0) if timers and not scheduled else 0.0
    cut = first if timers else max(f.at + (f.duration or 0.0) for f in sc.failures)
    cut = cut - shift + TAIL_S
    if cut >= sc.duration and not shift:
        return planned

    def shorten(data: YamlMap) -> None:
        data["duration"] = f"{min(cut, sc.duration):g}s"
        for f in data.get("failures") or []:
            if shift and isinstance(f, dict) and "at" in f:
                f["at"] = f"{parse_duration(f['at']) - shift:g}s"

    return planned.variant(planned.key, scenario_text=edit_scenario(planned.scenario_text, shorten))


def plan_sensitivity(
    ctx: Context, findings: Sequence[Finding], assumptions: Sequence[Assumption]
) -> list[Planned]:
    """The re-simulations of every simulated group at both ends of the range, and each
    decisive run once as it is (shortened, the base the variants are compared with)."""
    out: dict[str, Planned] = {}
    for group in groups(assumptions):
        timers = group.key in TIMERS
        for run in decisive_runs(ctx, findings, group):
            planned = Planned.of_run(run)
            if planned is None:
                continue
            planned = shortened(planned, timers)
            base = key_of(None, 1.0, run.name, timers)
            out.setdefault(
                base,
                planned.variant(
                    base,
                    notes=(f"{run.name}, the base of the sensitivity runs",),
                    roles=("sensitivity",),
                ),
            )
            for factor in RANGE:
                key = key_of(group, factor, run.name, timers)
                out[key] = planned.variant(
                    key,
                    topology_text=group.apply(planned.topology_text, factor),
                    notes=(f"{run.name} with {group.label} ×{factor:g}",),
                    roles=("sensitivity",),
                )
    return list(out.values())


@dataclass(frozen=True)
class Effect:
    """One finding at both ends of one group's range."""

    finding: str
    base: float | None
    low: float | None
    high: float | None
    limit: float | None
    unit: str
    status: Status
    status_low: Status
    status_high: Status

    @property
    def flips(self) -> bool:
        return self.status_low is not self.status or self.status_high is not self.status


@dataclass(frozen=True)
class Sensitivity:
    """One group varied: what it did to each finding it moved."""

    group: Group
    how: str
    effects: tuple[Effect, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "assumption": self.group.label,
            "range": [f"×{f:g}" for f in RANGE],
            "how": self.how,
            "effects": [
                {
                    **dataclasses.asdict(e),
                    "status": e.status.value,
                    "status_low": e.status_low.value,
                    "status_high": e.status_high.value,
                    "flips": e.flips,
                }
                for e in self.effects
            ],
        }


def evaluate(
    ctx: Context,
    assumptions: Sequence[Assumption],
    reruns: Sequence[Run],
    recompute: Callable[[Context, str], list[Finding]],
    variant_context: Callable[[Context, Group, float, dict[str, Run]], Context],
) -> list[Sensitivity]:
    """Each group's effects: the findings recomputed on ``variant_context`` (the context
    with the group applied at one end of the range and its re-simulated runs in place),
    against the same at ×1 (the shortened runs as they are). ``recompute`` gets the way
    the group is evaluated, so it computes only the findings such a group can move."""
    by_key = {r.path.name: r for r in reruns if r.path is not None}
    out = []
    for group in groups(assumptions):
        ends = []
        for factor in (1.0, *RANGE):
            timers = group.key in TIMERS
            simulated = group.how == "re-simulated"
            varied = {
                run.name: by_key[k]
                for run in ctx.mine
                if simulated
                and (k := key_of(None if factor == 1.0 else group, factor, run.name, timers))
                in by_key
            }
            found = recompute(variant_context(ctx, group, factor, varied), group.how)
            ends.append({f.key: f for f in found})
        base, low, high = ends
        effects = []
        for key, f in base.items():
            lo, hi = low.get(key), high.get(key)
            if lo is None or hi is None:
                continue
            if lo.figure == f.figure == hi.figure and lo.status is hi.status is f.status:
                continue
            effects.append(
                Effect(
                    key,
                    f.figure,
                    lo.figure,
                    hi.figure,
                    f.limit,
                    f.unit,
                    f.status,
                    lo.status,
                    hi.status,
                )
            )
        out.append(Sensitivity(group, group.how, tuple(effects)))
    return out


__all__ = [
    "RANGE",
    "Effect",
    "Group",
    "Sensitivity",
    "decisive_runs",
    "evaluate",
    "groups",
    "plan_sensitivity",
    "varied_kind",
]

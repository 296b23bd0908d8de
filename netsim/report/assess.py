"""From finished runs to what the report says: findings, claims, recommendations tested,
assumptions and what they move. One phase per line in :func:`assess`.

The runs are the design's own (any set: ``netsim review``'s, or a user's given to
``netsim report``) and, when there are any, the alternatives' (runs with a ``design``).
:func:`assess` computes the availability and the cost of the design, the findings, the
ADR's claims (ADR-003 only), and the recommendations; then it plans the second set of
runs (each recommendation's change re-simulated, the design with every recommendation as
one more alternative, the assumptions varied) and runs them together, in parallel, on the
sweep runner, before judging the recommendations before and after and the findings at
both ends of each assumption's range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.report.adr import ADR_003, is_adr003
from netsim.report.alternatives import DesignRow, design_row, finding_alternatives
from netsim.report.assumptions import scenario_defaults, topology_assumptions
from netsim.report.claims import adr_claims, verdict_sentence
from netsim.report.costing import cost_model
from netsim.report.fig_availability import availability_data
from netsim.report.findings import (
    Context,
    Finding,
    compute_findings,
    finding_availability,
    finding_cost,
    finding_detection,
    finding_failover,
    finding_fallback,
    finding_latency,
)
from netsim.report.jobs import Planned, run_all
from netsim.report.plan import ReviewPlan, add_design
from netsim.report.recommend import combined, recommend
from netsim.report.sensitivity import evaluate, plan_sensitivity
from netsim.report.verification import plan_verification, verify

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from netsim.model.topology import Topology
    from netsim.report.assumptions import Assumption
    from netsim.report.claims import Claim
    from netsim.report.costing import CostModel
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData
    from netsim.report.recommend import Recommendation
    from netsim.report.sensitivity import Group, Sensitivity
    from netsim.report.verification import Verified
    from netsim.report.vocab import Status

ALL_RECOMMENDATIONS = "with-recommendations"
#: The findings each way of varying an assumption can move (the others stay as they are).
MOVED_BY: dict[str, tuple[Callable[[Context], Finding | None], ...]] = {
    "cost model": (finding_cost,),
    "closed-form availability": (finding_availability,),
    "re-simulated": (finding_latency, finding_failover, finding_detection, finding_fallback),
}
Step = Callable[[str], None]


@dataclass
class Options:
    """How the second set of runs is made."""

    out: Path
    engine: str = "fast"
    years: int = 2000
    seed: int = 1
    workers: int | None = None
    scheduler: str | None = None
    verify: bool = True
    step: Step = lambda _: None


@dataclass
class Assessment:
    """Everything the report says, before it is drawn."""

    ctx: Context
    findings: list[Finding]
    claims: list[Claim]
    recommendations: list[Recommendation]
    verified: list[Verified]
    rows: list[DesignRow]
    assumptions: list[Assumption]
    sensitivity: list[Sensitivity]
    verdict: tuple[Status, str]
    reruns: list[Run] = field(default_factory=list)

    @property
    def cost(self) -> CostModel | None:
        return self.ctx.cost

    @property
    def avail(self) -> AvailabilityData | None:
        return self.ctx.avail


def cost_scenario_run(runs: Sequence[Run], topology: Topology | None) -> Run | None:
    """The run whose scenario declares the load: failure-free, with bulk volume (the
    review's ``cost`` role), else the failure-free run with the most traffic."""
    mine = [r for r in runs if r.design is None and r.topology is not None]
    if topology is not None:
        mine = [r for r in mine if r.topology is not None and r.topology.name == topology.name]
    tagged = [r for r in mine if r.summary.review and "cost" in r.summary.review.roles]
    quiet = [r for r in mine if not r.summary.failovers]
    with_volume = [
        r
        for r in quiet
        if r.scenario is not None and any(c.volume_rate for c in r.scenario.traffic)
    ]
    pool = tagged or with_volume or quiet or mine
    return max(pool, key=lambda r: float(r.summary.duration_s)) if pool else None


def design_rows(
    runs: Sequence[Run], labels: dict[str, str], years: int, seed: int
) -> list[DesignRow]:
    """One row per design that has a normal and a failure run (in first-seen order)."""
    rows = []
    keys = list(dict.fromkeys(r.design for r in runs if r.design is not None))
    for key in keys:
        mine = [r for r in runs if r.design == key]
        normal = next((r for r in mine if not r.summary.failovers), None)
        failure = next((r for r in mine if r.summary.failovers), None)
        if normal is None or failure is None or normal.topology is None:
            continue
        rows.append(
            design_row(
                key,
                labels.get(key, key),
                normal.topology,
                normal=normal,
                failure=failure,
                avail=availability_data(normal.topology, years, seed),
            )
        )
    return rows


def _variant_context(
    base: Context, runs: list[Run], cost_run: Run | None, years: int
) -> Callable[[Context, Group, float, dict[str, Run]], Context]:
    def make(ctx: Context, group: Group, factor: float, varied: dict[str, Run]) -> Context:
        del ctx
        assert base.topology is not None
        topology = base.topology
        text = next((r.topology_text for r in base.mine if r.topology_text), None)
        if text is not None and group.how != "re-simulated" and factor != 1.0:
            topology = Planned("v", "", group.apply(text, factor), "variant").topology
        cost = base.cost
        if group.how == "cost model" and cost_run is not None and cost_run.scenario is not None:
            cost = cost_model(topology, scenario=cost_run.scenario)
        avail = base.avail
        if group.how == "closed-form availability":
            avail = availability_data(topology, 0, 1)
        own = [varied.get(r.name, r) for r in base.mine]
        return Context(
            topology,
            runs,
            base.claims,
            avail,
            cost,
            base.alternatives,
            own,
            base.what_ifs,
            base.lab,
        )

    del years
    return make


def assess(
    runs: list[Run],
    topology: Topology | None,
    options: Options,
    *,
    labels: dict[str, str] | None = None,
    plan: ReviewPlan | None = None,
    later: Sequence[Run] = (),
) -> Assessment:
    """See the module docstring. ``later``: runs of the design kept out of the first
    findings (its random-failure scenarios: no recommendation or sensitivity run rests on
    them, those use scripted failures only); the findings are computed again with them.
    ``netsim review`` simulates them with the first runs, longest first, so the longest
    run of a review overlaps everything before the second set."""
    step = options.step
    claims = ADR_003 if is_adr003(topology) else None
    step("availability (Monte Carlo)")
    avail = availability_data(topology, options.years, options.seed) if topology else None
    cost_run = cost_scenario_run(runs, topology)
    cost = None
    if topology is not None and cost_run is not None:
        cost = cost_model(topology, cost_run.trace, cost_run.summary, scenario=cost_run.scenario)
    step("alternatives")
    rows = design_rows(runs, labels or {}, options.years, options.seed)
    ctx = Context(topology, runs, claims, avail, cost, rows)
    step("findings")
    findings = compute_findings(ctx, [finding_alternatives(rows)])
    recs = recommend(ctx, findings)
    text = next((r.topology_text for r in ctx.mine if r.topology_text), None)
    assumptions = topology_assumptions(text) if text else []
    assumptions += scenario_defaults([r.scenario for r in ctx.mine if r.scenario is not None])
    second: list[Planned] = []
    extra_plan = ReviewPlan(plan.topology_file if plan else options.out)
    if options.verify:
        second += plan_verification(recs, runs)
        change = combined(recs)
        subject = rows[0].design if rows else None
        subject_runs = [r for r in runs if r.design == subject]
        normal = next((Planned.of_run(r) for r in subject_runs if not r.summary.failovers), None)
        failure = next((Planned.of_run(r) for r in subject_runs if r.summary.failovers), None)
        if change is not None and normal is not None and failure is not None:
            text_all = change.apply_topology(normal.topology_text, "every recommendation")
            base = normal.variant(normal.key.split("--", 1)[-1])
            fail = failure.variant(failure.key.split("--", 1)[-1])
            add_design(
                extra_plan,
                ALL_RECOMMENDATIONS,
                "the design with every recommendation",
                text_all,
                normal=base,
                template=fail,
            )
            second += extra_plan.planned
        second += plan_sensitivity(ctx, findings, assumptions)
    step(f"simulating {len(second)} runs (recommendations, sensitivity)")
    reruns = run_all(
        second,
        options.out,
        options.engine,
        workers=options.workers,
        scheduler=options.scheduler,
    )
    if later:
        runs = [*runs, *later]
        ctx = Context(topology, runs, claims, avail, cost, rows)
    verified = verify(recs, runs, reruns, topology)
    if extra_plan.designs:
        rows += design_rows(
            [r for r in reruns if r.design == ALL_RECOMMENDATIONS],
            {ALL_RECOMMENDATIONS: "the design with every recommendation"},
            options.years,
            options.seed,
        )
        ctx = dataclasses.replace(
            ctx, alternatives=rows, own=ctx.mine, what_ifs=ctx.what_ifs, lab=ctx.lab
        )
    if extra_plan.designs or later:
        findings = compute_findings(ctx, [finding_alternatives(rows)])
    step("sensitivity")
    sensitivity = evaluate(
        ctx,
        assumptions,
        reruns,
        lambda c, how: [f for fn in MOVED_BY[how] if (f := fn(c)) is not None],
        _variant_context(ctx, runs, cost_run, options.years),
    )
    adr = adr_claims(ctx, findings)
    return Assessment(
        ctx,
        findings,
        adr,
        recs,
        verified,
        rows,
        assumptions,
        sensitivity,
        verdict_sentence(ctx, findings, adr, verified),
        reruns,
    )


__all__ = ["ALL_RECOMMENDATIONS", "Assessment", "Options", "assess", "cost_scenario_run"]

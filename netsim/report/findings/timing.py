"""Findings about timing and money: blackhole detection per link, and the cost.

:func:`finding_detection` computes each preferred link's expected blackhole detection
(:func:`netsim.model.effects.detection`) plus convergence, and judges the slowest against
the design's failover target (a scenario's ``failover_gap`` SLO), with the gaps the runs
measured; it also says how fast each link could detect at best, given what its providers
allow (:mod:`netsim.report.providers`). Detection only matters where there is somewhere
to fail over to: a link whose failure leaves every pair it carries with no path
(:func:`~netsim.report.findings.design.partition_links`), and a measured gap during which
a pair of the run had no path (a partition, lasting until the repair), are named as
partitions and never judged as detection. :func:`finding_cost` prices the declared load and
compares it with internet egress and, for ADR-003, with the ADR's claim.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.graph import primary_preference
from netsim.model.effects import DetectionMethod, LinkMode, detection
from netsim.report.adr import QUOTES
from netsim.report.findings.base import Context, Finding
from netsim.report.findings.design import hit_by, pairs_text, partition_links
from netsim.report.providers import EGRESS_SOURCE, bfd_floor
from netsim.report.style import fmt_usd
from netsim.report.vocab import Source, SourceKind, Status

if TYPE_CHECKING:
    from netsim.model.topology import Link, Topology

DETECTION_SOURCE = Source(
    SourceKind.DEFAULT,
    "every preferred link detects a blackhole within 1.5× the fastest one (no failover "
    "target given)",
    cited=False,
)


def how(link: Link, method: DetectionMethod) -> str:
    """``method`` on ``link`` for a reader: ``BFD 300 ms × 3``, ``BGP hold 90 s``."""
    if method is DetectionMethod.BFD and link.bfd is not None:
        return f"BFD {link.bfd.interval * 1e3:g} ms × {link.bfd.multiplier}"
    if method is DetectionMethod.DPD and link.dpd is not None:
        return f"DPD {link.dpd.timeout:g} s"
    return f"BGP hold {link.bgp.hold:g} s"


def blackhole_gaps(topology: Topology) -> dict[str, tuple[float, float, str]]:
    """Per preferred link with somewhere to fail over to: (expected detection, expected
    detection + convergence, how). A link whose failure leaves every pair it carries with
    no path (:func:`~netsim.report.findings.design.partition_links`) has no failover for
    detection to speed up: it is left out."""
    out = {}
    top = primary_preference(topology)
    cut = partition_links(topology)
    for link in topology.routed_links:
        if link.preference != top or link.name in cut:
            continue
        det = detection(link, LinkMode.BLACKHOLE)
        out[link.name] = (
            det.expected,
            det.expected + link.convergence.mean(),
            how(link, det.usual),
        )
    return out


def blackhole_detection_s(topology: Topology) -> dict[str, tuple[float, str]]:
    """Per preferred link: expected blackhole detection time and how (BFD, hold, DPD)."""
    return {k: (v[0], v[2]) for k, v in blackhole_gaps(topology).items()}


def failover_target(ctx: Context) -> tuple[float, str] | None:
    """The design's failover target: the tightest ``failover_gap`` SLO of its scenarios,
    and which scenarios set it."""
    found = [
        (float(s.target), s.name, r.name)
        for r in ctx.mine
        for s in r.summary.slos
        if s.metric == "failover_gap" and s.target is not None
    ]
    if not found:
        return None
    tight = min(t for t, _, _ in found)
    names = sorted({n for t, n, _ in found if t == tight})
    runs = sorted({r for t, _, r in found if t == tight})
    where = f"the {', '.join(names)} SLO of {len(runs)} scenario{'s' if len(runs) > 1 else ''}"
    return tight, where


def finding_detection(ctx: Context) -> Finding | None:
    """The preferred link that detects a blackhole slowest, with measured gaps."""
    topo = ctx.topology
    if topo is None:
        return None
    gaps = blackhole_gaps(topo)
    cut = partition_links(topo)
    if len(gaps) < 2:  # noqa: PLR2004
        return None
    slow = max(gaps, key=lambda k: gaps[k][1])
    fast = min(gaps, key=lambda k: gaps[k][1])
    target = failover_target(ctx)
    limit = target[0] if target else 1.5 * gaps[fast][1]
    source = Source(SourceKind.SLO, target[1]) if target is not None else DETECTION_SOURCE
    ev = [
        f"{k}: {v[2]}: detection {v[0]:.1f} s + convergence = {v[1]:.1f} s expected; fastest "
        f"its providers allow: BFD {bfd_floor(topo.link(k), topo).interval * 1e3:g} ms × "
        f"{bfd_floor(topo.link(k), topo).multiplier} ({bfd_floor(topo.link(k), topo).source})"
        for k, v in sorted(gaps.items())
    ]
    ev += [
        f"{k}: its failure leaves {pairs_text(p)} with no path at all (a partition until the "
        "repair): no detection timer shortens that; it needs another path"
        for k, p in sorted(cut.items())
    ]
    measured: dict[str, list[float]] = {}
    for run in ctx.mine:
        for f in run.summary.failovers:
            rec = f.record
            if rec.link_mode is not LinkMode.BLACKHOLE or rec.subject not in {*gaps, *cut}:
                continue
            lost = hit_by(run, rec).no_path
            if lost:
                ev.append(
                    f"run {run.label}: {rec.subject} blackhole, data-plane gap {f.gap_s:.2f} s: "
                    f"a partition, not detection ({pairs_text(lost)} had no path until the "
                    "repair)"
                )
                continue
            ev.append(
                f"run {run.label}: {rec.subject} blackhole, detected by "
                f"{rec.detection.value if rec.detection else 'nothing'}, data-plane gap "
                f"{f.gap_s:.2f} s"
            )
            if f.affected_flows:
                measured.setdefault(rec.subject, []).append(float(f.gap_s))
    late = {k: v for k, v in gaps.items() if v[1] > limit}
    text = f"{slow}'s {gaps[slow][2]} gives an expected gap of {gaps[slow][1]:.1f} s"
    text += f" against {gaps[fast][1]:.1f} s on {fast}" if slow != fast else ""
    if slow in measured:
        text += f"; measured {np.median(measured[slow]):.1f} s (median of {len(measured[slow])})"
    text += f"; the target is {limit:g} s ({source.text})."
    if cut:
        text += (
            f" {', '.join(sorted(cut))} {'is' if len(cut) == 1 else 'are'} not judged here: "
            f"a failure there leaves {pairs_text(set().union(*cut.values()))} with no path at "
            "all, a partition no detection timer shortens."
        )
    return Finding(
        "detection",
        Status.FAILS if late else Status.HOLDS,
        f"{slow} fails over slowest" if late else "Blackhole detection meets the target",
        text,
        tuple(ev),
        source,
        float(np.median(measured[slow])) if slow in measured else gaps[slow][1],
        limit,
        "s",
    )


def finding_cost(ctx: Context) -> Finding | None:
    model = ctx.cost
    if model is None:
        return None
    lo, hi = model.egress_prices
    eg_lo, eg_hi = model.egress_cost(lo), model.egress_cost(hi)
    be = [model.break_even_gb(p) for p in (lo, hi)]
    be_txt = " to ".join(f"{v / 1e3:,.0f} TB" if v else "never" for v in reversed(be))
    ev = [
        f"load: {model.load_gb_month / 1e3:.2f} TB/month ({model.basis})",
        f"{model.design}: fixed {fmt_usd(model.fixed_total)}/month "
        f"({', '.join(f'{k} {fmt_usd(v)}' for k, v in model.fixed.items())}) + per-GB "
        f"{fmt_usd(model.per_gb_total)}/month (effective ${model.effective_per_gb:.3f} per GB "
        "of load)",
        f"the same load as internet egress: {fmt_usd(eg_lo)} at ${lo:g}/GB to "
        f"{fmt_usd(eg_hi)} at ${hi:g}/GB ({EGRESS_SOURCE})",
        f"break-even volume: {be_txt} per month",
    ]
    if not model.complete:
        ev.insert(
            1,
            f"not priced (no cost: key in the topology), left out of every total: "
            f"{', '.join(model.unpriced)}",
        )
    cheaper = model.total < eg_lo
    text = (
        f"At the declared {model.load_gb_month / 1e3:.2f} TB/month, {model.design} costs "
        f"{'' if model.complete else 'at least '}{fmt_usd(model.total)}/month; the same load "
        f"as internet egress would cost {fmt_usd(eg_lo)}-{fmt_usd(eg_hi)}/month"
    )
    if ctx.adr and ctx.claims is not None:
        c = ctx.claims
        implied = [c.egress_monthly_usd / p / 1e3 for p in (hi, lo)]
        ev.append(
            f"ADR: {fmt_usd(c.interconnect_monthly_usd)} interconnect against "
            f"{fmt_usd(c.egress_monthly_usd)} egress; {fmt_usd(c.egress_monthly_usd)} of egress "
            f"implies {implied[0]:,.0f}-{implied[1]:,.0f} TB/month"
        )
        text += f", not the ADR's {fmt_usd(c.egress_monthly_usd)}"
        source = Source(SourceKind.ADR, f'"{QUOTES["cost"]}"')
    else:
        source = Source(
            SourceKind.DEFAULT, f"internet egress at ${lo:g}-${hi:g}/GB ({EGRESS_SOURCE})"
        )
    missing = f" The total leaves out {model.leaves_out()}." if not model.complete else ""
    if eg_lo <= 0:  # nothing declared between the design's clouds: no egress to compare
        text += (
            ": no load is declared between its clouds, so there is no egress to compare "
            "with; only its fixed cost shows." + missing
        )
        return Finding("cost", Status.NOTE, "The design's cost (no declared load)", text, tuple(ev))
    if cheaper and not model.complete:  # a lower bound below egress proves nothing
        n = len(model.unpriced)
        text += (
            f": the priced part is cheaper, but {n} element{'s' if n > 1 else ''} without a "
            f"cost model could make up the difference ({fmt_usd(eg_lo - model.total)}/month)."
            + missing
        )
        return Finding(
            "cost",
            Status.NOTE,
            f"The design's cost is incomplete: {n} element{'s have' if n > 1 else ' has'} "
            "no cost model",
            text,
            tuple(ev),
            source,
            model.total,
            None,
            "USD/month",
        )
    text += (
        ": the design saves money at this load."
        if cheaper
        else f": {model.total / eg_hi:.1f}-{model.total / eg_lo:.1f}× more. It breaks even "
        f"at {be_txt} per month."
    ) + missing
    return Finding(
        "cost",
        Status.HOLDS if cheaper else Status.FAILS,
        "The design is cheaper than egress at this load"
        if cheaper
        else "The design costs more than egress at the declared load",
        text,
        tuple(ev),
        source,
        model.total,
        eg_lo,
        "USD/month",
    )


__all__ = [
    "blackhole_detection_s",
    "blackhole_gaps",
    "failover_target",
    "finding_cost",
    "finding_detection",
    "how",
]

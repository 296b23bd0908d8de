"""Findings: short statements generated from the numbers, each with its evidence.

Every function here takes computed inputs (the topology's graph analysis, runs, the
availability data, the cost model) and returns zero or one :class:`Finding`. No number in a
finding is typed in: each comes from a run or a computation of the same report, or is an
ADR claim being tested (:mod:`netsim.report.adr`), which the text names as such. Change the
topology (a second MCR, a faster VPN) and the findings change with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.graph import (
    cloud_pairs,
    downtime_minutes_per_year,
    graph_spofs,
    pair_spofs,
    primary_preference,
)
from netsim.model.effects import DetectionMethod, LinkMode, detection
from netsim.model.topology import Link, LinkKind, Topology
from netsim.report.adr import ADR_003, AdrClaims
from netsim.report.fig_latency import latency_split
from netsim.report.style import fmt_bps, fmt_usd

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.report.costing import CostModel
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData
    from netsim.trace.core import Trace
    from netsim.trace.records import FailoverRecord

SATURATED = 0.95
MIN_DETECTING_LINKS = 2  # preferred links: the slowest is judged against the fastest


@dataclass(frozen=True)
class Finding:
    key: str
    status: str  # "risk" (the claim or SLO does not hold), "holds", "info"
    title: str
    text: str
    evidence: tuple[str, ...] = field(default_factory=tuple)


def _pct(a: float, digits: int = 3) -> str:
    return f"{100 * a:.{digits}f}%"


def finding_spof(topology: Topology) -> Finding:
    """Bridges and articulation points of the primary layer, and what each pair depends on."""
    spofs = graph_spofs(topology, "primary")
    pref = primary_preference(topology)
    pairs = cloud_pairs(topology)
    cut = {f"{a}-{b}": [c.name for c in pair_spofs(topology, a, b, "primary")] for a, b in pairs}
    overlay = sorted({c.name for a, b in pairs for c in pair_spofs(topology, a, b)})
    evidence = [
        f"networkx on the preference-{pref} layer: articulation points "
        f"{list(spofs.articulation_points) or 'none'}, bridges "
        f"{list(spofs.bridges) or 'none'}"
    ]
    evidence += [
        f"{pair}: the preferred layer is cut by any one of {names or 'none'}"
        for pair, names in cut.items()
    ]
    evidence.append(
        "with every fallback (VPN, internet) included, single points of failure: "
        f"{overlay or 'none'}"
    )
    if spofs.articulation_points:
        hubs = ", ".join(spofs.articulation_points)
        shared = [p for p, names in cut.items() if set(spofs.articulation_points) & set(names)]
        text = (
            f"{hubs} is a single point of failure for the interconnect path: it is an "
            f"articulation point of the preference-{pref} layer, and its failure alone "
            f"takes the preferred path of {len(shared)} of {len(pairs)} cloud pairs."
        )
        if not overlay:
            text += " The fallback links keep every pair connected, at fallback quality."
        return Finding(
            "spof",
            "risk",
            "Single point of failure in the interconnect path",
            text,
            tuple(evidence),
        )
    if overlay:
        return Finding(
            "spof",
            "risk",
            "Single points of failure",
            f"No articulation point in the preference-{pref} layer, but "
            f"{', '.join(overlay)} alone can cut a pair of clouds.",
            tuple(evidence),
        )
    return Finding(
        "spof",
        "holds",
        "No single point of failure",
        f"The preference-{pref} layer has no bridge or articulation point, and no "
        "single element cuts any pair of clouds.",
        tuple(evidence),
    )


def finding_serial_path(avail: AvailabilityData, claims: AdrClaims = ADR_003) -> Finding | None:
    """The preferred path in series against the per-link availability the ADR promises."""
    pairs = avail.pairs
    if not pairs:
        return None
    worst = max(pairs, key=lambda p: len(p.primary_elements))
    k = len(worst.primary_elements)
    claimed, own = worst.claimed_series, worst.primary
    target = claims.link_availability
    ev = [
        f"{worst.a}→{worst.b} preferred path {list(worst.primary_path)} depends on {k} "
        f"elements in series: {list(worst.primary_elements)}",
        f"at the ADR's {_pct(target, 2)} each: {target:.4f}^{k} = {_pct(claimed)} "
        f"({downtime_minutes_per_year(claimed):.1f} min/yr against "
        f"{downtime_minutes_per_year(target):.1f})",
        f"with the topology's own mtbf/mttr: {_pct(own)} "
        f"({downtime_minutes_per_year(own):.0f} min/yr)",
    ]
    sim = worst.simulated
    whole = sim if sim is not None else worst.closed_form
    how = (
        f"Monte Carlo over {avail.years} years, CI [{_pct(worst.ci[0], 5)}, {_pct(worst.ci[1], 5)}]"
        if sim is not None and worst.ci is not None
        else "closed form"
    )
    ev.append(
        f"whole design, fallbacks included ({how}): {_pct(whole, 5)} "
        f"({worst.downtime_min_per_year.mean:.2f} min/yr)"
    )
    if k <= 1 and own >= target:
        return Finding(
            "serial",
            "holds",
            "The preferred path is a single element",
            f"{worst.a}→{worst.b} crosses one element, so the path can reach "
            f"the {_pct(target, 2)} its link promises.",
            tuple(ev),
        )
    rests_on = (
        "the fallback, not the interconnect path, carries the availability claim"
        if whole >= target > own
        else "the whole design still misses the claim"
        if whole < target
        else "the preferred path alone meets it"
    )
    return Finding(
        "serial",
        "risk" if claimed < target or own < target else "holds",
        "A serial path through the hub cannot reach the availability of each link",
        f"{worst.a}→{worst.b} crosses {k} elements in series, so even at "
        f"{_pct(target, 2)} each the path gives {_pct(claimed)}; with this topology's "
        f"failure rates it gives {_pct(own)}. With every fallback the pair reaches "
        f"{_pct(whole, 5)}: {rests_on}.",
        tuple(ev),
    )


def _window_rate(run: Run, link: str, t0: float, t1: float) -> tuple[float, float]:
    """(mean, saturated seconds) of the busier direction of ``link`` over [t0, t1), bit/s."""
    trace = run.trace
    assert trace is not None
    assert run.topology is not None
    parts = [
        np.asarray(trace.link_series[f"{link}:{d}"], dtype=float)
        for d in (0, 1)
        if f"{link}:{d}" in trace.link_series
    ]
    if not parts:
        return 0.0, 0.0
    lo, hi = int(t0 // trace.bin_s), max(int(t1 // trace.bin_s), int(t0 // trace.bin_s) + 1)
    bps = np.max(parts, axis=0)[lo:hi] * 8 / trace.bin_s
    if len(bps) == 0:
        return 0.0, 0.0
    cap = run.topology.link(link).capacity
    return float(bps.mean()), float((bps >= SATURATED * cap).sum() * trace.bin_s)


@dataclass(frozen=True)
class _VpnLoad:
    """What a VPN carried after one failure moved traffic onto it (bit/s, seconds)."""

    run: Run
    trace: Trace
    rec: FailoverRecord
    switched: float  # when traffic moved (the record's switched_at_s)
    vpn: str
    during: float  # mean rate on the VPN while failed over
    sat: float  # seconds at or above SATURATED of capacity
    before: float  # mean rate on the failed links before the failure
    cap: float
    span: float  # seconds failed over


def finding_vpn_capacity(runs: Sequence[Run], claims: AdrClaims = ADR_003) -> Finding | None:
    """Whether the fallback carried what failed over onto it (from the link series)."""
    best: _VpnLoad | None = None
    for run in runs:
        if run.trace is None or run.topology is None:
            continue
        vpns = [x.name for x in run.topology.routed_links if x.kind is LinkKind.VPN]
        for rec in run.trace.failovers:
            if rec.switched_at_s is None:
                continue
            end = rec.repaired_at_s or run.trace.duration
            for vpn in vpns:
                during, sat = _window_rate(run, vpn, rec.switched_at_s, end)
                if during <= 0:
                    continue
                before = max(
                    (
                        _window_rate(run, x, max(rec.failed_at_s - 30, 0), rec.failed_at_s)[0]
                        for x in rec.links
                        if x not in vpns
                    ),
                    default=0.0,
                )
                if best is None or (sat, during) > (best.sat, best.during):
                    best = _VpnLoad(
                        run,
                        run.trace,
                        rec,
                        rec.switched_at_s,
                        vpn,
                        during,
                        sat,
                        before,
                        run.topology.link(vpn).capacity,
                        end - rec.switched_at_s,
                    )
    if best is None:
        return None
    b, run, rec = best, best.run, best.rec
    bulk = [
        t
        for t in b.trace.transfers
        if t.start_s < (rec.repaired_at_s or 1e18)
        and (t.finish_s is None or t.finish_s > b.switched)
    ]
    ev = [
        f"run {run.label}: {rec.subject} {rec.mode} at {rec.failed_at_s:.0f} s; "
        f"traffic moved to {b.vpn} ({fmt_bps(b.cap)}) at {b.switched:.1f} s",
        f"before the failure the busier direction of {', '.join(rec.links)} carried "
        f"{fmt_bps(b.before)} (30 s mean)",
        f"on {b.vpn} during the failover: mean {fmt_bps(b.during)} "
        f"({100 * b.during / b.cap:.0f}% of capacity), at ≥"
        f"{SATURATED:.0%} for {b.sat:.0f} s of {b.span:.0f} s",
        f'ADR: the VPN gives "{fmt_bps(claims.vpn_throughput_bps)}"',
    ]
    for split in latency_split(b.trace):
        if len(split.failover) and len(split.normal):
            ev.append(
                f"{split.name}: P95 {np.quantile(split.normal, 0.95):.1f} ms normally, "
                f"{np.quantile(split.failover, 0.95):.1f} ms during failover"
            )
    what = bulk[0].traffic_class if bulk else "the traffic"
    if b.sat > 0 and b.during < 0.95 * b.before:
        return Finding(
            "vpn",
            "risk",
            "The VPN cannot carry replication at full rate",
            f"When {rec.subject} failed in {run.label}, {what} fell from "
            f"{fmt_bps(b.before)} to {fmt_bps(b.during)}: "
            f"{b.vpn} ({fmt_bps(b.cap)}) was saturated for "
            f"{b.sat:.0f} s, and every API call behind it queued.",
            tuple(ev),
        )
    return Finding(
        "vpn",
        "holds",
        "The VPN carried what failed over",
        f"In {run.label}, {b.vpn} carried {fmt_bps(b.during)} during the "
        f"failover, {100 * b.during / b.cap:.0f}% of its "
        f"{fmt_bps(b.cap)}.",
        tuple(ev),
    )


def blackhole_detection_s(topology: Topology) -> dict[str, tuple[float, str]]:
    """Per preferred link: expected blackhole detection time and how (BFD, hold, DPD)."""
    out = {}
    top = primary_preference(topology)
    for link in topology.routed_links:
        if link.preference != top:
            continue
        det = detection(link, LinkMode.BLACKHOLE)
        out[link.name] = (det.expected, _how(link, det.usual))
    return out


def _how(link: Link, method: DetectionMethod) -> str:
    """``method`` on ``link`` for a reader: ``BFD 300 ms × 3``, ``BGP hold 90 s``."""
    if method is DetectionMethod.BFD and link.bfd is not None:
        return f"BFD {link.bfd.interval * 1e3:g} ms × {link.bfd.multiplier}"
    if method is DetectionMethod.DPD and link.dpd is not None:
        return f"DPD {link.dpd.timeout:g} s"
    return f"BGP hold {link.bgp.hold:g} s"


def _method(topology: Topology, link: str) -> DetectionMethod:
    """The mechanism that usually detects a blackhole of ``link`` (the trace's name)."""
    return detection(topology.link(link), LinkMode.BLACKHOLE).usual


def finding_slow_detection(topology: Topology, runs: Sequence[Run]) -> Finding | None:
    """The preferred link that detects a blackhole slowest, with measured gaps."""
    det = blackhole_detection_s(topology)
    if len(det) < MIN_DETECTING_LINKS:
        return None
    slow = max(det, key=lambda k: det[k][0])
    fast = min(det, key=lambda k: det[k][0])
    if det[slow][0] <= 1.5 * det[fast][0]:
        return Finding(
            "detection",
            "holds",
            "Blackhole detection is uniform",
            f"Every preferred link detects a blackhole within {det[slow][0]:.1f} s.",
            tuple(f"{k}: {v[1]} = {v[0]:.1f} s" for k, v in det.items()),
        )
    ev = [f"{k}: {v[1]} = {v[0]:.1f} s" for k, v in sorted(det.items())]
    gaps: dict[str, list[float]] = {}
    for run in runs:
        if run.design is not None:
            continue
        for f in run.summary.failovers:
            rec = f.record
            if rec.link_mode is not LinkMode.BLACKHOLE or rec.subject not in det:
                continue
            how = rec.detection
            ev.append(
                f"run {run.label}: {rec.subject} blackhole, detected by "
                f"{None if how is None else how.value}, data-plane gap {f.gap_s:.2f} s"
            )
            if how == _method(topology, rec.subject):
                gaps.setdefault(rec.subject, []).append(float(f.gap_s))
    end = topology.link(slow).endpoints
    provider = (
        next(
            (
                topology.node(n).provider
                for n in end
                if topology.node(n).provider not in (None, "megaport")
            ),
            None,
        )
        or slow
    )
    text = (
        f"{provider.upper()}'s {det[slow][1]} makes {slow} detect a blackhole in "
        f"{det[slow][0]:.1f} s against {det[fast][0]:.1f} s on {fast}"
    )
    if slow in gaps and fast in gaps:
        text += (
            f"; the measured data-plane gaps are {np.median(gaps[slow]):.1f} s against "
            f"{np.median(gaps[fast]):.1f} s (median of {len(gaps[slow])} and "
            f"{len(gaps[fast])} failures)"
        )
    return Finding(
        "detection", "risk", f"{provider.upper()} fails over slower", text + ".", tuple(ev)
    )


def finding_cost(model: CostModel, claims: AdrClaims = ADR_003) -> Finding:
    lo, hi = model.egress_prices
    eg_lo, eg_hi = model.egress_cost(lo), model.egress_cost(hi)
    be = [model.break_even_gb(p) for p in (lo, hi)]
    be_txt = " to ".join(f"{v / 1e3:,.0f} TB" if v else "never" for v in reversed(be))
    implied = [claims.egress_monthly_usd / p / 1e3 for p in (hi, lo)]
    ev = [
        f"simulated load: {model.load_gb_month / 1e3:.2f} TB/month delivered between clouds",
        f"{model.design}: fixed {fmt_usd(model.fixed_total)}/month "
        f"({', '.join(f'{k} {fmt_usd(v)}' for k, v in model.fixed.items())}) + per-GB "
        f"{fmt_usd(model.per_gb_total)}/month (effective ${model.effective_per_gb:.3f} per GB "
        "of load)",
        f"the same load as internet egress: {fmt_usd(eg_lo)} at ${lo:g}/GB to "
        f"{fmt_usd(eg_hi)} at ${hi:g}/GB",
        f"break-even volume: {be_txt} per month",
        f"ADR claims {fmt_usd(claims.interconnect_monthly_usd)} interconnect against "
        f"{fmt_usd(claims.egress_monthly_usd)} egress; {fmt_usd(claims.egress_monthly_usd)} "
        f"of egress implies {implied[0]:,.0f}-{implied[1]:,.0f} TB/month",
    ]
    cheaper = model.total < eg_lo
    text = (
        f"At the simulated {model.load_gb_month / 1e3:.2f} TB/month, internet egress would "
        f"cost {fmt_usd(eg_lo)}-{fmt_usd(eg_hi)}/month, not the ADR's "
        f"{fmt_usd(claims.egress_monthly_usd)}; {model.design} costs "
        f"{fmt_usd(model.total)}/month"
    )
    text += (
        ", so it saves money at this load."
        if cheaper
        else f", {model.total / eg_hi:.1f}-{model.total / eg_lo:.1f}× more. It breaks even at "
        f"{be_txt} per month."
    )
    return Finding(
        "cost",
        "holds" if cheaper else "risk",
        "The cost claim does not match the load"
        if not cheaper
        else "The interconnect is cheaper than egress at this load",
        text,
        tuple(ev),
    )


def finding_latency(runs: Sequence[Run], claims: AdrClaims = ADR_003) -> Finding | None:
    """Latency SLO verdicts: normal runs (no failures) against runs with failures."""
    normal: list[tuple[str, str, float, float, bool]] = []
    failing: list[tuple[str, str, float, float, bool]] = []
    for run in runs:
        if run.design is not None:
            continue
        for s in run.summary.slos:
            if s.metric != "latency" or s.measured is None:
                continue
            row = (run.label, s.name, float(s.measured), float(s.target or 0.0), s.passed)
            (failing if run.summary.failovers else normal).append(row)
    if not normal and not failing:
        return None
    ev = [
        f"{r[0]}: {r[1]} {r[2]:.1f} ms (target ≤ {r[3]:g} ms): {'met' if r[4] else 'violated'}"
        for r in normal + failing
    ]
    bad = [r for r in failing if not r[4]]
    worst_normal = max((r[2] for r in normal), default=None)
    parts = []
    if worst_normal is not None:
        parts.append(
            f"P95 stays under the SLO in normal operation (worst {worst_normal:.1f} ms)"
            if all(r[4] for r in normal)
            else f"P95 misses the SLO even in normal operation ({worst_normal:.1f} ms)"
        )
    if bad:
        worst = max(bad, key=lambda r: r[2])
        parts.append(
            f"{len(bad)} of {len(failing)} latency SLOs in failure scenarios are "
            f"violated, worst {worst[2]:.1f} ms in {worst[0]}"
        )
    elif failing:
        parts.append(f"all {len(failing)} latency SLOs in failure scenarios are met")
    status = "risk" if bad or not all(r[4] for r in normal) else "holds"
    return Finding(
        "latency",
        status,
        f"P95 < {claims.p95_slo_ms:g} ms: normal against failover",
        "; ".join(parts) + ".",
        tuple(ev),
    )


def finding_failover_slo(runs: Sequence[Run]) -> Finding | None:
    rows = []
    for run in runs:
        if run.design is not None:
            continue
        for s in run.summary.slos:
            if s.metric == "failover_gap" and s.measured is not None:
                methods = sorted(
                    {
                        str(None if f.record.detection is None else f.record.detection.value)
                        for f in run.summary.failovers
                    }
                )
                rows.append(
                    (run.label, float(s.measured), float(s.target or 0.0), s.passed, methods)
                )
    if not rows:
        return None
    ev = [
        f"{r[0]}: longest gap {r[1]:.2f} s (target ≤ {r[2]:g} s, detection "
        f"{', '.join(r[4])}): {'met' if r[3] else 'violated'}"
        for r in rows
    ]
    bad = [r for r in rows if not r[3]]
    if not bad:
        return Finding(
            "failover",
            "holds",
            "Failover gaps meet the SLO",
            f"All {len(rows)} failure scenarios fail over within their target "
            f"(longest {max(r[1] for r in rows):.2f} s).",
            tuple(ev),
        )
    worst = max(bad, key=lambda r: r[1])
    return Finding(
        "failover",
        "risk",
        "Some failovers are too slow",
        f"{len(bad)} of {len(rows)} failure scenarios exceed the failover target; "
        f"worst {worst[1]:.1f} s in {worst[0]} (detected by "
        f"{', '.join(worst[4])}).",
        tuple(ev),
    )


def compute_findings(
    topology: Topology | None,
    runs: Sequence[Run],
    avail: AvailabilityData | None,
    cost: CostModel | None,
    *,
    extra: Sequence[Finding] = (),
    claims: AdrClaims = ADR_003,
) -> list[Finding]:
    """Every finding the inputs support, risks first."""
    out: list[Finding | None] = []
    if topology is not None:
        out.append(finding_spof(topology))
    if avail is not None:
        out.append(finding_serial_path(avail, claims))
    out.append(finding_vpn_capacity([r for r in runs if r.design is None], claims))
    if topology is not None:
        out.append(finding_slow_detection(topology, runs))
    out.append(finding_latency(runs, claims))
    out.append(finding_failover_slo(runs))
    if cost is not None:
        out.append(finding_cost(cost, claims))
    found = [f for f in (*out, *extra) if f is not None]
    order = {"risk": 0, "info": 1, "holds": 2}
    return sorted(found, key=lambda f: order.get(f.status, 3))


__all__ = [
    "Finding",
    "blackhole_detection_s",
    "compute_findings",
    "finding_cost",
    "finding_failover_slo",
    "finding_latency",
    "finding_serial_path",
    "finding_slow_detection",
    "finding_spof",
    "finding_vpn_capacity",
]

"""Recommendations: concrete changes derived from the numbers of the design under review.

:func:`recommend` reads the findings' inputs (:class:`~netsim.report.findings.Context`)
and returns :class:`Recommendation` values, each with the :class:`Change` that makes it
(topology keys, a duplicated node or link, scenario keys) and the runs that show whether
it works: only runs whose scripted failures involve what the change acts on
(:func:`netsim.report.exercised.exercises`), none when no run does;
:mod:`netsim.report.verification` applies the change, re-simulates those runs and puts
the numbers before and after side by side. Nothing here is written for one
design: every value comes from the topology, the runs or a cited provider limit
(:mod:`netsim.report.providers`).

- **Detection**: a preferred link whose expected blackhole gap (detection + convergence)
  exceeds the failover target gets the fastest BFD its providers allow; when the
  provider's floor is what it already runs, the target for that link is restated to what
  the link can do (the measured gap, rounded up). Only where there is somewhere to fail
  over to: a failure that leaves a pair with no path is a partition, which no detection
  fixes (the single point of failure recommendation adds a path), so neither a link whose
  failure cuts off every pair it carries nor a gap measured during a partition leads to
  a detection recommendation or a restated target.
- **Fallback capacity**: a fallback saturated by what failed over onto it is sized to
  carry it (ECMP over standard tunnels), or the bulk classes are capped below it.
- **Single point of failure**: the element whose failure takes the most pairs off their
  preferred path is duplicated (a second exchange in another metro, a second link).
- **Claims** (ADR-003 only): a cost or availability claim the numbers contradict is
  restated with the computed figures.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from netsim.analysis.graph import downtime_minutes_per_year
from netsim.model.effects import LinkMode
from netsim.report.adr import QUOTES
from netsim.report.changes import Change, Recommendation, combined
from netsim.report.exercised import exercises, scripted
from netsim.report.findings.design import hit_by, pairs_hit
from netsim.report.findings.timing import blackhole_gaps, failover_target
from netsim.report.findings.traffic import fallback_load
from netsim.report.providers import VPN_SOURCE, VPN_TUNNEL_BPS, bfd_floor
from netsim.report.style import fmt_bps, fmt_usd
from netsim.sim.tcp import HEADERS

if TYPE_CHECKING:
    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.report.findings import Context, Finding

#: A capped bulk class leaves the fallback this much of its capacity (netsim default,
#: uncited: below the 95 % at which a direction counts as saturated, with room for the
#: requests and datagrams that move with it).
CAP_SHARE = 0.9
TWIN_SUFFIX = "-2"


def _measured(ctx: Context, link: str) -> list[tuple[Run, float]]:
    """The gaps the design's runs measured for a scripted blackhole of ``link`` alone, each
    with its run; a failure that left a pair of the run with no path is a partition (its
    gap lasts until the repair) and is no measure of detection."""
    return [
        (run, float(f.gap_s))
        for run in ctx.mine
        for f in run.summary.failovers
        if f.record.subject == link
        and f.record.link_mode is LinkMode.BLACKHOLE
        and f.record.subject in scripted(run)
        and not hit_by(run, f.record).no_path
    ]


def recommend_detection(ctx: Context, findings: dict[str, Finding]) -> list[Recommendation]:
    topo = ctx.topology
    target = failover_target(ctx)
    if topo is None or target is None or "detection" not in findings:
        return []
    limit, where = target
    out = []
    for name, (det, gap, how) in sorted(blackhole_gaps(topo).items()):
        if gap <= limit:
            continue
        link = topo.link(name)
        floor = bfd_floor(link, topo)
        conv = gap - det
        measured = _measured(ctx, name)
        runs = list(dict.fromkeys(r.name for r, _ in measured))
        if floor.detection < det - 1e-9:
            new_gap = floor.detection + conv
            bfd = {"interval": f"{floor.interval * 1e3:g}ms", "multiplier": floor.multiplier}
            change = Change(topology=((f"links.{name}.bfd", bfd),))
            runs = [r.name for r in ctx.mine if exercises(r, change)]
            out.append(
                Recommendation(
                    f"bfd-{name}",
                    f"BFD {floor.interval * 1e3:g} ms × {floor.multiplier} on {name}",
                    f"{name} runs {how}: a blackhole costs {gap:.1f} s expected (detection "
                    f"{det:.1f} s + convergence {conv:.1f} s) against the {limit:g} s target "
                    f"({where}). Its providers allow BFD {floor.interval * 1e3:g} ms × "
                    f"{floor.multiplier}, which gives {new_gap:.1f} s.",
                    ("detection", "failover"),
                    change,
                    tuple(runs),
                    (floor.source,),
                )
            )
            continue
        achievable = max([gap, *(g for _, g in measured)])
        restated = math.ceil(achievable + 0.5)
        out.append(
            Recommendation(
                f"target-{name}",
                f"Failover target {restated:g} s for pairs through {name}",
                f"{name} already runs the fastest BFD its providers allow ({how}; "
                f"{floor.source}): a blackhole costs {achievable:.1f} s, and the {limit:g} s "
                f"target ({where}) cannot hold there. Restate it as {restated:g} s for "
                f"pairs through {name}, or accept the gap.",
                ("detection", "failover"),
                None,
                tuple(runs),
                (floor.source,),
                ((f"failover target through {name}", f"{limit:g} s", f"{restated:g} s"),),
            )
        )
    return out


def recommend_fallback(ctx: Context, findings: dict[str, Finding]) -> list[Recommendation]:
    found = findings.get("fallback")
    load = fallback_load([r for r in ctx.mine if scripted(r)])
    if found is None or load is None or found.status.value != "does not hold":
        return []
    topo = load.run.topology
    assert topo is not None
    link = topo.link(load.link)
    need = load.before + load.packets_bps
    tunnels = max(math.ceil(need / CAP_SHARE / VPN_TUNNEL_BPS), 1)
    size = tunnels * VPN_TUNNEL_BPS
    have = max(math.ceil(link.capacity / VPN_TUNNEL_BPS), 1)
    monthly = link.cost.monthly * tunnels / have
    keys: tuple[tuple[str, Any], ...] = (
        (f"links.{load.link}.capacity", f"{size / 1e9:g}Gbps"),
        (f"links.{load.link}.cost.monthly", round(monthly, 2)),
    )
    if link.max_pps is not None:
        # each tunnel forwards its own packets: ECMP over more tunnels adds their rates
        keys += ((f"links.{load.link}.max_pps", f"{link.max_pps * tunnels / have:.0f}/s"),)
    size_change = Change(topology=keys)
    out = [
        Recommendation(
            f"size-{load.link}",
            f"Size {load.link} to {fmt_bps(size)} ({tunnels} tunnels)",
            f"When {load.rec.subject} failed, {load.link} ({fmt_bps(link.capacity)}) had to "
            f"carry {fmt_bps(need)} ({fmt_bps(load.before)} that moved off the failed link, "
            f"{fmt_bps(load.packets_bps)} of requests and datagrams). {tunnels} standard "
            f"tunnels with ECMP carry it below {CAP_SHARE:.0%}, for about "
            f"{fmt_usd(monthly)}/month instead of {fmt_usd(link.cost.monthly)}.",
            ("fallback", "latency"),
            size_change,
            (load.run.name,),
            (VPN_SOURCE,),
        )
    ]
    # The cap is goodput; the tunnel carries it with TCP/IP headers and its own overhead
    # per segment (issue 11), so the wire share is divided by bytes on the wire per byte.
    wire = link.mtu / max(link.mtu - link.overhead - HEADERS, 1.0)
    cap = (CAP_SHARE * link.capacity - load.packets_bps) / wire
    if load.bulk and cap > 0:
        cap_text = f"{math.floor(cap / 1e7) / 100:g}Gbps"
        out.append(
            Recommendation(
                f"cap-{load.bulk[0]}",
                f"Cap {', '.join(load.bulk)} at {cap_text.replace('Gbps', ' Gbit/s')} on "
                f"{load.link} during failover",
                f"{', '.join(load.bulk)} ran at {fmt_bps(load.before)} and filled "
                f"{load.link} for {load.saturated_s:.0f} s. Capped at {cap_text} "
                f"({CAP_SHARE:.0%} of {fmt_bps(link.capacity)} less the "
                f"{fmt_bps(load.packets_bps)} of requests), the tunnel stays below saturation "
                "(a QoS policy on the tunnel; netsim applies the cap to the class for the "
                "whole run, so transfers also take longer outside the failover).",
                ("fallback", "latency"),
                Change(scenario=tuple((f"traffic.{c}.max_rate", cap_text) for c in load.bulk)),
                (load.run.name,),
                (f"netsim default (uncited): keep the fallback below {CAP_SHARE:.0%}",),
            )
        )
    return out


def recommend_spof(ctx: Context, findings: dict[str, Finding]) -> list[Recommendation]:
    topo = ctx.topology
    found = findings.get("spof")
    if topo is None or found is None or found.status.value == "holds":
        return []
    hit = pairs_hit(topo)
    worst = max(hit, key=lambda e: (len(hit[e]), e in topo.node_names, e))
    target, kind = _duplicate_of(topo, worst)
    if target is None:
        return []
    twin = f"{target}{TWIN_SUFFIX}"
    change = Change(twins=((target, twin),))
    group_of = {m: g.name for g in topo.groups for m in (*g.links, *g.nodes)}
    names = {target, *(x.name for x in topo.links_of(target))} if kind == "node" else {target}
    names |= {group_of[n] for n in list(names) if n in group_of}
    # Only runs whose failures involve the element (the duplicate is a path around it):
    # first one that fails the element itself (or its group) and nothing else, then the
    # one of the others with the worst latency.
    core = {target} | {group_of[target]} if target in group_of else {target}
    hits = [r for r in ctx.mine if exercises(r, change)]
    hits.sort(key=lambda r: (bool(scripted(r) - names), not (scripted(r) & core)))
    runs = [r.name for r in hits[:1]]
    slow = [r for r in hits if r.name not in runs]
    worst_latency = max(
        slow,
        key=lambda r: max(
            (s.judged_value or 0.0 for s in r.summary.slos if s.metric == "latency"), default=0.0
        ),
        default=None,
    )
    if worst_latency is not None:
        runs.append(worst_latency.name)
    where = "in another metro" if kind == "node" else "on a diverse path"
    return [
        Recommendation(
            f"twin-{target}",
            f"A second {target} {where}",
            f"{worst}'s failure alone takes {len(hit[worst])} pairs off their preferred path "
            f"({', '.join(f'{a}-{b}' for a, b in sorted(hit[worst]))}). A second {target} "
            f"({twin}) with its own links keeps each pair on a preferred path when one "
            "fails, so failovers stay on the interconnects instead of the fallback.",
            ("spof", "availability", "latency"),
            change,
            tuple(dict.fromkeys(runs)),
            (
                "the duplicate copies every figure of the original (delays, failure rates, "
                "prices): ASSUMPTION that another metro costs and performs the same",
            ),
        )
    ]


def _duplicate_of(topology: Topology, element: str) -> tuple[str | None, str]:
    """What to duplicate for ``element``: a node (a group's common node), or a link."""
    if element in topology.node_names:
        return element, "node"
    if element in {x.name for x in topology.links}:
        return element, "link"
    group = topology.group(element)
    ends = [set(topology.link(x).endpoints) for x in group.links]
    common = set.intersection(*ends) if ends else set()
    nodes = [n for n in sorted(common) if n in topology.node_names]
    if group.nodes:
        return group.nodes[0], "node"
    return (nodes[0], "node") if nodes else (None, "")


def recommend_claims(ctx: Context, findings: dict[str, Finding]) -> list[Recommendation]:
    """Restate the ADR's cost and availability claims where the numbers contradict them."""
    if not ctx.adr or ctx.claims is None:
        return []
    c = ctx.claims
    out = []
    cost = findings.get("cost")
    if cost is not None and cost.status.value != "holds" and ctx.cost is not None:
        m = ctx.cost
        lo, hi = m.egress_prices
        be = [m.break_even_gb(p) for p in (hi, lo)]
        be_txt = "-".join(f"{v / 1e3:,.0f}" if v else "never" for v in be)
        computed = (
            f"{fmt_usd(m.total)}/month at {m.load_gb_month / 1e3:.1f} TB/month against "
            f"{fmt_usd(m.egress_cost(lo))}-{fmt_usd(m.egress_cost(hi))} of egress; cheaper "
            f"than egress above {be_txt} TB/month"
        )
        out.append(
            Recommendation(
                "restate-cost",
                "Restate the cost claim",
                f'The ADR says "{QUOTES["cost"]}". At the load it declares '
                f"({c.replication_tb_month:g} TB/month of replication and "
                f"{c.api_per_day:,.0f} API calls a day: {m.load_gb_month / 1e3:.1f} TB/month), "
                f"egress would cost {fmt_usd(m.egress_cost(lo))}-{fmt_usd(m.egress_cost(hi))}, "
                f"not {fmt_usd(c.egress_monthly_usd)}: the interconnects are a resilience and "
                "latency choice, not a saving, until the volume grows past break-even.",
                ("cost",),
                None,
                (),
                (m.basis,),
                (("cost", QUOTES["cost"], computed),),
            )
        )
    avail = findings.get("availability")
    if avail is not None and avail.status.value != "holds" and ctx.avail is not None:
        rows = [
            f"{p.a}↔{p.b} {100 * p.primary:.3f}% on the interconnects "
            f"({downtime_minutes_per_year(p.primary):.0f} min/yr), "
            f"{100 * p.whole:.5f}% with the "
            "fallback"
            for p in ctx.avail.pairs
        ]
        out.append(
            Recommendation(
                "restate-availability",
                "Restate the availability claim per pair",
                f'The ADR says "{QUOTES["uptime"]}". A path through the hub is its elements '
                "in series; with the topology's failure figures (ASSUMPTION: no provider "
                "publishes MTBF/MTTR) each pair's interconnect path is below 99.99%, and the "
                "fallback is what keeps the pair connected. State the availability per pair "
                "and say it rests on the VPN.",
                ("availability",),
                None,
                (),
                tuple(rows),
                (("availability", QUOTES["uptime"], "; ".join(rows)),),
            )
        )
    return out


def recommend(ctx: Context, findings: list[Finding]) -> list[Recommendation]:
    """Every recommendation the findings call for (module docstring), most urgent first."""
    by_key = {f.key: f for f in findings}
    return [
        *recommend_detection(ctx, by_key),
        *recommend_fallback(ctx, by_key),
        *recommend_spof(ctx, by_key),
        *recommend_claims(ctx, by_key),
    ]


__all__ = ["CAP_SHARE", "Change", "Recommendation", "combined", "recommend"]

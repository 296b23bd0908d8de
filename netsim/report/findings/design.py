"""Findings about the design itself: single points of failure and availability.

:func:`finding_spof` counts, for each element whose failure alone takes a pair of clouds
off its preferred path (or disconnects it), the pairs it hits, with the very search
``netsim check`` runs (:class:`netsim.verify.search.FailureSpace`), so the two agree.
:func:`failure_pairs` says, with the same search, what one failure does to given pairs:
which fail over to another path and which are left with no path at all (a partition,
whose gap lasts until the repair whatever the detection), so that the timing findings and
the recommendations never read a partition as slow detection.
:func:`finding_availability` puts each pair's preferred path in series against the
availability the ADR promises (or, for another design, reports it as a note), states the
least available pair with every fallback (often another pair: its figure is the design's
worst), and names the links that have no failure model: they never fail in any figure.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.graph import downtime_minutes_per_year, primary_preference
from netsim.report.adr import QUOTES
from netsim.report.findings.base import Context, Finding, pct
from netsim.report.vocab import Source, SourceKind, Status

if TYPE_CHECKING:
    from collections.abc import Iterable

    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.trace.records import FailoverRecord

Pair = tuple[str, str]

SPOF_SOURCE = Source(
    SourceKind.DEFAULT,
    "no single failure should take a pair of clouds off its preferred path (the "
    "providers' 99.99% topologies are built on that rule: numbers.md s2)",
)


def pairs_hit(topology: Topology) -> dict[str, dict[tuple[str, str], str]]:
    """Per element: the pairs its failure alone degrades or partitions, and how (the
    single-failure findings of ``netsim check``). Cached per topology (frozen, hashable):
    the sensitivity analysis asks for the same one many times."""
    return {k: dict(v) for k, v in _pairs_hit(topology).items()}


@functools.lru_cache(maxsize=16)
def _pairs_hit(topology: Topology) -> dict[str, dict[tuple[str, str], str]]:
    from netsim.verify.search import FailureSpace

    space = FailureSpace(topology)
    out: dict[str, dict[tuple[str, str], str]] = {}
    for element in space.elements:
        combo = frozenset({element})
        for pair in space.pairs:
            if not space.applies(combo, pair):
                continue
            outcome = space.outcome(combo, pair)
            if outcome.status in ("degraded", "partition"):
                out.setdefault(element.name, {})[pair] = outcome.status
    return out


@dataclass(frozen=True)
class PairsHit:
    """What one failure does to pairs of endpoints whose traffic crosses a link it impairs
    (``netsim check``'s outcomes): ``moved`` keep a path and fail over to it (detection and
    convergence decide their gap), ``cut`` keep none (a partition: their gap lasts until
    the repair, and no detection timer shortens it), ``dead`` lost an end (the failure takes
    one of them down). ``across``: the impaired links the hit pairs' routes used."""

    moved: frozenset[Pair] = frozenset()
    cut: frozenset[Pair] = frozenset()
    dead: frozenset[Pair] = frozenset()
    across: frozenset[str] = frozenset()

    @property
    def no_path(self) -> frozenset[Pair]:
        """The pairs with no path while the failure lasts (cut off, or an end down)."""
        return self.cut | self.dead


@functools.lru_cache(maxsize=256)
def failure_pairs(
    topology: Topology, kind: str, name: str, pairs: tuple[Pair, ...] | None = None
) -> PairsHit:
    """What a failure of element ``name`` (``kind``: link, node or group) alone does to
    ``pairs`` (default: every pair of endpoints), whatever its mode: the pairs it leaves
    with a path and those it leaves with none (:class:`PairsHit`). Cached per topology
    (frozen, hashable): every finding and recommendation asks for the same failures.

    Examples
    --------
    >>> from netsim.model import load_topology
    >>> topo = load_topology("tests/report/data/partition/topology.yaml")
    >>> hit = failure_pairs(topo, "link", "azure-ix")
    >>> sorted(hit.moved), sorted(hit.cut)
    ([('aws', 'azure')], [('azure', 'gcp')])
    """
    from netsim.verify.search import Element, FailureSpace

    space = FailureSpace(topology, pairs or ())
    element = Element(kind, name)
    combo = frozenset({element})
    impaired = frozenset(space.effects(combo))
    moved: set[Pair] = set()
    cut: set[Pair] = set()
    dead: set[Pair] = set()
    across: set[str] = set()
    for pair in space.pairs:
        used = space.carried(pair) & impaired
        if not used:
            continue
        across |= used
        if space.touches(element, pair):
            dead.add(pair)
        elif space.outcome(combo, pair).status == "partition":
            cut.add(pair)
        else:
            moved.add(pair)
    return PairsHit(frozenset(moved), frozenset(cut), frozenset(dead), frozenset(across))


def traffic_pairs(run: Run) -> tuple[Pair, ...]:
    """The pairs the run's traffic joins (its scenario's classes), each as a sorted
    tuple; without its scenario (an older run), every pair of the topology's endpoints."""
    if run.scenario is not None:
        found = {
            (min(c.src, d), max(c.src, d))
            for c in run.scenario.traffic
            for d in c.dsts
            if d != c.src
        }
        return tuple(sorted(found))
    ends = run.topology.endpoints_of() if run.topology is not None else ()
    return tuple((a, b) for i, a in enumerate(ends) for b in ends[i + 1 :])


def hit_by(run: Run, rec: FailoverRecord) -> PairsHit:
    """What the failure of ``rec`` did to the pairs of the run's traffic."""
    if run.topology is None:
        return PairsHit()
    return failure_pairs(run.topology, rec.target.value, rec.subject, traffic_pairs(run))


def partition_links(topology: Topology) -> dict[str, frozenset[Pair]]:
    """Preferred links whose failure leaves every pair they carry with no path at all:
    nothing fails over, so their gap is a partition lasting until the repair, whatever
    detects it. Per link, the pairs it cuts off."""
    top = primary_preference(topology)
    out = {}
    for link in topology.routed_links:
        if link.preference != top:
            continue
        hit = failure_pairs(topology, "link", link.name)
        if hit.no_path and not hit.moved:
            out[link.name] = hit.no_path
    return out


def pairs_text(pairs: Iterable[Pair]) -> str:
    """``aws-gcp, azure-gcp``: pairs for a reader."""
    return ", ".join(f"{a}-{b}" for a, b in sorted(pairs))


def no_failure_model(topology: Topology) -> list[str]:
    """Routed links that never fail: no mtbf of their own, of their underlay, of a group
    or of an end node."""
    grouped = {m for g in topology.groups if g.mtbf for m in (*g.links, *g.nodes)}
    failing = {n.name for n in topology.nodes if n.mtbf}
    out = []
    for link in topology.routed_links:
        causes = [link.mtbf, link.name in grouped, *(n in failing for n in link.endpoints)]
        causes += [topology.link(u).mtbf for u in link.underlay]
        if not any(causes):
            out.append(link.name)
    return out


def finding_spof(ctx: Context) -> Finding | None:
    topology = ctx.topology
    if topology is None:
        return None
    hit = pairs_hit(topology)
    pairs = len(topology.endpoints_of()) * (len(topology.endpoints_of()) - 1) // 2
    source = Source(SourceKind.ADR, f'"{QUOTES["vendor"]}"') if ctx.adr else SPOF_SOURCE
    if not hit:
        return Finding(
            "spof",
            Status.HOLDS,
            "No single point of failure",
            f"No single failure takes any of the {pairs} pairs off its preferred path.",
            (f"netsim check {topology.name}: no single element degrades or cuts a pair",),
            source,
            0.0,
            0.0,
            "pairs",
        )
    worst = max(hit, key=lambda e: (len(hit[e]), e in topology.node_names, e))
    cut = {e: p for e, p in hit.items() if "partition" in p.values()}
    ev = [
        f"{e}: {len(p)} of {pairs} pairs ("
        + ", ".join(f"{a}-{b} {how}" for (a, b), how in sorted(p.items()))
        + ")"
        for e, p in sorted(hit.items(), key=lambda x: (-len(x[1]), x[0]))
    ]
    ev.append(
        f"preferred layer: links of preference {primary_preference(topology)}; "
        "degraded: the pair falls back to a less preferred path; partition: no path left"
    )
    text = (
        f"{worst} is a single point of failure: its failure alone takes {len(hit[worst])} "
        f"of {pairs} pairs off their preferred path"
    )
    same = sorted(e for e in hit if e != worst and len(hit[e]) == len(hit[worst]))
    fewer = sorted(e for e in hit if len(hit[e]) < len(hit[worst]))
    if same:
        text += f" (so does {', '.join(same)})"
    if fewer:
        text += f"; {len(fewer)} more elements each take fewer ({', '.join(fewer[:6])})"
    text += (
        f". {len(cut)} of them also disconnect a pair."
        if cut
        else ". The fallback keeps every pair connected, at fallback quality."
    )
    return Finding(
        "spof",
        Status.FAILS if cut else Status.AT_RISK,
        "Single point of failure in the preferred path",
        text,
        tuple(ev),
        source,
        float(len(hit[worst])),
        0.0,
        "pairs",
    )


def finding_availability(ctx: Context) -> Finding | None:
    """The preferred path in series against the per-link promise (ADR), or as a note;
    the headline also names the design's least available pair with every fallback."""
    avail = ctx.avail
    if avail is None or not avail.pairs or ctx.topology is None:
        return None
    worst = min(avail.pairs, key=lambda p: p.primary)
    # The design's worst pair with every fallback may be another pair (a weak preferred
    # path behind a good fallback beats a good path with none): the headline names both.
    # Ties go to the pair of the worst preferred path, so one pair is not named twice.
    least = min(avail.pairs, key=lambda p: (p.whole, p is not worst))
    k = len(worst.primary_elements)
    how = (
        f"Monte Carlo over {avail.years} years, CI [{pct(least.ci[0], 5)}, {pct(least.ci[1], 5)}]"
        if least.simulated is not None and least.ci is not None
        else "closed form"
    )
    ev = [
        f"{p.a}↔{p.b}: preferred path {list(p.primary_path)} through {len(p.primary_elements)} "
        f"elements in series {list(p.primary_elements)}: {pct(p.primary)} "
        f"({downtime_minutes_per_year(p.primary):.0f} min/yr); whole design {pct(p.whole, 5)}"
        for p in avail.pairs
    ]
    ev.append(
        f"whole design, fallbacks included ({how}): least available pair {least.a}↔{least.b}, "
        f"{pct(least.whole, 5)} ({downtime_minutes_per_year(least.whole):.1f} min/yr)"
    )
    bare = no_failure_model(ctx.topology)
    if bare:
        ev.append(
            f"no failure model (no mtbf on the link, its underlay, a group or an end): "
            f"{', '.join(bare)}: these links never fail in any availability figure"
        )
    text = (
        f"{worst.a}→{worst.b} crosses {k} element{'s' if k != 1 else ''} in series: with "
        f"this topology's failure rates its preferred path is up {pct(worst.primary)} of the time "
        f"({downtime_minutes_per_year(worst.primary):.0f} min/yr); with every fallback "
        + (
            f"the pair is connected {pct(least.whole, 5)} of the time, the least of any pair."
            if least is worst
            else f"it is connected {pct(worst.whole, 5)} of the time, but the design's least "
            f"available pair is {least.a}↔{least.b}: connected {pct(least.whole, 5)} of the "
            f"time ({downtime_minutes_per_year(least.whole):.1f} min/yr)."
        )
    )
    if bare:
        text += (
            f" {len(bare)} link{'s have' if len(bare) > 1 else ' has'} no failure model and "
            f"never fail{'' if len(bare) > 1 else 's'}: {', '.join(bare)}."
        )
    if not ctx.adr or ctx.claims is None:
        return Finding(
            "availability",
            Status.NOTE,
            "Availability of each pair",
            text,
            tuple(ev),
            None,
            worst.primary,
            None,
            "",
            higher_is_worse=False,
        )
    target = ctx.claims.uptime
    claimed = target**k
    ev.insert(
        0,
        f"even at the ADR's {pct(target, 2)} per element: {target:.4f}^{k} = {pct(claimed)} "
        f"({downtime_minutes_per_year(claimed):.1f} min/yr against "
        f"{downtime_minutes_per_year(target):.1f})",
    )
    return Finding(
        "availability",
        Status.FAILS if worst.primary < target else Status.HOLDS,
        "The interconnect path cannot reach 99.99%",
        text + f" Even at {pct(target, 2)} per element the path gives {pct(claimed)}: "
        "the fallback, not the interconnects, carries the availability.",
        tuple(ev),
        Source(SourceKind.ADR, f'"{QUOTES["uptime"]}"; "{QUOTES["link_sla"]}"'),
        worst.primary,
        target,
        "",
        higher_is_worse=False,
    )


__all__ = [
    "PairsHit",
    "failure_pairs",
    "finding_availability",
    "finding_spof",
    "hit_by",
    "no_failure_model",
    "pairs_hit",
    "pairs_text",
    "partition_links",
    "traffic_pairs",
]

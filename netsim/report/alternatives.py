"""The ADR's decision against its alternatives, on the same load and the same failure.

Each design has two runs: the *normal* run (the review's baseline load, which also gives
the monthly cost) and the *failure* run (the same traffic, and a blackhole of the link that
carries the first pair's traffic in that design, found with
:func:`netsim.model.routing.best_path`). :func:`design_row` reduces them, with the design's
availability, to one row of the comparison table; :func:`plot_alternatives` draws the rows
side by side (cost, latency, failover gap, downtime).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.graph import downtime_minutes_per_year
from netsim.analysis.results import BulkStats, ClassStats
from netsim.model.scenario import TrafficKind
from netsim.report.adr import ADR_003, AdrClaims
from netsim.report.costing import CostModel, cost_model
from netsim.report.fig_topology import spof_names
from netsim.report.findings import Finding
from netsim.report.style import BAD_COLOUR, KIND_COLOURS, OK_COLOUR, fmt_usd, new_figure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from netsim.analysis.results import Summary
    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData


@dataclass(frozen=True)
class DesignRow:
    design: str
    label: str
    cost: CostModel
    normal_p95_ms: float | None
    failure_subject: str
    failure_p95_ms: float | None
    gap_s: float | None
    lost: int
    bulk_mbps: float | None
    slos_met: int
    slos_total: int
    pair: tuple[str, str]
    availability: float | None  # Monte Carlo, or the closed form without it
    downtime_min: float
    spofs: tuple[str, ...]
    violated: tuple[str, ...] = ()  # "name measured unit" of the SLOs the failure run broke

    def as_dict(self) -> dict[str, object]:
        return {
            "design": self.design,
            "label": self.label,
            "monthly_usd": self.cost.total,
            "normal_p95_ms": self.normal_p95_ms,
            "failure": self.failure_subject,
            "failure_p95_ms": self.failure_p95_ms,
            "gap_s": self.gap_s,
            "lost": self.lost,
            "bulk_mbps": self.bulk_mbps,
            "slos_met": self.slos_met,
            "slos_total": self.slos_total,
            "pair": list(self.pair),
            "availability": self.availability,
            "downtime_min_per_year": self.downtime_min,
            "spofs": list(self.spofs),
            "violated": list(self.violated),
        }


def _latency(summary: Summary) -> float | None:
    """The first latency SLO's measured value (ms)."""
    return next(
        (
            float(s.measured)
            for s in summary.slos
            if s.metric == "latency" and s.measured is not None
        ),
        None,
    )


def design_row(
    design: str,
    label: str,
    topology: Topology,
    *,
    normal: Run,
    failure: Run,
    avail: AvailabilityData,
) -> DesignRow:
    """One row of the comparison; ``avail`` is :func:`availability_data` of ``topology``."""
    fs = failure.summary
    slos = fs.slos
    gaps = [float(f.gap_s) for f in fs.failovers]
    lost = sum(
        c.lost
        for c in fs.traffic.values()
        if isinstance(c, ClassStats) and c.kind is TrafficKind.REQUEST_RESPONSE
    )
    bulk = [
        c.throughput_mbps
        for c in fs.traffic.values()
        if isinstance(c, BulkStats) and c.throughput_mbps is not None
    ]
    pair = avail.pairs[0]
    sim = pair.simulated
    value = sim if sim is not None else pair.closed_form
    subject = fs.failovers[0].record.subject if fs.failovers else "-"
    return DesignRow(
        design,
        label,
        cost_model(topology, normal.trace, normal.summary, design=design),
        _latency(normal.summary),
        subject,
        _latency(fs),
        max(gaps) if gaps else None,
        lost,
        bulk[0] if bulk else None,
        sum(s.passed for s in slos),
        len(slos),
        (pair.a, pair.b),
        value,
        pair.downtime_min_per_year.mean if sim is not None else downtime_minutes_per_year(value),
        tuple(sorted(spof_names(topology))),
        tuple(
            f"{s.name} {s.measured:.4g} {s.unit}".strip()
            for s in slos
            if not s.passed and s.measured is not None
        ),
    )


def finding_alternatives(rows: Sequence[DesignRow], claims: AdrClaims = ADR_003) -> Finding | None:
    """Which designs meet every SLO through the same failure, and what they cost."""
    if not rows[1:]:  # the ADR's design (the first row) alone: nothing to compare
        return None
    adr = rows[0]
    good = [r for r in rows if r.slos_met == r.slos_total]
    ev = [
        f"{r.design}: {r.slos_met}/{r.slos_total} SLOs with {r.failure_subject} failed"
        + (f" (violated: {'; '.join(r.violated)})" if r.violated else "")
        + f", gap {r.gap_s:.1f} s, {fmt_usd(r.cost.total)}/month, "
        f"{r.downtime_min:.2f} min/yr of {r.pair[0]}↔{r.pair[1]} downtime"
        for r in rows
        if r.gap_s is not None
    ]
    mesh = next((r for r in rows if r.design == "full-mesh"), None)
    if mesh is not None:
        ev.append(
            f"full mesh: {fmt_usd(mesh.cost.total)}/month here; the ADR says "
            f"{fmt_usd(claims.full_mesh_monthly_usd)}"
        )
    text = (
        f"On the same load and the same failure, {len(good)} of {len(rows)} designs meet "
        f"every SLO ({', '.join(r.design for r in good) or 'none'}); {adr.design} meets "
        f"{adr.slos_met} of {adr.slos_total}"
    )
    text += f" ({'; '.join(adr.violated)})." if adr.violated else "."
    cheapest = min(good, key=lambda r: r.cost.total, default=None)
    if cheapest is not None and cheapest is not adr:
        text += (
            f" The cheapest that does is {cheapest.design} at "
            f"{fmt_usd(cheapest.cost.total)}/month, "
            f"{cheapest.cost.total / adr.cost.total:.1f}× the ADR's design."
        )
    return Finding(
        "alternatives",
        "holds" if adr in good else "risk",
        "The ADR's design against its alternatives",
        text,
        tuple(ev),
    )


def plot_alternatives(rows: Sequence[DesignRow], claims: AdrClaims = ADR_003) -> Figure:
    """Four panels, one bar per design: monthly cost, P95 latency (normal and failure),
    longest failover gap, downtime per year of the first pair."""
    fig = new_figure(13.0, 4.2)
    axes = fig.subplots(1, 4)
    x = np.arange(len(rows))
    names = [r.design for r in rows]
    colours = [KIND_COLOURS["interconnect"] if i == 0 else "#8fa9c7" for i in range(len(rows))]
    ax = axes[0]
    ax.bar(x, [r.cost.total / 1e3 for r in rows], color=colours, gid="alt:cost")
    for i, r in enumerate(rows):
        ax.annotate(
            f"${r.cost.total / 1e3:,.1f}K",
            (i, r.cost.total / 1e3),
            ha="center",
            va="bottom",
            fontsize=6.5,
        )
    ax.set_title("monthly cost (USD K)", fontsize=9)
    ax = axes[1]
    normal = [r.normal_p95_ms or np.nan for r in rows]
    failure = [r.failure_p95_ms or np.nan for r in rows]
    ax.bar(x - 0.2, normal, width=0.4, color=colours, label="normal", gid="alt:p95-normal")
    ax.bar(
        x + 0.2,
        failure,
        width=0.4,
        color="#e9a36b",
        label="with the failure",
        gid="alt:p95-failure",
    )
    ax.axhline(
        claims.p95_slo_ms, color=OK_COLOUR, ls="--", lw=1, label=f"SLO {claims.p95_slo_ms:g} ms"
    )
    ax.set_title("API P95 latency (ms)", fontsize=9)
    ax.legend(fontsize=6)
    ax = axes[2]
    gaps = [max(r.gap_s or 0.0, 0.05) for r in rows]
    ax.bar(x, gaps, color=colours, gid="alt:gap")
    for i, r in enumerate(rows):
        ax.annotate(
            f"{r.gap_s:.1f} s" if r.gap_s is not None else "-",
            (i, gaps[i]),
            ha="center",
            va="bottom",
            fontsize=6.5,
        )
    ax.set_yscale("log")
    ax.set_title("longest failover gap (s, log)", fontsize=9)
    ax = axes[3]
    down = [max(r.downtime_min, 0.01) for r in rows]
    ax.bar(x, down, color=colours, gid="alt:downtime")
    ax.axhline(
        downtime_minutes_per_year(claims.link_availability),
        color=BAD_COLOUR,
        ls="--",
        lw=1,
        label=f"ADR {claims.link_availability:.2%}",
    )
    ax.set_yscale("log")
    ax.set_title(
        f"downtime {rows[0].pair[0]}↔{rows[0].pair[1]} (min/yr, log)" if rows else "downtime",
        fontsize=9,
    )
    ax.legend(fontsize=6)
    for ax in axes:
        ax.set_xticks(x, names, fontsize=7, rotation=35, ha="right")
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(True, axis="y", alpha=0.25, which="both")
    return fig


__all__ = ["DesignRow", "design_row", "finding_alternatives", "plot_alternatives"]

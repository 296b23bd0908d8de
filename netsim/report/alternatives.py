"""The design under review against its alternatives, on the same load.

Each design has two runs: the *normal* run (the review's baseline, at its peak hour) and
the *failure* run (the same traffic, with the failure moved to the link that carries the
first pair's traffic *in that design*, found with :func:`netsim.model.routing.best_path`:
each design faces the failure of its own busiest link, not the same link). Its cost is the
cost model at the declared load. :func:`design_row` reduces them, with the design's
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
from netsim.report.costing import CostModel, cost_model
from netsim.report.fig_topology import spof_names
from netsim.report.findings import Finding
from netsim.report.style import BAD_COLOUR, KIND_COLOURS, OK_COLOUR, fmt_usd, new_figure
from netsim.report.vocab import Source, SourceKind, Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from netsim.analysis.results import SloVerdict, Summary
    from netsim.model.topology import Topology
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData


P95 = 0.95  # the quantile the comparison prefers to show


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
    at_risk: tuple[str, ...] = ()
    topology: Topology | None = None
    slo_target_ms: float | None = None  # the headline latency SLO's target (for the figure)
    slo_quantile: float | None = None  # and its quantile

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
            "at_risk": list(self.at_risk),
        }


def headline_slo(slos: Sequence[SloVerdict]) -> SloVerdict | None:
    """The latency SLO a comparison shows: the first P95 one, else the first at all (its
    value, its target and its quantile go together on one axis)."""
    latency = [s for s in slos if s.metric == "latency"]
    return next((s for s in latency if s.quantile == P95), latency[0] if latency else None)


def _latency(summary: Summary) -> float | None:
    """The headline latency SLO's judged value (ms): its worst window."""
    s = headline_slo(summary.slos)
    return None if s is None or s.judged_value is None else float(s.judged_value)


def design_row(
    design: str,
    label: str,
    topology: Topology,
    *,
    normal: Run,
    failure: Run,
    avail: AvailabilityData,
) -> DesignRow:
    """One row of the comparison; ``avail`` is :func:`availability_data` of ``topology``.
    The cost is at the declared load of the normal run's scenario when it is known."""
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
    pair = min(avail.pairs, key=lambda p: p.whole)  # its least available pair
    value = pair.whole
    subject = fs.failovers[0].record.subject if fs.failovers else "-"
    statuses = [(s, Status.of(s.verdict, s.passed)) for s in slos]
    judged = [x for x in statuses if x[1] is not Status.NOTE]
    headline = headline_slo(slos)
    return DesignRow(
        design,
        label,
        cost_model(topology, normal.trace, normal.summary, design=design, scenario=normal.scenario),
        _latency(normal.summary),
        subject,
        _latency(fs),
        max(gaps) if gaps else None,
        lost,
        bulk[0] if bulk else None,
        sum(st is Status.HOLDS for _, st in judged),
        len(judged),
        (pair.a, pair.b),
        value,
        pair.downtime_min_per_year.mean
        if pair.simulated is not None
        else downtime_minutes_per_year(value),
        tuple(sorted(spof_names(topology))),
        tuple(
            f"{s.name} {s.judged_value:.4g} {s.unit}".strip()
            for s, st in judged
            if st is Status.FAILS and s.judged_value is not None
        ),
        tuple(s.name for s, st in judged if st is Status.AT_RISK),
        topology,
        None if headline is None else headline.target,
        None if headline is None else headline.quantile,
    )


def finding_alternatives(rows: Sequence[DesignRow]) -> Finding | None:
    """Which designs meet every SLO of the comparison, and what they cost."""
    if not rows[1:]:  # the design under review (the first row) alone: nothing to compare
        return None
    adr = rows[0]
    good = [r for r in rows if r.slos_met == r.slos_total]
    ev = [
        f"{r.design}: {r.slos_met}/{r.slos_total} SLOs hold with {r.failure_subject} failed"
        + (f" (do not hold: {'; '.join(r.violated)})" if r.violated else "")
        + (f" (at risk: {', '.join(r.at_risk)})" if r.at_risk else "")
        + f", gap {r.gap_s:.1f} s, {'' if r.cost.complete else 'at least '}"
        f"{fmt_usd(r.cost.total)}/month"
        + ("" if r.cost.complete else f" (leaves out {r.cost.leaves_out()})")
        + ", "
        f"{r.downtime_min:.2f} min/yr of {r.pair[0]}↔{r.pair[1]} downtime"
        for r in rows
        if r.gap_s is not None
    ]
    text = (
        f"On the same load, each with the link its own traffic uses failed, {len(good)} of "
        f"{len(rows)} designs meet every SLO ({', '.join(r.design for r in good) or 'none'}); "
        f"{adr.design} meets {adr.slos_met} of {adr.slos_total}"
    )
    text += f" ({'; '.join(adr.violated)})." if adr.violated else "."
    unpriced = [r.design for r in rows if not r.cost.complete]
    cheapest = min(good, key=lambda r: r.cost.total, default=None)
    if unpriced:  # a lower bound against a total would rank the incomplete one too cheap
        text += (
            f" Their costs are not compared: {', '.join(unpriced)} "
            f"{'has' if len(unpriced) == 1 else 'have'} elements without a cost model."
        )
    elif cheapest is not None and cheapest is not adr:
        text += (
            f" The cheapest that does is {cheapest.design} at "
            f"{fmt_usd(cheapest.cost.total)}/month, "
            f"{cheapest.cost.total / adr.cost.total:.1f}× {adr.design}."
        )
    return Finding(
        "alternatives",
        Status.HOLDS if adr in good else Status.FAILS,
        f"{adr.design} against its alternatives",
        text,
        tuple(ev),
        Source(SourceKind.SLO, "the SLOs of the comparison scenario, in every design"),
        float(adr.slos_total - adr.slos_met),
        0.0,
        "SLOs not holding",
    )


def _bars(
    ax: Axes, y: np.ndarray, values: list[float], colours: list[str], *, gid: str, labels: list[str]
) -> None:
    """Horizontal bars with their value written just right of each bar."""
    ax.barh(y, values, color=colours, gid=gid, height=0.6)
    top = max([v for v in values if np.isfinite(v)] + [1e-9])
    for yi, v, text in zip(y, values, labels, strict=True):
        if np.isfinite(v):
            ax.text(v, yi, f" {text}", va="center", ha="left", fontsize=7)
    ax.set_xlim(0, top * 1.45)


def plot_alternatives(rows: Sequence[DesignRow], claim_availability: float | None = None) -> Figure:
    """Four panels, one bar per design (names on the left, values at the bars): monthly
    cost, P95 latency normal and with the failure (the SLO's target dashed), longest
    failover gap, downtime per year of each design's least available pair (log)."""
    fig = new_figure(11.5, 1.2 + 0.55 * max(len(rows), 3) * 2)
    axes = fig.subplots(2, 2).ravel()
    y = np.arange(len(rows))[::-1].astype(float)
    names = [r.design for r in rows]
    colours = [KIND_COLOURS["interconnect"] if i == 0 else "#8fa9c7" for i in range(len(rows))]
    cost = [r.cost.total / 1e3 for r in rows]
    _bars(axes[0], y, cost, colours, gid="alt:cost", labels=[f"${c:,.1f}K" for c in cost])
    axes[0].set_xlabel("USD per month (thousands)", fontsize=8)
    axes[0].set_title("monthly cost at the declared load", fontsize=9)
    ax = axes[1]
    normal = [r.normal_p95_ms if r.normal_p95_ms is not None else np.nan for r in rows]
    failure = [r.failure_p95_ms if r.failure_p95_ms is not None else np.nan for r in rows]
    ax.barh(y + 0.18, normal, height=0.34, color=colours, label="normal", gid="alt:p95-normal")
    ax.barh(
        y - 0.18,
        failure,
        height=0.34,
        color="#e9a36b",
        label="with its failure",
        gid="alt:p95-failure",
    )
    for yi, v in zip(y, failure, strict=True):
        if np.isfinite(v):
            ax.text(v, yi - 0.18, f" {v:.0f}", va="center", fontsize=6.5)
    target = next((r.slo_target_ms for r in rows if r.slo_target_ms is not None), None)
    if target is not None:
        ax.axvline(target, color=OK_COLOUR, ls="--", lw=1, label=f"SLO {target:g} ms")
    finite = [v for v in normal + failure if np.isfinite(v)]
    ax.set_xlim(0, max([*finite, target or 0.0, 1.0]) * 1.3)
    q = next((r.slo_quantile for r in rows if r.slo_quantile is not None), P95)
    ax.set_xlabel(f"P{q * 100:g} latency, worst window (ms)", fontsize=8)
    ax.set_title("latency of the first SLO's class", fontsize=9)
    ax.legend(fontsize=6.5, loc="lower right")
    gaps = [max(r.gap_s or 0.0, 0.05) for r in rows]
    _bars(
        axes[2],
        y,
        gaps,
        colours,
        gid="alt:gap",
        labels=[f"{r.gap_s:.1f} s" if r.gap_s is not None else "-" for r in rows],
    )
    axes[2].set_xscale("log")
    axes[2].set_xlim(0.05, max(gaps) * 8)
    axes[2].set_xlabel("longest failover gap (s, log)", fontsize=8)
    axes[2].set_title("failover gap of its failure", fontsize=9)
    ax = axes[3]
    down = [max(r.downtime_min, 0.01) for r in rows]
    _bars(ax, y, down, colours, gid="alt:downtime", labels=[f"{r.downtime_min:.2f}" for r in rows])
    if claim_availability is not None:
        ax.axvline(
            downtime_minutes_per_year(claim_availability),
            color=BAD_COLOUR,
            ls="--",
            lw=1,
            label=f"ADR {claim_availability:.2%}",
        )
        ax.legend(fontsize=6.5, loc="lower right")
    ax.set_xscale("log")
    ax.set_xlim(0.01, max(down) * 10)
    ax.set_xlabel("downtime of the least available pair (minutes per year, log)", fontsize=8)
    ax.set_title("availability", fontsize=9)
    for ax in axes:
        ax.set_yticks(y, names, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", alpha=0.25, which="both")
    return fig


__all__ = ["DesignRow", "design_row", "finding_alternatives", "plot_alternatives"]

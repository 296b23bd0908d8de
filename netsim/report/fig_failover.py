"""Failover gaps per failure mode and detection method, simulated against lab-measured.

Works from any set of runs: every failover record of every summary becomes a point, grouped
by ``mode / detection`` (carrier loss, BFD, BGP hold timer, DPD, or never detected). Lab
runs (``"engine": "lab"``) are drawn beside the simulated ones, and a lab record is joined by
a line to the simulated record of the same scenario and failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.report.style import LAB_COLOUR, SIM_COLOUR, new_figure

if TYPE_CHECKING:
    from collections.abc import Iterable

    from matplotlib.figure import Figure

    from netsim.analysis.results import Summary

DETECTION_ORDER = ("carrier", "bfd", "hold", "dpd", "undetected")
FLOOR_S = 0.05  # gaps below this (e.g. none at all) are drawn on the floor


@dataclass(frozen=True)
class GapRecord:
    scenario: str
    engine: str  # "sim" | "lab"
    failure: int
    subject: str
    mode: str
    detection: str
    gap_s: float
    model_gap_s: float | None

    @property
    def category(self) -> str:
        return f"{self.mode} / {self.detection}"


def gap_records(summaries: Iterable[Summary]) -> list[GapRecord]:
    """Every failover record of the summaries that interrupted traffic (a simulated
    failure of a link no flow used has a gap of 0 s that would pull every median down)."""
    out: list[GapRecord] = []
    unobserved: set[int] = set()
    for s in summaries:
        engine = "lab" if s.engine == "lab" else "sim"
        for f in s.failovers:
            rec = f.record
            if engine == "sim" and not f.affected_flows:
                continue  # a failure of an idle link interrupts nothing: no gap to show
            if engine == "lab" and rec.detection is None:
                unobserved.add(len(out))
            out.append(
                GapRecord(
                    s.scenario,
                    engine,
                    rec.id,
                    rec.subject,
                    rec.mode,
                    rec.detection.value if rec.detection else "undetected",
                    float(f.gap_s),
                    f.model_gap_s,
                )
            )
    # The lab measures gaps, not which mechanism detected the failure: a lab record is drawn
    # in the category of the simulated record of the same scenario and failure.
    simulated = {(r.scenario, r.failure): r.detection for r in out if r.engine == "sim"}
    for k in unobserved:
        r = out[k]
        detection = simulated.get((r.scenario, r.failure))
        if detection is not None:
            out[k] = GapRecord(
                r.scenario,
                r.engine,
                r.failure,
                r.subject,
                r.mode,
                detection,
                r.gap_s,
                r.model_gap_s,
            )
    return out


def _category_key(cat: str) -> tuple[int, str]:
    mode, _, det = cat.partition(" / ")
    rank = DETECTION_ORDER.index(det) if det in DETECTION_ORDER else len(DETECTION_ORDER)
    return rank, mode


def plot_failover_gaps(records: list[GapRecord], slo_s: float | None = None) -> Figure:
    """Strip plot of gaps (log scale) per category; see the module docstring."""
    fig = new_figure(9.0, 4.8)
    ax = fig.add_subplot()
    cats = sorted({r.category for r in records}, key=_category_key)
    x_of = {c: i for i, c in enumerate(cats)}
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    sim = {(r.scenario, r.failure): r for r in records if r.engine == "sim"}
    for engine, colour, marker, shift in (
        ("sim", SIM_COLOUR, "o", -0.12),
        ("lab", LAB_COLOUR, "s", 0.12),
    ):
        rows = [r for r in records if r.engine == engine]
        if not rows:
            continue
        x = np.array([x_of[r.category] + shift for r in rows]) + rng.uniform(-0.06, 0.06, len(rows))
        y = np.array([max(r.gap_s, FLOOR_S) for r in rows])
        ax.scatter(
            x,
            y,
            color=colour,
            marker=marker,
            s=28,
            alpha=0.8,
            zorder=3,
            label=f"{'simulated' if engine == 'sim' else 'lab-measured'} ({len(rows)})",
            gid=f"gaps:{engine}",
        )
        if engine == "lab":
            for r, xi, yi in zip(rows, x, y, strict=True):
                twin = sim.get((r.scenario, r.failure))
                if twin is not None:
                    ax.plot(
                        [x_of[twin.category] - 0.12, xi],
                        [max(twin.gap_s, FLOOR_S), yi],
                        color="#999999",
                        lw=0.8,
                        zorder=2,
                    )
    for c, i in x_of.items():
        gaps = [r.gap_s for r in records if r.category == c and r.engine == "sim"]
        if gaps:
            ax.annotate(
                f"median {np.median(gaps):.2g} s", (i, max(gaps) * 1.6), fontsize=7, ha="center"
            )
    if slo_s is not None:
        ax.axhline(slo_s, color="#2e7d32", ls="--", lw=1, label=f"failover SLO {slo_s:g} s")
    ax.set_xticks(range(len(cats)), [c.replace(" / ", "\n") for c in cats], fontsize=8)
    ax.set_yscale("log")
    highest = max([r.gap_s for r in records] + [slo_s or 0.0, FLOOR_S])
    ax.set_ylim(FLOOR_S * 0.8, highest * 3.0)  # room for the median labels above the points
    ax.set_ylabel(f"data-plane gap (s, log; ≤ {FLOOR_S:g} s drawn at the bottom)", fontsize=8)
    ax.set_xlim(-0.6, max(len(cats) - 0.4, 0.6))
    ax.grid(True, axis="y", which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Failover gap by failure mode and detection method", fontsize=10)
    return fig


__all__ = ["GapRecord", "gap_records", "plot_failover_gaps"]

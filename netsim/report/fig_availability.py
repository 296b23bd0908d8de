"""Availability per cloud pair: Monte Carlo against the closed forms and the ADR's claim.

:func:`availability_data` gathers, per pair of clouds, the Monte Carlo figure of
:mod:`netsim.analysis.availability` (mean, CI, downtime per simulated year), the closed form
of the whole design (every fallback included), the series availability of the primary path
alone (the interconnects through the hub, from the topology's own mtbf/mttr), and what that
same path would give if each of its elements met the ADR's 99.99%. The figure shows all of
them as downtime in minutes per year (log scale), with the ADR's 99.99% as a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.graph import (
    cloud_pairs,
    downtime_minutes_per_year,
    pair_availability,
    path_components,
    series,
)
from netsim.model.routing import best_path
from netsim.report.adr import ADR_003, AdrClaims
from netsim.report.style import BAD_COLOUR, KIND_COLOURS, SIM_COLOUR, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from netsim.model.topology import Topology

FLOOR_MIN = 0.01  # downtime below this is drawn on the floor of the log axis


@dataclass(frozen=True, slots=True)
class Downtime:
    """Minutes of downtime per year: the mean, and the p50/p95 over simulated years."""

    mean: float
    p50: float | None = None
    p95: float | None = None


@dataclass(frozen=True, slots=True)
class PairAvailability:
    """One pair of clouds: Monte Carlo (None without it), closed forms, the preferred path."""

    a: str
    b: str
    simulated: float | None
    ci: tuple[float, float] | None
    closed_form: float  # whole design (Monte Carlo's, else the graph's)
    closed_form_graph: float
    downtime_min_per_year: Downtime
    primary_path: tuple[str, ...]  # links of the preferred path
    primary: float  # its elements in series, the topology's figures
    primary_elements: tuple[str, ...]
    claimed_series: float  # the same elements at the ADR's figure each
    per_year: np.ndarray | None = field(default=None, compare=False)  # downtime per year

    @property
    def whole(self) -> float:
        """The whole design's availability for the pair, every fallback included: Monte
        Carlo's mean when it ran, else the closed form."""
        return self.simulated if self.simulated is not None else self.closed_form

    def to_json(self) -> dict[str, object]:
        d = self.downtime_min_per_year
        return {
            "a": self.a,
            "b": self.b,
            "simulated": self.simulated,
            "ci": None if self.ci is None else list(self.ci),
            "closed_form": self.closed_form,
            "closed_form_graph": self.closed_form_graph,
            "downtime_min_per_year": {"mean": d.mean, "p50": d.p50, "p95": d.p95},
            "primary_path": list(self.primary_path),
            "primary": self.primary,
            "primary_elements": list(self.primary_elements),
            "claimed_series": self.claimed_series,
            "per_year": None if self.per_year is None else self.per_year.tolist(),
        }


@dataclass(frozen=True, slots=True)
class AvailabilityData:
    """Every cloud pair of a topology; ``years`` is 0 when no Monte Carlo ran."""

    years: int
    seed: int
    topology: str
    pairs: tuple[PairAvailability, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "years": self.years,
            "seed": self.seed,
            "topology": self.topology,
            "pairs": [p.to_json() for p in self.pairs],
        }


MonteCarlo = tuple[float, tuple[float, float], float | None, np.ndarray]


def _monte_carlo(topology: Topology, years: int, seed: int) -> dict[tuple[str, str], MonteCarlo]:
    """Per pair: (simulated, ci, closed_form, downtime per year) from the availability
    module; empty for no simulated years (the figure then shows the closed forms only)."""
    if years <= 0:
        return {}
    from netsim.analysis.availability import simulate_pairs

    return {
        (p.a, p.b): (p.simulated, p.ci, p.closed_form, np.asarray(p.downtime_min))
        for p in simulate_pairs(topology, years, seed)
    }


def availability_data(
    topology: Topology, years: int = 2000, seed: int = 1, claims: AdrClaims = ADR_003
) -> AvailabilityData:
    """The pairs of ``netsim availability --json``, each with its preferred path in series
    (``primary``), the same path at the ADR's figure (``claimed_series``) and the downtime
    of every simulated year (``per_year``)."""
    mc = _monte_carlo(topology, years, seed)
    pairs = []
    for a, b in cloud_pairs(topology):
        full = pair_availability(topology, a, b)
        path = best_path(topology, a, b, frozenset())
        elements = path_components(topology, path, a) if path else ()
        primary = series(*(c.availability for c in elements)) if path else 0.0
        down = None
        if (a, b) in mc:
            sim, ci, closed, down = mc[(a, b)]
            downtime = Downtime(
                float(down.mean()), float(np.percentile(down, 50)), float(np.percentile(down, 95))
            )
        else:
            sim, ci, closed = None, None, None
            downtime = Downtime(downtime_minutes_per_year(full))
        pairs.append(
            PairAvailability(
                a,
                b,
                sim,
                ci,
                closed if closed is not None else full,
                full,
                downtime,
                tuple(path or ()),
                primary,
                tuple(c.name for c in elements),
                claims.link_availability ** len(elements),
                down,
            )
        )
    return AvailabilityData(years if mc else 0, seed, topology.name, tuple(pairs))


def _wrap(elements: tuple[str, ...], width: int = 28) -> list[str]:
    """The path's elements as lines of at most ``width`` characters."""
    lines, line = [], ""
    for e in elements:
        part = e if not line else f"{line} › {e}"
        if len(part) > width and line:
            lines.append(line)
            line = e
        else:
            line = part
    return [*lines, line] if line else lines


def plot_availability(data: AvailabilityData, claim: float | None = None) -> Figure:
    """Downtime per year per pair (log); see the module docstring. ``claim``: an
    availability the design promises (the ADR's 99.99 %), drawn when given."""
    pairs = data.pairs
    fig = new_figure(max(7.0, 2.2 * len(pairs) + 2.0), 5.8)
    ax = fig.add_subplot()
    x = np.arange(len(pairs))
    per_year = [p.per_year for p in pairs]
    if any(v is not None for v in per_year):
        boxes = [
            np.maximum(np.asarray(v if v is not None else [np.nan]), FLOOR_MIN) for v in per_year
        ]
        bp = ax.boxplot(
            boxes, positions=x, widths=0.35, whis=(5, 95), showfliers=False, patch_artist=True
        )
        for patch in bp["boxes"]:
            patch.set(facecolor="#dce6f2", edgecolor=SIM_COLOUR)
            patch.set_gid("avail:mc")
        ax.scatter(
            x,
            [max(p.downtime_min_per_year.mean, FLOOR_MIN) for p in pairs],
            color=SIM_COLOUR,
            marker="o",
            zorder=4,
            s=30,
            label=f"Monte Carlo mean ({data.years} years; box: p25-p75, whiskers p5-p95)",
            gid="avail:mc-mean",
        )
    full = [max(downtime_minutes_per_year(p.closed_form), FLOOR_MIN) for p in pairs]
    ax.scatter(
        x + 0.25,
        full,
        marker="D",
        color="#2e7d32",
        zorder=4,
        s=30,
        label="closed form, whole design (fallbacks included)",
        gid="avail:closed",
    )
    prim = [max(downtime_minutes_per_year(p.primary), FLOOR_MIN) for p in pairs]
    ax.scatter(
        x - 0.25,
        prim,
        marker="s",
        color=KIND_COLOURS["interconnect"],
        zorder=4,
        s=30,
        label="preferred path alone, in series (topology's mtbf/mttr)",
        gid="avail:primary",
    )
    claimed = []
    if claim is not None:
        claimed = [downtime_minutes_per_year(claim ** len(p.primary_elements)) for p in pairs]
        ax.scatter(
            x - 0.25,
            claimed,
            marker="_",
            color=BAD_COLOUR,
            s=300,
            zorder=4,
            label=f"preferred path in series with every element at {claim:.2%}",
            gid="avail:claimed-series",
        )
        ax.axhline(
            downtime_minutes_per_year(claim),
            color=BAD_COLOUR,
            ls="--",
            lw=1,
            label=f"claim {claim:.2%} ({downtime_minutes_per_year(claim):.1f} min/yr)",
        )
    # The path's elements go under the pair's name, not over the points, so they never
    # overlap each other or the markers, however many pairs there are.
    ax.set_xticks(
        x,
        [f"{p.a} ↔ {p.b}\n" + "\n".join(_wrap(p.primary_elements)) for p in pairs],
        fontsize=7,
    )
    ax.set_yscale("log")
    top = max([*prim, *claimed, *full, 1.0])
    ax.set_ylim(FLOOR_MIN * 0.7, top * 8)
    ax.set_ylabel(f"downtime (minutes per year, log; ≤ {FLOOR_MIN:g} at the bottom)", fontsize=8)
    ax.grid(True, axis="y", which="both", alpha=0.25)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    ax.set_title(f"Availability per cloud pair: {data.topology}", fontsize=10)
    return fig


__all__ = [
    "AvailabilityData",
    "Downtime",
    "PairAvailability",
    "availability_data",
    "plot_availability",
]

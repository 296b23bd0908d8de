"""Link utilisation over a run, including the VPN when it carries what failed over.

Utilisation is the busier direction's bytes per bin (``Trace.link_series``, packets and bulk
flows together) over the link's capacity. Underlay links that only carry tunnels are left
out (the tunnels are drawn instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.topology import LinkKind, Topology
from netsim.report.style import KIND_COLOURS, fmt_bps, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from netsim.trace.core import Trace

# Peak utilisation (fraction of capacity) of the busiest link below which the time axis is
# symmetric-log: on a linear one, lines under 5 % would lie flat on zero.
SYMLOG_BELOW_PEAK = 0.05


@dataclass(frozen=True)
class LinkUse:
    name: str
    kind: str
    capacity: float
    utilisation: np.ndarray  # per bin, busier direction, 0..1
    bin_s: float

    @property
    def peak(self) -> float:
        return float(self.utilisation.max()) if len(self.utilisation) else 0.0

    @property
    def mean(self) -> float:
        return float(self.utilisation.mean()) if len(self.utilisation) else 0.0


def link_use(trace: Trace, topology: Topology) -> list[LinkUse]:
    """Every routed link that carried anything, in topology order."""
    out = []
    for link in topology.routed_links:
        parts = [
            np.asarray(trace.link_series[f"{link.name}:{d}"], dtype=float)
            for d in (0, 1)
            if f"{link.name}:{d}" in trace.link_series
        ]
        if not parts:
            continue
        busier = np.max(parts, axis=0) * 8 / trace.bin_s / link.capacity
        if busier.any():
            out.append(LinkUse(link.name, link.kind.value, link.capacity, busier, trace.bin_s))
    return out


def plot_utilisation(trace: Trace, topology: Topology, title: str | None = None) -> Figure:
    """Utilisation over time (top) and peak/mean per link (bottom)."""
    uses = link_use(trace, topology)
    fig = new_figure(9.0, 5.6)
    ax_t, ax_b = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    for u in uses:
        t = np.arange(len(u.utilisation)) * u.bin_s
        ax_t.plot(
            t,
            100 * u.utilisation,
            lw=1.1 if u.kind != "vpn" else 1.6,
            ls="--" if u.kind == LinkKind.VPN.value else "-",
            label=f"{u.name} ({fmt_bps(u.capacity)})",
            gid=f"util:{u.name}",
        )
    ax_t.set_ylabel("utilisation, busier direction (%)", fontsize=8)
    ax_t.set_xlabel("simulated time (s)", fontsize=8)
    ax_t.set_ylim(bottom=0)
    if uses and max(u.peak for u in uses) < SYMLOG_BELOW_PEAK:
        ax_t.set_yscale("symlog", linthresh=0.1)
    ax_t.legend(fontsize=7, ncol=2, loc="upper right")
    ax_t.grid(True, alpha=0.25)
    names = [u.name for u in uses]
    x = np.arange(len(uses))
    ax_b.bar(
        x - 0.2,
        [100 * u.peak for u in uses],
        width=0.4,
        color=[KIND_COLOURS[u.kind] for u in uses],
        label="peak",
        gid="util:peak",
    )
    ax_b.bar(
        x + 0.2,
        [100 * u.mean for u in uses],
        width=0.4,
        color="#bbbbbb",
        label="mean",
        gid="util:mean",
    )
    for i, u in enumerate(uses):
        ax_b.annotate(
            f"{100 * u.peak:.3g}%", (i - 0.2, 100 * u.peak), ha="center", va="bottom", fontsize=7
        )
    ax_b.set_xticks(x, names, fontsize=7)
    ax_b.set_ylabel("% of capacity", fontsize=8)
    ax_b.set_ylim(0, 115)
    ax_b.legend(fontsize=7, loc="upper right")
    for ax in (ax_t, ax_b):
        ax.tick_params(labelsize=7)
    fig.suptitle(title or "Link utilisation", fontsize=10)
    return fig


__all__ = ["LinkUse", "link_use", "plot_utilisation"]

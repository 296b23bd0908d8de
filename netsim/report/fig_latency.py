"""Latency CDFs per traffic class: normal operation against failover, with the SLO line.

A request counts as *during failover* when its first attempt was sent inside a failure
window: from the failure to the restoration of the preferred path (or the repair, or the
end of the run when neither happened). Everything else after the warmup is *normal*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.requests import request_table
from netsim.report.style import BAD_COLOUR, OK_COLOUR, SIM_COLOUR, new_figure, plain_log_ticks

if TYPE_CHECKING:
    from collections.abc import Mapping

    from matplotlib.figure import Figure

    from netsim.analysis.results import Summary
    from netsim.trace.core import Trace

CDF_POINTS = 600


@dataclass(frozen=True)
class LatencySplit:
    """Latencies (ms) of successful requests of one class, split by failure windows."""

    name: str
    normal: np.ndarray
    failover: np.ndarray


def failure_windows(trace: Trace) -> list[tuple[float, float]]:
    """(start, end) of every failure, end = restored, else repaired, else the run's end."""
    out = []
    for rec in trace.failovers:
        end = rec.restored_at_s or rec.repaired_at_s or trace.duration
        out.append((float(rec.failed_at_s), float(end)))
    return out


def in_windows(t: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """Boolean mask of ``t`` inside any window.

    >>> in_windows(np.array([1.0, 5.0, 9.0]), [(4.0, 6.0)]).tolist()
    [False, True, False]
    """
    mask = np.zeros(len(t), dtype=bool)
    for start, end in windows:
        mask |= (t >= start) & (t < end)
    return mask


def latency_split(trace: Trace) -> list[LatencySplit]:
    """Per packet class (bulk classes have no per-request latency), see the module doc."""
    req = request_table(trace)
    during = in_windows(req.t_send, failure_windows(trace))
    out = []
    for ci, name in enumerate(trace.classes):
        mask = (req.cls == ci) & req.ok
        if not mask.any():
            continue
        lat = req.latency * 1e3
        out.append(LatencySplit(name, np.sort(lat[mask & ~during]), np.sort(lat[mask & during])))
    return out


def slo_targets(summary: Summary) -> dict[str, tuple[float, float]]:
    """class -> (quantile, target ms) of the latency SLOs of a summary."""
    return {
        s.traffic_class or "": (float(s.quantile or 0.95), float(s.target or 0.0))
        for s in summary.slos
        if s.metric == "latency"
    }


def _cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most CDF_POINTS points of the empirical CDF (quantiles on an even grid)."""
    if len(values) <= CDF_POINTS:
        return values, np.arange(1, len(values) + 1) / len(values)
    p = np.linspace(0.0, 1.0, CDF_POINTS)
    return np.quantile(values, p), p


def plot_latency_cdfs(
    trace: Trace, slos: Mapping[str, tuple[float, float]] | None = None, title: str | None = None
) -> Figure:
    """One panel per class; the SLO's target as a vertical line and its quantile as a
    horizontal one, so the SLO holds where the curve crosses the quantile left of the line."""
    splits = latency_split(trace)
    slos = slos or {}
    cols = min(3, max(len(splits), 1))
    rows = max(1, -(-len(splits) // cols))
    fig = new_figure(3.6 * cols + 0.6, 3.0 * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, split in zip(axes, splits, strict=False):
        for values, label, colour in (
            (split.normal, "normal", SIM_COLOUR),
            (split.failover, "during failover", BAD_COLOUR),
        ):
            if len(values):
                x, y = _cdf(values)
                ax.step(
                    x,
                    y,
                    where="post",
                    color=colour,
                    gid=f"cdf:{split.name}:{label}",
                    label=f"{label} (n={len(values)}, P95 {np.quantile(values, 0.95):.1f} ms)",
                )
        if split.name in slos:
            q, target = slos[split.name]
            ax.axvline(
                target,
                color=OK_COLOUR,
                ls="--",
                lw=1,
                gid=f"slo:{split.name}",
                label=f"SLO: P{q * 100:g} ≤ {target:g} ms",
            )
            ax.axhline(q, color="#999999", ls=":", lw=0.8)
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis)
        ax.set_ylim(0, 1.01)
        ax.set_title(split.name, fontsize=9)
        ax.set_xlabel("latency (ms, log)", fontsize=8)
        ax.set_ylabel("fraction of requests", fontsize=8)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=6.5, loc="lower right")
    for ax in axes[len(splits) :]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


__all__ = [
    "LatencySplit",
    "failure_windows",
    "in_windows",
    "latency_split",
    "plot_latency_cdfs",
    "slo_targets",
]

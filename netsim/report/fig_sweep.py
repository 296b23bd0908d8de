"""Sweep sensitivity: each SLO metric against each swept parameter (``netsim sweep``).

One panel per (SLO, parameter): the mean over replications (and over the other
parameters) at each value, the range as error bars, the SLO's unit on the y axis and its
target as a dashed line, so a reader sees at which value the SLO stops holding.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.slos import UNIT_SCALE
from netsim.report.style import BAD_COLOUR, new_figure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from netsim.model.scenario import Slo
    from netsim.sweep import Row

#: The unit each SLO metric is reported in (``summary.json``).
UNITS = {"latency": "ms", "failover_gap": "s", "success_ratio": "", "throughput": "Mbps"}


def metric_names(rows: list[Row], keys: list[str]) -> list[str]:
    fixed = {"point", "replication", "seed", "pass", "verdict", *keys}
    return [k for k in rows[0] if k not in fixed and ":" not in k] if rows else []


def _target(slo: Slo) -> float | None:
    unit = UNITS.get(slo.metric, "")
    bound = slo.max if slo.max is not None else slo.min
    return None if bound is None else bound * UNIT_SCALE.get(unit, 1.0)


def plot_sensitivity(
    rows: list[Row], grid: list[tuple[str, list[str]]], slos: Sequence[Slo] = ()
) -> Figure:
    """See the module docstring. Returns the Figure."""
    keys = [k for k, _ in grid]
    metrics = metric_names(rows, keys) or ["pass"]
    by_name = {s.name: s for s in slos}
    fig = new_figure(4.2 * len(grid), 2.9 * len(metrics))
    axes = fig.subplots(len(metrics), len(grid), squeeze=False)
    for i, metric in enumerate(metrics):
        slo = by_name.get(metric)
        unit = UNITS.get(slo.metric, "") if slo is not None else ""
        for j, (key, values) in enumerate(grid):
            ax = axes[i][j]
            means, lows, highs = [], [], []
            for v in values:
                ys = [float(y) for r in rows if r[key] == v and (y := r[metric]) is not None]
                means.append(float(np.mean(ys)) if ys else math.nan)
                lows.append(min(ys) if ys else math.nan)
                highs.append(max(ys) if ys else math.nan)
            x = np.arange(len(values))
            m = np.asarray(means)
            ax.errorbar(
                x,
                m,
                yerr=[m - np.asarray(lows), np.asarray(highs) - m],
                marker="o",
                capsize=3,
                gid=f"sweep:{metric}:{key}",
            )
            if slo is not None and (target := _target(slo)) is not None:
                ax.axhline(
                    target,
                    color=BAD_COLOUR,
                    ls="--",
                    lw=1,
                    label=f"target {'≤' if slo.max is not None else '≥'} {target:g} {unit}",
                )
                ax.legend(fontsize=7)
            ax.set_xticks(x, values, rotation=20, fontsize=8)
            ax.set_xlabel(key, fontsize=8)
            ax.set_ylabel(f"{metric} ({unit})" if unit else metric, fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
            ax.grid(True, alpha=0.25)
    return fig

"""Sweep sensitivity: each SLO metric against each swept parameter (``netsim sweep``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from netsim.sweep import Row


def metric_names(rows: list[Row], keys: list[str]) -> list[str]:
    fixed = {"point", "replication", "seed", "pass", *keys}
    return [k for k in rows[0] if k not in fixed and not k.endswith(":pass")] if rows else []


def plot_sensitivity(rows: list[Row], grid: list[tuple[str, list[str]]]) -> Any:
    """One panel per (SLO metric, parameter): mean over replications and the other
    parameters at each value, with the min-max range as error bars. Returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k, _ in grid]
    metrics = metric_names(rows, keys) or ["pass"]
    fig, axes = plt.subplots(
        len(metrics), len(grid), squeeze=False, figsize=(4 * len(grid), 2.8 * len(metrics))
    )
    for i, metric in enumerate(metrics):
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
                x, m, yerr=[m - np.asarray(lows), np.asarray(highs) - m], marker="o", capsize=3
            )
            ax.set_xticks(x, values, rotation=20, fontsize=8)
            ax.set_xlabel(key, fontsize=8)
            ax.set_ylabel(metric, fontsize=8)
    fig.tight_layout()
    return fig

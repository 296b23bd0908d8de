"""The sensitivity (tornado) figure: what each assumption moves, and which verdicts flip.

One panel per finding that some assumption moves, with that finding's headline figure on
the x axis (its unit), one bar per assumption group from the figure at half its value to
the figure at double its value, the figure as computed (solid line) and the finding's
threshold (dashed). A bar is red when the verdict at one end differs from the verdict as
computed: the conclusion rests on that assumption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.report.sensitivity import RANGE
from netsim.report.style import BAD_COLOUR, new_figure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from netsim.report.sensitivity import Effect, Sensitivity

STEADY = "#8fa9c7"
MAX_LABEL = 44  # characters of a group's label on the y axis


def tornado_data(items: Sequence[Sensitivity]) -> dict[str, list[tuple[str, Effect]]]:
    """Per finding: (group label, effect), largest swing first."""
    out: dict[str, list[tuple[str, Effect]]] = {}
    for s in items:
        for e in s.effects:
            if e.low is None or e.high is None or e.base is None:
                continue
            out.setdefault(e.finding, []).append((s.group.label, e))
    for rows in out.values():
        rows.sort(key=lambda x: -abs((x[1].high or 0.0) - (x[1].low or 0.0)))
    return out


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def plot_tornado(items: Sequence[Sensitivity]) -> Figure:
    """See the module docstring."""
    data = tornado_data(items)
    panels = list(data)
    heights = [max(len(data[k]), 1) for k in panels] or [1]
    fig = new_figure(10.5, 1.0 + 0.38 * sum(heights) + 0.55 * len(heights))
    if not panels:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no assumption moves any finding", ha="center", va="center")
        ax.axis("off")
        return fig
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    lo_f, hi_f = RANGE
    for ax, key in zip(axes[:, 0], panels, strict=True):
        rows = data[key]
        y = np.arange(len(rows))[::-1]
        first = rows[0][1]
        for yi, (label, e) in zip(y, rows, strict=True):
            low, high = float(e.low or 0.0), float(e.high or 0.0)
            colour = BAD_COLOUR if e.flips else STEADY
            ax.barh(
                yi, high - low, left=low, height=0.55, color=colour, gid=f"tornado:{key}:{label}"
            )
            ax.text(low, yi, f"×{lo_f:g} ", ha="right", va="center", fontsize=6.5)
            ax.text(high, yi, f" ×{hi_f:g}", ha="left", va="center", fontsize=6.5)
        ax.axvline(float(first.base or 0.0), color="black", lw=1, label="as computed")
        if first.limit is not None:
            ax.axvline(float(first.limit), color=BAD_COLOUR, ls="--", lw=1, label="threshold")
        ax.set_yticks(y, [_short(label) for label, _ in rows], fontsize=7)
        values = [v for _, e in rows for v in (e.low, e.high, e.base, e.limit) if v is not None]
        span = max(values) - min(values) or abs(max(values)) or 1.0
        ax.set_xlim(min(values) - 0.15 * span, max(values) + 0.15 * span)
        ax.set_xlabel(f"{key}: {first.unit}", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", alpha=0.25)
        ax.legend(fontsize=6.5, loc="lower right")
    fig.suptitle(
        f"What each assumption moves (×{lo_f:g} to ×{hi_f:g}); red: a verdict flips",
        fontsize=10,
    )
    return fig


__all__ = ["plot_tornado", "tornado_data"]

"""Cost: the design's monthly bill against internet egress, and the break-even volume.

Left, the design's monthly cost at the simulated load (fixed charges by kind, then per-GB
charges) beside what the same load would cost as internet egress at the ADR's two prices,
with the ADR's own claims ($15K interconnect, $40K egress) as hollow markers when the design
is ADR-003's. Right, cost
against monthly volume: where the design's line crosses the egress lines is the break-even.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.report.style import KIND_COLOURS, ROLE_COLOURS, new_figure, plain_log_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from netsim.report.adr import AdrClaims
    from netsim.report.costing import CostModel

FIXED_COLOURS = {**{k: v for k, v in ROLE_COLOURS.items() if k}, **KIND_COLOURS}


def plot_cost(model: CostModel, claims: AdrClaims | None = None) -> Figure:
    """See the module docstring; ``claims``: the ADR's, drawn when the design is ADR-003."""
    fig = new_figure(10.0, 4.6)
    ax_b, ax_v = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    lo, hi = model.egress_prices
    bottom = 0.0
    by_kind: dict[str, float] = {}
    for name, usd in model.fixed.items():
        kind = model.kinds.get(name, "other")
        by_kind[kind] = by_kind.get(kind, 0.0) + usd
    for kind, usd in sorted(by_kind.items()):
        ax_b.bar(
            0,
            usd / 1e3,
            bottom=bottom / 1e3,
            color=FIXED_COLOURS.get(kind, "#888888"),
            label=f"{kind} fixed",
            gid=f"cost:fixed:{kind}",
        )
        bottom += usd
    ax_b.bar(
        0,
        model.per_gb_total / 1e3,
        bottom=bottom / 1e3,
        color="#f4a261",
        label="per-GB charges",
        gid="cost:per_gb",
    )
    ax_b.annotate(
        f"${model.total / 1e3:,.1f}K", (0, model.total / 1e3), ha="center", va="bottom", fontsize=8
    )
    for i, price in ((1, lo), (2, hi)):
        usd = model.egress_cost(price)
        ax_b.bar(i, usd / 1e3, color="#9e9e9e", gid=f"cost:egress:{price:g}")
        ax_b.annotate(f"${usd / 1e3:,.2f}K", (i, usd / 1e3), ha="center", va="bottom", fontsize=8)
    if claims is not None:
        ax_b.scatter(
            [0, 1, 2],
            [claims.interconnect_monthly_usd / 1e3, *[claims.egress_monthly_usd / 1e3] * 2],
            marker="D",
            facecolors="none",
            edgecolors="black",
            s=50,
            zorder=4,
            label="ADR claim",
        )
    ax_b.set_xticks(
        [0, 1, 2],
        [f"{model.design}\n(declared load)", f"egress\n${lo:g}/GB", f"egress\n${hi:g}/GB"],
        fontsize=7.5,
    )
    ax_b.set_ylabel("USD per month (thousands)", fontsize=8)
    ax_b.set_title(f"Monthly cost at {model.load_gb_month / 1e3:.3g} TB/month", fontsize=9)
    ax_b.legend(fontsize=6.5, loc="center right")
    ax_b.tick_params(labelsize=7)
    volumes = np.logspace(0, 3.3, 200) * 1e3  # 1 TB .. 2 PB per month, in GB
    ax_v.plot(
        volumes / 1e3,
        (model.fixed_total + model.effective_per_gb * volumes) / 1e3,
        color=KIND_COLOURS["interconnect"],
        lw=2,
        label=model.design,
        gid="cost:design",
    )
    for price, style in ((lo, "--"), (hi, ":")):
        be = model.break_even_gb(price)
        where = f", break-even {be / 1e3:,.0f} TB" if be is not None else ", never breaks even"
        ax_v.plot(
            volumes / 1e3,
            price * volumes / 1e3,
            color="#555555",
            ls=style,
            label=f"internet egress ${price:g}/GB{where}",
            gid=f"cost:line:{price:g}",
        )
        if be is not None:
            ax_v.scatter([be / 1e3], [price * be / 1e3], color="#c62828", zorder=4, s=25)
    ax_v.axvline(
        model.load_gb_month / 1e3,
        color="#2a9d8f",
        lw=1,
        label=f"declared load {model.load_gb_month / 1e3:.3g} TB",
    )
    if claims is not None:
        ax_v.axhline(
            claims.egress_monthly_usd / 1e3,
            color="black",
            lw=0.6,
            ls="-.",
            label=f"ADR's egress claim ${claims.egress_monthly_usd / 1e3:g}K",
        )
    ax_v.set_xscale("log")
    ax_v.set_yscale("log")
    plain_log_ticks(ax_v.xaxis)
    plain_log_ticks(ax_v.yaxis)
    ax_v.set_xlabel("inter-cloud volume (TB per month, log)", fontsize=8)
    ax_v.set_ylabel("USD per month (thousands, log)", fontsize=8)
    ax_v.legend(fontsize=6.5, loc="upper left")
    ax_v.grid(True, which="both", alpha=0.25)
    ax_v.tick_params(which="both", labelsize=7)
    return fig


__all__ = ["plot_cost"]

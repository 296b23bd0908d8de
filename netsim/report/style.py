"""Figure conventions shared by every plot: a fresh Agg-backed Figure, colours, labels.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so no
global state is touched: every function returns its own Figure, usable from a notebook or
saved by :mod:`netsim.report.render`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

if TYPE_CHECKING:
    from matplotlib.axis import Axis

KIND_COLOURS = {"interconnect": "#1f5fa8", "vpn": "#d9822b", "internet": "#7a7a7a"}
ROLE_COLOURS = {
    "cloud": "#2a9d8f",
    "exchange": "#6a4c93",
    "internet": "#9e9e9e",
    "router": "#577590",
    None: "#577590",
}
SPOF_COLOUR = "#c62828"
OK_COLOUR, BAD_COLOUR = "#2e7d32", "#c62828"
SIM_COLOUR, LAB_COLOUR = "#1f5fa8", "#e07a1f"
MARK_STYLES = {
    "failure": ("#c62828", "-"),
    "detected": ("#6a4c93", "--"),
    "switched": ("#2e7d32", "--"),
    "repaired": ("#7a7a7a", ":"),
    "restored": ("#1f5fa8", ":"),
}


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A Figure with its own Agg canvas (savefig works without pyplot)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def fmt_bps(bps: float) -> str:
    """A bit rate with an SI unit.

    >>> fmt_bps(1.25e9), fmt_bps(3.1e7)
    ('1.25 Gbit/s', '31 Mbit/s')
    """
    for scale, unit in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")):
        if abs(bps) >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bit/s"


def fmt_usd(usd: float) -> str:
    """Whole US dollars.

    >>> fmt_usd(11061.0), fmt_usd(819.4)
    ('$11,061', '$819')
    """
    return f"${usd:,.0f}"


def path_label(path: tuple[str, ...] | list[str]) -> str:
    return " › ".join(path) if path else "no route"


def plain_number(value: float, _: object = None) -> str:
    """A tick label as a plain number: 0.05, 2, 50, 2000 (never 5×10¹).

    >>> plain_number(0.05), plain_number(2.0), plain_number(2000.0)
    ('0.05', '2', '2000')
    """
    return f"{value:g}" if value < 1e6 else f"{value:.0e}"  # noqa: PLR2004


def plain_log_ticks(axis: Axis) -> None:
    """Labels at 1, 2 and 5 of every decade, as plain numbers (20, 50, 100, 200), so a
    log axis that spans one or two decades still has several readable labels."""
    axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(2, 10))))
    axis.set_minor_formatter(NullFormatter())

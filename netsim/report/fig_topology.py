"""The topology drawing: roles, capacities, preferences, single points of failure in red.

Clouds sit on a circle, exchanges in the middle, the internet below. Interconnects are solid
blue, VPN tunnels dashed orange, internet links grey (dotted when they are only the VPN
underlay). A red halo marks what :mod:`netsim.analysis.graph` finds: bridges and
articulation points of the primary layer, and components whose failure alone cuts a pair of
clouds apart even with every fallback. Every artist has a ``gid`` (``node:<name>``,
``link:<name>``, ``spof:<name>``, ``label:<node>``, ``linklabel:<link>``) so tests and
notebooks can find what was drawn. Positions and curves come from
:mod:`netsim.report.topo_layout`.

No two labels overlap, at any size (:mod:`netsim.report.label_place` measures each one as
rendered): node names first, inside the marker when they fit, else beside it, always drawn;
then each link's label, primary links before tunnels, along or just beside its line, its
name dropped before its numbers; a label with no clear spot is left off, a kind of link
with fewer than half its labels placed gets none (and fainter lines), and a note under the
legend says what was left off. The legend sits in its own strip below the drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.transforms import Bbox

from netsim.analysis.graph import cloud_pairs, graph_spofs, pair_spofs
from netsim.model.topology import LinkKind, Role
from netsim.report.label_place import Placer, Spot
from netsim.report.style import KIND_COLOURS, ROLE_COLOURS, SPOF_COLOUR, fmt_bps, new_figure
from netsim.report.topo_layout import (
    HUB_CLEARANCE,
    bow_away,
    curve,
    distance_to_centre,
    layout,
    point_at,
    preferred_t,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from netsim.model.topology import Link, Node, Topology


def spof_names(topology: Topology) -> dict[str, str]:
    """Everything to halo in red, with the reason (for the legend and the findings)."""
    out: dict[str, str] = {}
    primary = graph_spofs(topology, "primary")
    for name in primary.articulation_points:
        out[name] = "articulation point of the primary layer"
    for name in primary.bridges:
        out[name] = "bridge of the primary layer"
    for a, b in cloud_pairs(topology):
        for c in pair_spofs(topology, a, b):
            out.setdefault(c.name, f"its failure alone cuts {a}-{b} (all fallbacks included)")
    return out


#: Where else along a link its label may go, tried in turn, when the preferred point is taken.
LABEL_T_STEPS = (0.0, -0.1, 0.1, -0.2, 0.2, -0.3, 0.3)
#: Marker area (points²) of a node in a drawing of up to this many clouds; more shrink it.
NODE_AREA, NODE_AREA_CLOUDS = 1300.0, 8
#: Pixels kept free around every label: its white rounded background reaches this far.
LABEL_PAD = 4.0
#: Points between a node's marker and its label: the marker's margin (2) and LABEL_PAD, just.
NODE_GAP = 5.5
#: The bottom strip (figure fraction) kept for the legend and the note under it.
FOOT = 0.09


@dataclass(frozen=True, slots=True)
class _LinkLabel:
    """A link whose label is still to be placed, with the curve it was drawn on."""

    link: Link
    p0: np.ndarray
    p2: np.ndarray
    rad: float


def plot_topology(topology: Topology, title: str | None = None) -> Figure:
    """Draw ``topology``; see the module docstring."""
    pos = layout(topology)
    clouds = sum(1 for n in topology.nodes if n.role is Role.CLOUD)
    # A bigger drawing for many clouds, so their names still fit around the circle.
    scale = min(1.6, max(1.0, math.sqrt(clouds / NODE_AREA_CLOUDS)))
    area = NODE_AREA * min(1.0, NODE_AREA_CLOUDS / max(clouds, 1)) ** 0.5 * scale
    fig = new_figure(7.5 * scale, 6.2 * scale)
    # A fixed layout: labels are placed in pixels, which a later layout pass would move.
    fig.set_layout_engine("none")
    ax = fig.add_axes((0.02, FOOT + 0.01, 0.96, 0.92 - FOOT))
    spofs = spof_names(topology)
    labels = _draw_links(ax, topology, pos, spofs)
    for node in topology.nodes:
        x, y = pos[node.name]
        role = node.role.value if node.role else None
        if node.name in spofs:
            ax.scatter(
                [x],
                [y],
                s=area * 1.77,
                color=SPOF_COLOUR,
                alpha=0.35,
                zorder=3,
                gid=f"spof:{node.name}",
            )
        ax.scatter(
            [x],
            [y],
            s=area,
            color=ROLE_COLOURS[role],
            zorder=3,
            gid=f"node:{node.name}",
            edgecolors="white",
            linewidths=1.5,
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
    ax.set_ylim(min(ys) - 0.3, max(ys) + 0.35)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"{topology.name}: {topology.description}", fontsize=9)
    _legend(fig, bool(spofs))
    fig.canvas.draw()  # the axes' final box: from here on data maps to fixed pixels
    placer = _placer(fig, ax)
    radius: dict[str, float] = {}
    for node in topology.nodes:
        halo = area * 1.77 if node.name in spofs else area
        radius[node.name] = math.sqrt(halo) / 2
        centre = ax.transData.transform(pos[node.name])
        # The marker itself is kept clear; a label may cover the edge of a red halo.
        r_px = (math.sqrt(area) / 2 + 2) * fig.dpi / 72
        placer.block(Bbox.from_extents(*(centre - r_px), *(centre + r_px)))
    for node in topology.nodes:
        _node_label(
            ax, placer, node, pos[node.name], radius=radius[node.name], diameter=math.sqrt(area)
        )
    left_off = _link_labels(ax, placer, labels)
    if left_off:
        _note(fig, left_off)
    return fig


def _draw_links(
    ax: Axes, topology: Topology, pos: dict[str, tuple[float, float]], spofs: dict[str, str]
) -> list[_LinkLabel]:
    """Every link's curve (and halo); the labels to place, the primary links' first."""
    underlay = topology.underlay_links
    seen: dict[frozenset[str], int] = {}
    primary: list[_LinkLabel] = []
    tunnels: list[_LinkLabel] = []
    for link in topology.links:
        pair = frozenset(link.endpoints)
        k = seen.get(pair, 0)
        seen[pair] = k + 1
        p0, p2 = np.array(pos[link.endpoints[0]]), np.array(pos[link.endpoints[1]])
        is_underlay = link.name in underlay
        rad = 0.0 if k == 0 else bow_away(p0, p2, 0.12 * k)
        if link.kind is LinkKind.VPN:
            rad = bow_away(p0, p2, 0.12 + 0.2 * k)  # tunnels bow outwards, clear of the spokes
        elif is_underlay and distance_to_centre(p0, p2) < HUB_CLEARANCE:
            rad = 0.32  # around the hub, not through it
        path, _ = curve(p0, p2, rad)
        style = ":" if is_underlay else ("--" if link.kind is LinkKind.VPN else "-")
        width = 1.0 if is_underlay else 1.2 + 2.6 * min(link.capacity / 10e9, 1.0)
        if link.name in spofs:
            ax.add_patch(
                PathPatch(
                    path,
                    fill=False,
                    lw=width + 6,
                    color=SPOF_COLOUR,
                    alpha=0.35,
                    gid=f"spof:{link.name}",
                    zorder=1,
                )
            )
        ax.add_patch(
            PathPatch(
                path,
                fill=False,
                lw=width,
                ls=style,
                color=KIND_COLOURS[link.kind.value],
                gid=f"link:{link.name}",
                zorder=2,
            )
        )
        if not is_underlay:
            (tunnels if link.kind is LinkKind.VPN else primary).append(
                _LinkLabel(link, p0, p2, rad)
            )
    return primary + tunnels


def _legend(fig: Figure, spofs: bool) -> None:
    """The line styles, in one row along the bottom, clear of the drawing."""
    handles = [
        Line2D([], [], color=KIND_COLOURS["interconnect"], lw=3, label="interconnect"),
        Line2D([], [], color=KIND_COLOURS["vpn"], lw=2, ls="--", label="VPN tunnel"),
        Line2D([], [], color=KIND_COLOURS["internet"], lw=1, ls=":", label="internet (underlay)"),
    ]
    if spofs:
        handles.append(
            Line2D([], [], color=SPOF_COLOUR, lw=8, alpha=0.35, label="single point of failure")
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.025),
        ncol=len(handles),
        fontsize=7,
        frameon=False,
    )


def _placer(fig: Figure, ax: Axes) -> Placer:
    """A placer for this figure: the title and the bottom strip are taken."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    placer = Placer(renderer, fig.bbox, pad=LABEL_PAD)
    placer.block(ax.title.get_window_extent(renderer))
    placer.block(Bbox.from_extents(0, 0, fig.bbox.width, fig.bbox.height * FOOT))
    return placer


def _node_label(
    ax: Axes,
    placer: Placer,
    node: Node,
    xy: tuple[float, float],
    *,
    radius: float,
    diameter: float,
) -> None:
    """A node's name inside its marker when it fits, else beside it; then provider/region.

    Beside means the first clear spot round the node, starting away from the centre of the
    drawing (where the links and their labels are); the name is always drawn.
    """
    # What the name already says is not repeated: aws-us-east-1 needs no "aws · us-east-1".
    sub = " · ".join(x for x in (node.provider, node.region) if x and x not in node.name)
    inside = ax.annotate(
        node.name,
        xy,
        ha="center",
        va="center",
        fontsize=7.5,
        color="white",
        weight="bold",
        zorder=5,
        gid=f"label:{node.name}",
    )
    box = inside.get_window_extent(placer.renderer)
    if box.width <= (diameter - 6) * ax.figure.dpi / 72:
        placer.block(box)
        text, weight = sub, "normal"
    else:
        inside.remove()
        text, weight = node.name + (f"\n{sub}" if sub else ""), "bold"
    if not text:
        return
    x, y = xy
    outward = math.atan2(y, x) if math.hypot(x, y) > 0.5 else -math.pi / 2  # noqa: PLR2004
    spots = [
        _beside(text, xy, outward + turn, radius + gap)
        for gap in (NODE_GAP, NODE_GAP + 9.0)
        for turn in (0, 0.4, -0.4, 0.8, -0.8, 1.6, -1.6, 2.4, -2.4, math.pi)
    ]
    placer.place(
        ax,
        spots,
        force=True,
        fontsize=7,
        color="#333333",
        weight=weight,
        zorder=5,
        gid=f"label:{node.name}" if weight == "bold" else f"sub:{node.name}",
        linespacing=1.1,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def _beside(text: str, xy: tuple[float, float], angle: float, distance: float) -> Spot:
    """A spot ``distance`` points from ``xy`` at ``angle``, aligned to lean away from it."""
    c, s = math.cos(angle), math.sin(angle)
    ha = "left" if c > 0.35 else "right" if c < -0.35 else "center"  # noqa: PLR2004
    va = "bottom" if s > 0.35 else "top" if s < -0.35 else "center"  # noqa: PLR2004
    return Spot(text, xy, (distance * c, distance * s), ha, va)


#: At most this many links of a kind left unlabelled are named in the figure's note.
NAMED_LEFT_OFF = 3


def _note(fig: Figure, left_off: list[tuple[str, str]]) -> None:
    """One line under the legend saying which labels were left off: the links named, kind
    by kind in drawing order (interconnects first), as far as the line fits the figure's
    width; the other kinds only counted."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for named in range(len(left_off), -1, -1):
        items = [item[1] if i < named else item[0] for i, item in enumerate(left_off)]
        note = fig.text(
            0.01,
            0.005,
            f"Labels left off where they would overlap: {'; '.join(items)}. "
            "The links table lists every link.",
            fontsize=7,
            color="#555555",
            ha="left",
            va="bottom",
        )
        if named == 0 or note.get_window_extent(renderer).x1 <= fig.bbox.x1:
            return
        note.remove()


def _link_labels(ax: Axes, placer: Placer, labels: list[_LinkLabel]) -> list[tuple[str, str]]:
    """Place the labels of each kind of link in turn; say which were left off (each kind
    counted, and counted with the links named when they are few).

    When fewer than half of a kind's labels fit, none of that kind is drawn (and its lines
    are drawn faint): a few labels scattered over a dense mesh read as noise, and the links
    table has them all.
    """
    left_off: list[tuple[str, str]] = []
    for kind in dict.fromkeys(label.link.kind for label in labels):
        group = [label for label in labels if label.link.kind is kind]
        mark = placer.mark()
        drawn = [(label, _link_label(ax, placer, label)) for label in group]
        texts = [t for _, t in drawn if t]
        missing = [label.link.name for label, t in drawn if t is None]
        what = "VPN tunnels" if kind is LinkKind.VPN else f"{kind.value} links"
        if len(texts) * 2 < len(group):
            for text in texts:
                text.remove()
            placer.release(mark)
            left_off.append((f"all {len(group)} {what}",) * 2)
            # Too many to label is too many to read: these lines become the background.
            names = {f"link:{label.link.name}" for label in group}
            for patch in ax.patches:
                if patch.get_gid() in names:
                    patch.set_alpha(0.3)
                    patch.set_linewidth(0.8)
        elif missing:
            # a few are named, so a reader knows which line has no label
            count = f"{len(missing)} of {len(group)} {what}"
            named = f" ({', '.join(missing)})" if len(missing) <= NAMED_LEFT_OFF else ""
            left_off.append((count, count + named))
    return left_off


def _link_label(ax: Axes, placer: Placer, label: _LinkLabel) -> Text | None:
    """Capacity and preference (with the name when there is room) on the link; or nothing.

    The full label is tried at each point along the link before the short one (and that
    before the same numbers on two lines), so a link loses its name before its numbers.
    """
    link = label.link
    numbers = f"{fmt_bps(link.capacity)} · pref {link.preference}"
    base = preferred_t(label.p0, label.p2)
    points = [point_at(label.p0, label.p2, label.rad, base + dt) for dt in LABEL_T_STEPS]
    spots = [
        spot
        for text in (f"{link.name}\n{numbers}", numbers, numbers.replace(" · ", "\n"))
        for xy in points
        for spot in _along(text, xy, label.p2 - label.p0)
    ]
    return placer.place(
        ax,
        spots,
        fontsize=7,
        zorder=4,
        gid=f"linklabel:{link.name}",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def _along(text: str, xy: tuple[float, float], direction: np.ndarray) -> list[Spot]:
    """On the link at ``xy``, then just beside it on either side."""
    normal = math.atan2(direction[0], -direction[1])  # perpendicular to the link
    return [
        Spot(text, xy),
        _beside(text, xy, normal, 3.0),
        _beside(text, xy, normal + math.pi, 3.0),
    ]


__all__ = ["layout", "plot_topology", "spof_names"]

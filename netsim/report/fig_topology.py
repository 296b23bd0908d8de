"""The topology drawing: roles, capacities, preferences, single points of failure in red.

Clouds sit on a circle, exchanges in the middle, the internet below. Interconnects are solid
blue, VPN tunnels dashed orange, internet links grey (dotted when they are only the VPN
underlay). A red halo marks what :mod:`netsim.analysis.graph` finds: bridges and
articulation points of the primary layer, and components whose failure alone cuts a pair of
clouds apart even with every fallback. Every artist has a ``gid`` (``node:<name>``,
``link:<name>``, ``spof:<name>``) so tests and notebooks can find what was drawn.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from netsim.analysis.graph import cloud_pairs, graph_spofs, pair_spofs
from netsim.model.topology import LinkKind, Role, Topology
from netsim.report.style import KIND_COLOURS, ROLE_COLOURS, SPOF_COLOUR, fmt_bps, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Layout units (clouds on the unit circle, exchanges and routers at 0.35): an underlay link
# that passes closer than this to the centre, where the hub is, is bowed around it.
HUB_CLEARANCE = 0.3


def layout(topology: Topology) -> dict[str, tuple[float, float]]:
    """Positions: clouds on a circle, exchanges/routers inside, the internet below."""
    clouds = [n.name for n in topology.nodes if n.role is Role.CLOUD]
    inner = [
        n.name
        for n in topology.nodes
        if n.role in (Role.EXCHANGE, Role.ROUTER, None) and n.name not in clouds
    ]
    internet = [n.name for n in topology.nodes if n.role is Role.INTERNET]
    pos: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(clouds):
        angle = math.pi / 2 + 2 * math.pi * i / max(len(clouds), 1)
        pos[name] = (math.cos(angle), math.sin(angle))
    for i, name in enumerate(inner):
        if len(inner) == 1:
            pos[name] = (0.0, 0.0)
        else:
            angle = math.pi / 2 + 2 * math.pi * i / len(inner) + math.pi / len(inner)
            pos[name] = (0.35 * math.cos(angle), 0.35 * math.sin(angle))
    routed = {end for link in topology.routed_links for end in link.endpoints}
    for i, name in enumerate(internet):
        # The internet is the hub when it routes and nothing else is; else below the clouds.
        hub = not inner and name in routed
        pos[name] = (0.0, 0.0) if hub else (0.6 * i, -1.45)
    return pos


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


def _away(p0: np.ndarray, p2: np.ndarray, magnitude: float) -> float:
    """A curvature that bows the segment p0-p2 away from the origin (the drawing's centre)."""
    d = p2 - p0
    perp = np.array([-d[1], d[0]])
    side = float(np.dot(perp, -(p0 + p2) / 2))
    return -magnitude if side > 0 else magnitude


def _distance_to_centre(p0: np.ndarray, p2: np.ndarray) -> float:
    d = p2 - p0
    t = float(np.clip(np.dot(-p0, d) / max(float(np.dot(d, d)), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p0 + t * d))


def _curve(p0: np.ndarray, p2: np.ndarray, rad: float) -> tuple[MplPath, np.ndarray]:
    d = p2 - p0
    perp = np.array([-d[1], d[0]])
    ctrl = (p0 + p2) / 2 + rad * perp
    path = MplPath(
        [tuple(p0), tuple(ctrl), tuple(p2)], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3]
    )
    return path, 0.25 * p0 + 0.5 * ctrl + 0.25 * p2


#: Links from an inner node (the hub) carry their label this far towards the outer end,
#: clear of the hub's own label and of the other spokes' labels.
SPOKE_LABEL_T = 0.58


def _label_at(p0: np.ndarray, p2: np.ndarray, rad: float) -> tuple[float, float]:
    """Where a link's label goes: the middle, or along a spoke towards its outer end."""
    d = p2 - p0
    ctrl = (p0 + p2) / 2 + rad * np.array([-d[1], d[0]])
    inner0, inner2 = float(np.linalg.norm(p0)), float(np.linalg.norm(p2))
    t = 0.5
    if min(inner0, inner2) < HUB_CLEARANCE + 0.1 < max(inner0, inner2):
        t = SPOKE_LABEL_T if inner0 < inner2 else 1.0 - SPOKE_LABEL_T
    point = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p2
    return float(point[0]), float(point[1])


def plot_topology(topology: Topology, title: str | None = None) -> Figure:
    """Draw ``topology``; see the module docstring."""
    fig = new_figure(7.5, 6.2)
    ax = fig.add_subplot()
    pos = layout(topology)
    spofs = spof_names(topology)
    underlay = topology.underlay_links
    seen: dict[frozenset[str], int] = {}
    for link in topology.links:
        pair = frozenset(link.endpoints)
        k = seen.get(pair, 0)
        seen[pair] = k + 1
        p0, p2 = np.array(pos[link.endpoints[0]]), np.array(pos[link.endpoints[1]])
        is_underlay = link.name in underlay
        rad = 0.0 if k == 0 else _away(p0, p2, 0.12 * k)
        if link.kind is LinkKind.VPN:
            rad = _away(p0, p2, 0.12 + 0.2 * k)  # tunnels bow outwards, clear of the spokes
        elif is_underlay and _distance_to_centre(p0, p2) < HUB_CLEARANCE:
            rad = 0.32  # around the hub, not through it
        path, _ = _curve(p0, p2, rad)
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
            ax.annotate(
                f"{link.name}\n{fmt_bps(link.capacity)} · pref {link.preference}",
                _label_at(p0, p2, rad),
                ha="center",
                va="center",
                fontsize=7,
                zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    for node in topology.nodes:
        x, y = pos[node.name]
        role = node.role.value if node.role else None
        if node.name in spofs:
            ax.scatter(
                [x], [y], s=2300, color=SPOF_COLOUR, alpha=0.35, zorder=3, gid=f"spof:{node.name}"
            )
        ax.scatter(
            [x],
            [y],
            s=1300,
            color=ROLE_COLOURS[role],
            zorder=3,
            gid=f"node:{node.name}",
            edgecolors="white",
            linewidths=1.5,
        )
        ax.annotate(
            node.name,
            (x, y),
            ha="center",
            va="center",
            fontsize=7.5,
            color="white",
            weight="bold",
            zorder=5,
        )
        sub = " · ".join(x for x in (node.provider, node.region) if x and x != node.name)
        if sub:
            # Outer nodes: radially outwards, clear of their links' labels; inner: below.
            r = math.hypot(x, y)
            sx, sy = (x * (1 + 0.2 / r), y * (1 + 0.2 / r)) if r > 0.5 else (x, y - 0.2)  # noqa: PLR2004
            va = "bottom" if sy > y + 0.1 else "top" if sy < y - 0.1 else "center"
            ha = "right" if sx < x - 0.1 else "left" if sx > x + 0.1 else "center"
            ax.annotate(sub, (sx, sy), ha=ha, va=va, fontsize=7, zorder=5, color="#333333")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
    ax.set_ylim(min(ys) - 0.4, max(ys) + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [
        ax.plot([], [], color=KIND_COLOURS["interconnect"], lw=3, label="interconnect")[0],
        ax.plot([], [], color=KIND_COLOURS["vpn"], lw=2, ls="--", label="VPN tunnel")[0],
        ax.plot([], [], color=KIND_COLOURS["internet"], lw=1, ls=":", label="internet (underlay)")[
            0
        ],
    ]
    if spofs:
        handles.append(
            ax.plot([], [], color=SPOF_COLOUR, lw=8, alpha=0.35, label="single point of failure")[0]
        )
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=False)
    ax.set_title(title or f"{topology.name}: {topology.description}", fontsize=9)
    return fig


__all__ = ["layout", "plot_topology", "spof_names"]

"""Where the topology drawing puts things: node positions and the curves of links.

Clouds sit on the unit circle, exchanges and routers inside it (at 0.35), the internet below;
with several hubs each cloud is turned to face its own. Links are quadratic Bézier curves:
parallel links and tunnels bow away from the centre, underlay links bow around the hub. Pure
geometry in layout units, no matplotlib artists: :mod:`netsim.report.fig_topology` draws.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.path import Path as MplPath

from netsim.model.topology import LinkKind, Role

if TYPE_CHECKING:
    from netsim.model.topology import Topology

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
    inner_angles = [math.pi / 2 + math.pi * (2 * i + 1) / len(inner) for i in range(len(inner))]
    clouds, start = _facing_their_hubs(topology, clouds, inner, inner_angles)
    for i, name in enumerate(clouds):
        angle = start + 2 * math.pi * i / max(len(clouds), 1)
        pos[name] = (math.cos(angle), math.sin(angle))
    for name, angle in zip(inner, inner_angles, strict=True):
        if len(inner) == 1:
            pos[name] = (0.0, 0.0)
        else:
            pos[name] = (0.35 * math.cos(angle), 0.35 * math.sin(angle))
    routed = {end for link in topology.routed_links for end in link.endpoints}
    for i, name in enumerate(internet):
        # The internet is the hub when it routes and nothing else is; else below the clouds.
        hub = not inner and name in routed
        pos[name] = (0.0, 0.0) if hub else (0.6 * i, -1.45)
    return pos


def _facing_their_hubs(
    topology: Topology, clouds: list[str], inner: list[str], inner_angles: list[float]
) -> tuple[list[str], float]:
    """The clouds in circle order, and the first one's angle: each beside its own hub.

    With two or more hubs, clouds taken in file order would put a cloud opposite the hub it
    connects to, and its interconnect would cross the drawing (and every label in the
    middle). So clouds are grouped by the first hub they have a direct link to, in the hubs'
    order, and the circle is turned so the first group faces its hub. With one hub, or
    clouds all on the same one, the order is the file's, the first cloud at the top.
    """
    direct = [link for link in topology.routed_links if link.kind is not LinkKind.VPN]
    home: dict[str, int] = {}
    for link in direct:
        a, b = link.endpoints
        for cloud, other in ((a, b), (b, a)):
            if cloud in clouds and other in inner:
                home.setdefault(cloud, inner.index(other))
    if len(set(home.values())) < 2:  # noqa: PLR2004
        return clouds, math.pi / 2
    ordered = sorted(clouds, key=lambda c: home.get(c, len(inner)))  # stable: file order within
    first = [c for c in ordered if home.get(c) == home[ordered[0]]]
    step = 2 * math.pi / len(clouds)
    return ordered, inner_angles[home[ordered[0]]] - step * (len(first) - 1) / 2


def bow_away(p0: np.ndarray, p2: np.ndarray, magnitude: float) -> float:
    """A curvature that bows the segment p0-p2 away from the origin (the drawing's centre)."""
    d = p2 - p0
    perp = np.array([-d[1], d[0]])
    side = float(np.dot(perp, -(p0 + p2) / 2))
    return -magnitude if side > 0 else magnitude


def distance_to_centre(p0: np.ndarray, p2: np.ndarray) -> float:
    """How close the straight segment p0-p2 passes to the origin."""
    d = p2 - p0
    t = float(np.clip(np.dot(-p0, d) / max(float(np.dot(d, d)), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p0 + t * d))


def curve(p0: np.ndarray, p2: np.ndarray, rad: float) -> tuple[MplPath, np.ndarray]:
    """The link's Bézier path (``rad`` times its length off straight) and its middle."""
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


def preferred_t(p0: np.ndarray, p2: np.ndarray) -> float:
    """Along a spoke towards its outer end, clear of the hub; else the middle."""
    inner0, inner2 = float(np.linalg.norm(p0)), float(np.linalg.norm(p2))
    if min(inner0, inner2) < HUB_CLEARANCE + 0.1 < max(inner0, inner2):
        return SPOKE_LABEL_T if inner0 < inner2 else 1.0 - SPOKE_LABEL_T
    return 0.5


def point_at(p0: np.ndarray, p2: np.ndarray, rad: float, t: float) -> tuple[float, float]:
    """The point at ``t`` along the link's curve (0 at its first end)."""
    d = p2 - p0
    ctrl = (p0 + p2) / 2 + rad * np.array([-d[1], d[0]])
    point = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p2
    return float(point[0]), float(point[1])


__all__ = [
    "HUB_CLEARANCE",
    "SPOKE_LABEL_T",
    "bow_away",
    "curve",
    "distance_to_centre",
    "layout",
    "point_at",
    "preferred_t",
]

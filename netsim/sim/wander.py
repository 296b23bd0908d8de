"""Order-preserving delay per flow on internet paths: the path's delay wanders, it does not
shuffle (issue 11, item 4).

On links that cross the internet (kinds ``vpn`` and ``internet``), drawing a fresh one-way
delay for every packet would let a packet overtake the one sent just before it on the same
connection, which a real path does not do. There, a flow's delay is a smooth random process
instead: the packet that leaves the link's queue at ``t`` flies for

    D(t) = F^-1(Phi(Z(t))),   Z(t) = cos(a) N_k + sin(a) N_(k+1),
    k = floor(t / tau),       a = pi/2 * (t / tau - k),

where ``F`` is the link's ``delay`` distribution and ``N_k`` are standard normals that are
a pure function of (seed, link direction, flow, k) (counter-based draws, so both engines
and every fixed-point round see the same path). Because ``cos(a)^2 + sin(a)^2 = 1``,
``Z(t)`` is standard normal at every moment: each packet's delay still has exactly the
link's declared distribution, but consecutive packets of a flow see nearly the same delay.
Its rate of change is ``Z'(t) = pi/(2 tau) W`` with ``W = -sin(a) N_k + cos(a) N_(k+1)``,
itself standard normal and independent of ``Z(t)`` (a rotation of the two knots). The knot
spacing ``tau`` is the smallest that keeps ``dD/dt > -1`` while ``|Z|`` and ``|W|`` stay
within 6 sigma: a later packet then lands later (it left later, and the delay cannot fall
as fast as time passes), so a flow's packets keep their order (the exception has
probability about 4e-9 per packet). Packets more than ``2 tau`` apart share no knot: their
delays are independent, as per-packet draws were; nothing slower than order requires is assumed.

A flow is one traffic class towards one destination in one direction (requests and
responses are two flows), the connection a mesh keeps between two services. What is not
modelled: flows over the same link wander independently (one router queue would move them
together), and a delay jump (a congestion episode, a reroute) still applies at once.

Examples
--------
>>> from netsim.model.dist import Dist
>>> w = Wander.of(Dist("lognorm", (("s", 0.6), ("loc", 0.014), ("scale", 0.004))), 7, 3)
>>> t = np.linspace(0.0, 600.0, 200001)
>>> d = w.delay(0, np.full(len(t), flow_code(0, 0, 0)), t)
>>> bool(np.all(np.diff(t + d) > 0))  # packets 3 ms apart never overtake one another
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.topology import LinkKind
from netsim.sim.fast.queue import hashed_normal, stream_key, transform

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.topology import Link

ORDERED = (LinkKind.VPN, LinkKind.INTERNET)  # links whose delay keeps a flow's order
MIN_TAU_S = 0.01  # keeps the knot counter below 2**32 for a century of simulated time
SIGMAS = 6.0  # the range of Z and W within which order is guaranteed
# |dD/dt| = |dD/dZ| * pi/(2 tau) * |W| < 1 for |Z|, |W| <= 6 when tau > 3 pi max|dD/dZ|
SLOPE_FACTOR = float(np.pi / 2.0 * SIGMAS)
FLOW_BITS = 32  # a flow's code sits above the knot counter (k < 2**32)


def flow_code(ci: int | np.ndarray, di: int | np.ndarray, leg: int) -> np.ndarray:
    """The flow of class ``ci`` towards its destination ``di``: ``leg`` 0 the requests (or
    datagrams), 1 the responses."""
    return (np.asarray(ci, np.uint64) * np.uint64(1 << 16) + np.asarray(di, np.uint64)) * (
        np.uint64(2)
    ) + np.uint64(leg)


def knot_spacing(dist: Dist) -> float:
    """``tau`` for ``dist`` (see the module doc): ``SLOPE_FACTOR`` times the steepest
    ``dD/dZ`` within 6 sigma (``ppf`` on a fine grid), and at least ``MIN_TAU_S``."""
    z = np.linspace(-SIGMAS, SIGMAS, 1201)
    slope = float(np.max(np.abs(np.diff(transform(dist, z)))) / (z[1] - z[0]))
    return max(MIN_TAU_S, SLOPE_FACTOR * slope)


@dataclass(frozen=True, slots=True)
class Wander:
    """The order-preserving delay of one link: its distribution, knot spacing and keys."""

    dist: Dist
    tau: float
    keys: tuple[int, int]  # per direction
    law: tuple[str, float, float, float]  # (name, loc, scale, s) for the scalar path
    # the exact engine's per-packet path: (direction, flow) -> (k, N_k, N_k+1)
    _knots: dict[tuple[int, int], tuple[int, float, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @staticmethod
    def of(dist: Dist, seed: int, link_index: int) -> Wander:
        keys = (
            stream_key(seed, "wander", link_index, 0),
            stream_key(seed, "wander", link_index, 1),
        )
        p = dict(dist.params)
        law = (dist.name, p.get("loc", 0.0), p.get("scale", 1.0), p.get("s", 0.0))
        return Wander(dist, knot_spacing(dist), keys, law)

    @staticmethod
    def of_link(link: Link, seed: int, link_index: int) -> Wander | None:
        """The link's wander, or None where delay is drawn per packet (other kinds, or a
        constant delay, which keeps order anyway)."""
        if link.kind not in ORDERED or link.delay.is_constant:
            return None
        return Wander.of(link.delay, seed, link_index)

    def normals(self, direction: int, flow: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``Z(t)`` of ``flow`` on ``direction`` (0 or 1) at departure times ``t``."""
        x = np.asarray(t, float) / self.tau
        k = np.floor(x)
        a = (x - k) * (np.pi / 2.0)
        cells = (np.asarray(flow, np.uint64) << np.uint64(FLOW_BITS)) | k.astype(np.uint64)
        key = self.keys[direction]
        return np.asarray(
            np.cos(a) * hashed_normal(key, cells) + np.sin(a) * hashed_normal(key, cells + 1)
        )

    def delay(self, direction: int, flow: np.ndarray, t: np.ndarray) -> np.ndarray:
        """One-way delays of ``flow``'s packets leaving ``direction``'s queue at ``t``."""
        return np.asarray(transform(self.dist, self.normals(direction, flow, t)))

    def delay_at(self, direction: int, flow: int, t: float) -> float:
        """:meth:`delay` of one packet, for the exact engine: the flow's current pair of
        knots is kept, so most packets cost a few float operations."""
        x = t / self.tau
        k = math.floor(x)
        knots = self._knots.get((direction, flow))
        if knots is None or knots[0] != k:
            cells = np.array([(flow << FLOW_BITS) | k, ((flow << FLOW_BITS) | k) + 1], np.uint64)
            n = hashed_normal(self.keys[direction], cells)
            knots = (k, float(n[0]), float(n[1]))
            self._knots[(direction, flow)] = knots
        a = (x - k) * (math.pi / 2.0)
        z = math.cos(a) * knots[1] + math.sin(a) * knots[2]
        name, loc, scale, s = self.law
        if name == "lognorm":
            return max(loc + scale * math.exp(s * z), 0.0)
        if name == "norm":
            return max(loc + scale * z, 0.0)
        return float(transform(self.dist, np.array([z]))[0])


def wanders(links: tuple[Link, ...], seed: int) -> dict[int, Wander]:
    """Per link index: its :class:`Wander`, for the links that keep a flow's order."""
    out = {}
    for i, link in enumerate(links):
        w = Wander.of_link(link, seed, i)
        if w is not None:
            out[i] = w
    return out


__all__ = ["ORDERED", "Wander", "flow_code", "knot_spacing", "wanders"]

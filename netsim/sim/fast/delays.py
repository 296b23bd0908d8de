"""One-way link delays for the fast engine, from normal draws.

Every delay is ``F^-1(Phi(z))`` of the link's ``delay`` distribution ``F`` for a standard
normal ``z``: the draw of the packet's slot on most links, and on links that keep a flow's
order (:mod:`netsim.sim.wander`) the flow's path at the packet's departure. Normal and
lognormal laws are gathered per packet as arrays (``loc + scale * (exp(s z) if lognormal
else z)``); a run of packets on one link, and any other law, go through
:func:`~netsim.sim.fast.queue.transform`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.fast.queue import transform
from netsim.sim.wander import wanders

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.topology import Link


class Delays:
    """The delays of a topology's links (see the module doc)."""

    def __init__(self, links: tuple[Link, ...], seed: int) -> None:
        self.loc = np.zeros(len(links))
        self.scale = np.zeros(len(links))
        self.s = np.zeros(len(links))
        self.log = np.zeros(len(links), dtype=bool)
        self.generic: dict[int, Dist] = {}
        self.dists = [link.delay for link in links]
        for i, link in enumerate(links):
            dist, p = link.delay, dict(link.delay.params)
            if dist.is_constant:
                self.loc[i] = p["value"]
            elif dist.name in ("norm", "lognorm"):
                self.loc[i], self.scale[i] = p.get("loc", 0.0), p.get("scale", 1.0)
                self.log[i] = dist.name == "lognorm"
                self.s[i] = p.get("s", 0.0)
            else:
                self.generic[i] = dist
        # links that keep a flow's order: their delay follows the flow (netsim.sim.wander)
        self.wanders = wanders(links, seed)
        self.wander_dir = np.zeros(2 * len(links), dtype=bool)
        for i in self.wanders:
            self.wander_dir[2 * i : 2 * i + 2] = True

    def of(self, d: np.ndarray, z: np.ndarray) -> np.ndarray:
        """One-way delay samples of directions ``d`` from normal draws ``z``."""
        link = d >> 1
        x = z
        if self.log.any():
            log = self.log[link]
            if log.any():
                x = z.copy()
                x[log] = np.exp(self.s[link[log]] * z[log])
        out = np.maximum(self.loc[link] + self.scale[link] * x, 0.0)
        for i, dist in self.generic.items():
            m = link == i
            if m.any():
                out[m] = transform(dist, z[m])
        return np.asarray(out)

    def of_run(self, d: int, flow: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Delays of a run of packets of one ``flow`` leaving direction ``d`` at ``t``:
        scalar link parameters, no gathers."""
        wander = self.wanders.get(d >> 1)
        if wander is not None:
            return wander.delay(d & 1, np.broadcast_to(flow, t.shape), t)
        return transform(self.dists[d >> 1], z)

    def normals(
        self, d: np.ndarray, flows: np.ndarray, i: np.ndarray, t: np.ndarray, z: np.ndarray
    ) -> np.ndarray:
        """``z`` with the draws of traversals (``i`` of a walk's packets, on directions
        ``d``, leaving at ``t``) of links that keep a flow's order replaced by their flow's
        :meth:`~netsim.sim.wander.Wander.normals`."""
        if not self.wanders:
            return z
        on = self.wander_dir[d]
        if not on.any():
            return z
        flows = flows[i]
        z = np.array(z, float)
        for link, wander in self.wanders.items():
            for k in (0, 1):
                m = on & (d == 2 * link + k)
                if m.any():
                    z[m] = wander.normals(k, flows[m], t[m])
        return z


__all__ = ["Delays"]

"""The VPN side of an exported lab: IKEv2 tunnels over the internet underlay.

Each ``vpn`` link of the model becomes one IKEv2 connection (one child SA) between its two
endpoints' internet addresses, with 169.254 inside addresses in the traffic selectors so
that eBGP runs inside the tunnel like an AWS route-based VPN. A tunnel's delay in the lab
is the sum of its two underlay links, so :func:`fit_underlay_delays` gives the internet
links constant delays fitted (least squares over every tunnel) to the VPNs' mean delays.
Pre-shared keys are not part of the plan: they are made for each deploy
(:mod:`netsim.lab.daemons.secrets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.clab.addressing import TUNNEL_POOL, p2p
from netsim.model.dist import Dist
from netsim.model.topology import LinkKind

if TYPE_CHECKING:
    from netsim.lab.clab.plan import PlanLink
    from netsim.model.topology import Link, Topology

DEFAULT_DPD_DELAY_S = 10


@dataclass(frozen=True, slots=True)
class Tunnel:
    """One IKEv2 connection (and its single child SA) seen from one end."""

    name: str
    local_addr: str  # public (underlay) addresses
    remote_addr: str
    local_id: str  # node names
    remote_id: str
    inside: str  # address/30 on ipsec0
    peer_inside: str  # the peer's inside address
    local_prefixes: tuple[str, ...]
    remote_prefixes: tuple[str, ...]
    initiator: bool
    dpd_delay_s: int

    @property
    def local_ts(self) -> tuple[str, ...]:
        """Traffic selectors: the prefixes plus the inside address, so BGP rides inside."""
        return (*self.local_prefixes, self.inside.replace("/30", "/32"))

    @property
    def remote_ts(self) -> tuple[str, ...]:
        return (*self.remote_prefixes, f"{self.peer_inside}/32")


def fit_underlay_delays(topology: Topology) -> dict[str, Dist]:
    """Constant delays for internet links so each tunnel's sum matches its VPN's mean delay."""
    vpns = [lk for lk in topology.links if lk.kind is LinkKind.VPN and lk.underlay]
    names = sorted({u for v in vpns for u in v.underlay})
    if not names:
        return {}
    matrix = np.array([[1.0 if n in v.underlay else 0.0 for n in names] for v in vpns])
    target = np.array([v.delay.mean() for v in vpns])
    solution, *_ = np.linalg.lstsq(matrix, target, rcond=None)
    return {
        n: Dist.constant(round(max(float(d), 0.0), 7)) for n, d in zip(names, solution, strict=True)
    }


def plan_tunnels(
    topology: Topology, vpns: list[Link], links: list[PlanLink]
) -> dict[str, tuple[Tunnel, ...]]:
    """Both ends of an IKEv2 tunnel per VPN link, over its two underlay internet links."""
    out: dict[str, list[Tunnel]] = {}
    for index, vpn in enumerate(vpns):
        inside = p2p(TUNNEL_POOL, index)
        ends = []
        for name in vpn.endpoints:
            access = next(u for u in vpn.underlay if name in topology.link(u).endpoints)
            ends.append(next(lk for lk in links if lk.name == access).seen_from(name)[0].ip)
        for side in (0, 1):
            me, peer = vpn.endpoints[side], vpn.endpoints[1 - side]
            mine, theirs = (inside.a, inside.b_ip) if side == 0 else (inside.b, inside.a_ip)
            out.setdefault(me, []).append(
                Tunnel(
                    vpn.name,
                    ends[side],
                    ends[1 - side],
                    me,
                    peer,
                    mine,
                    theirs,
                    topology.node(me).prefixes,
                    topology.node(peer).prefixes,
                    side == 0,
                    round(vpn.dpd.delay) if vpn.dpd else DEFAULT_DPD_DELAY_S,
                )
            )
    return {k: tuple(v) for k, v in out.items()}

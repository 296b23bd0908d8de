"""The routing side of an exported lab: what each node's frr.conf says.

eBGP across every interconnect (the link's BGP timers, a BFD profile when the link has
BFD, its preference as local-preference) and inside every tunnel; each cloud edge announces
its prefixes; internet links that carry traffic themselves (no VPN rides on them) get
floating static routes that BGP overrides; the internet router only forwards
(:func:`internet_routes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.lab.clab.addressing import router_id
from netsim.model.topology import LinkKind, Role

if TYPE_CHECKING:
    from netsim.lab.clab.plan import PlanLink
    from netsim.lab.clab.tunnels import Tunnel
    from netsim.model.topology import Link, Topology

CONNECT_RETRY_S = 2  # lab BGP retries fast, so deploys converge in seconds
FLOATING_STATIC_DISTANCE = 250  # internet routes only when BGP has nothing better


@dataclass(frozen=True, slots=True)
class Neighbor:
    address: str
    remote_as: int
    description: str
    keepalive: int
    hold: int
    local_pref: int
    bfd_profile: str | None
    prepend: int = 0  # AS-path prepending on routes learned from it (the link's ``prepend``)
    mrai: int = 0  # advertisement-interval towards it (this node's ``mrai``)

    @property
    def route_map_in(self) -> str:
        """The inbound route-map: local preference, and prepending when the link asks."""
        return f"pref-{self.local_pref}" + (f"-prepend-{self.prepend}" if self.prepend else "")


@dataclass(frozen=True, slots=True)
class BfdProfile:
    name: str
    interval_ms: int
    multiplier: int


@dataclass(frozen=True, slots=True)
class StaticRoute:
    prefix: str
    nexthop: str  # address or Null0
    distance: int | None = None


@dataclass(frozen=True, slots=True)
class FrrPlan:
    """Everything frr.conf says; ``asn`` is None on a router without BGP sessions."""

    asn: int | None
    router_id: str
    announce: tuple[str, ...]  # own prefixes, announced with network statements
    tunnel_addresses: tuple[str, ...]  # on ipsec0
    statics: tuple[StaticRoute, ...]
    neighbors: tuple[Neighbor, ...]
    bfd_profiles: tuple[BfdProfile, ...]
    transit: bool = True  # passes routes learned from one neighbor on to the others
    maximum_paths: int = 1  # BGP multipath (the node's ``max_paths``)

    @property
    def route_maps_in(self) -> tuple[tuple[str, int, int], ...]:
        """(name, local preference, prepend) of every inbound route-map in use."""
        maps = {(n.route_map_in, n.local_pref, n.prepend) for n in self.neighbors}
        return tuple(sorted(maps, key=lambda m: (m[1], m[2])))


def plan_frr(
    topology: Topology,
    name: str,
    index: int,
    links: list[PlanLink],
    tunnels: tuple[Tunnel, ...],
    *,
    vpns: list[Link],
    underlay: frozenset[str],
) -> FrrPlan | None:
    """What frr.conf says on node ``name`` (None: the node needs no FRR)."""
    node = topology.node(name)
    neighbors, profiles, statics = [], {}, []
    for link in links:
        if link.model is None or link.model.kind is not LinkKind.INTERCONNECT:
            continue
        _, other = link.seen_from(name)
        bfd = link.model.bfd
        profile = None
        if bfd is not None:
            ms = round(bfd.interval * 1000)
            profile = f"bfd-{ms}ms-x{bfd.multiplier}"
            profiles[profile] = BfdProfile(profile, ms, bfd.multiplier)
        neighbors.append(neighbor(topology, name, other.node, other.ip, link.model, bfd=profile))
    for tunnel in tunnels:
        vpn = next(v for v in vpns if v.name == tunnel.name)
        neighbors.append(
            neighbor(topology, name, tunnel.remote_id, tunnel.peer_inside, vpn, bfd=None)
        )
        _, hop = next(lk for lk in links if lk.name in vpn.underlay).seen_from(name)
        statics.append(StaticRoute(f"{tunnel.remote_addr}/32", hop.ip))
    for link in links:  # internet links that carry traffic themselves: floating statics
        if (
            link.model is not None
            and link.model.kind is LinkKind.INTERNET
            and (link.name not in underlay)
        ):
            _, hop = link.seen_from(name)
            for cloud in topology.nodes:
                if cloud.name != name and cloud.role is Role.CLOUD:
                    statics += [
                        StaticRoute(p, hop.ip, FLOATING_STATIC_DISTANCE) for p in cloud.prefixes
                    ]
    if not neighbors and not statics:
        return None
    announce = node.prefixes if node.role is Role.CLOUD and neighbors else ()
    statics = [StaticRoute(p, "Null0") for p in announce] + statics
    return FrrPlan(
        node.asn if neighbors else None,
        router_id(index),
        tuple(announce),
        tuple(t.inside for t in tunnels),
        tuple(statics),
        tuple(neighbors),
        tuple(profiles.values()),
        node.carries_transit,
        node.max_paths,
    )


def neighbor(
    topology: Topology, me: str, peer: str, address: str, link: Link, *, bfd: str | None
) -> Neighbor:
    """An eBGP session across ``link`` with its timers and local preference."""
    return Neighbor(
        address,
        topology.node(peer).asn or 0,
        link.name,
        max(1, round(link.bgp.keepalive)),
        max(3, round(link.bgp.hold)),
        link.preference,
        bfd,
        link.prepend,
        round(topology.node(me).mrai),
    )


def internet_routes(
    topology: Topology, name: str, links: list[PlanLink], underlay: frozenset[str]
) -> tuple[str, ...]:
    """Routes of an internet node towards cloud prefixes over routed internet links."""
    routes = []
    for link in links:
        if link.model is None or link.name in underlay or name not in (link.a.node, link.b.node):
            continue
        _, other = link.seen_from(name)
        routes += [f"ip route add {p} via {other.ip}" for p in topology.node(other.node).prefixes]
    return tuple(routes)

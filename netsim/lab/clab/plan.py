"""``plan_lab(topology) -> LabPlan``: the emulation lab of a netsim topology, as pure data.

The bridge from the model to the lab (STYLE habit 2). Nothing here touches the system; the
plan is complete enough for templates that only loop and print (:mod:`netsim.lab.clab.render`).

Mapping (architecture section 7):

- a node with role ``cloud`` becomes an FRR edge router (plus charon if it ends VPN links)
  and a traffic endpoint ``host-<cloud>`` on the second /24 of its first prefix;
- ``exchange`` and ``router`` nodes become FRR routers; ``internet`` nodes forward only;
- an ``interconnect`` link is a lab link with eBGP across it (BFD if the link has it,
  the link's BGP timers, its preference as local-preference);
- a ``vpn`` link is an IKEv2 tunnel over its ``underlay`` internet links, with eBGP between
  169.254 inside addresses and the VPN's preference;
- internet links are lab links; their lab delay is fitted so that each tunnel's delay
  (the sum of its underlay links) has the VPN link's mean delay (least squares over all
  tunnels; the model's own internet delay is kept in ``vars.model_delay``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.errors import InputError, ModelError
from netsim.lab.clab.addressing import (
    INTERCONNECT_POOL,
    INTERNET_POOL,
    TUNNEL_POOL,
    host_subnet,
    p2p,
    psk,
    router_id,
)
from netsim.model.dist import Dist
from netsim.model.topology import Link, LinkKind, Role, Topology

CONNECT_RETRY_S = 2  # lab BGP retries fast, so deploys converge in seconds
FLOATING_STATIC_DISTANCE = 250  # internet routes only when BGP has nothing better


@dataclass(frozen=True, slots=True)
class PlanEnd:
    node: str
    interface: str
    address: str  # address/len

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]


@dataclass(frozen=True, slots=True)
class PlanLink:
    """A lab link: two ends and the model data that rides in its ``vars``."""

    name: str
    kind: str
    a: PlanEnd
    b: PlanEnd
    delay: Dist | None = None  # what the lab applies
    model: Link | None = None  # the model link it stands for (None for host links)

    def seen_from(self, node: str) -> tuple[PlanEnd, PlanEnd]:
        """(``node``'s end, the other end)."""
        return (self.a, self.b) if self.a.node == node else (self.b, self.a)


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
    secret: str

    @property
    def local_ts(self) -> tuple[str, ...]:
        """Traffic selectors: the prefixes plus the inside address, so BGP rides inside."""
        return (*self.local_prefixes, self.inside.replace("/30", "/32"))

    @property
    def remote_ts(self) -> tuple[str, ...]:
        return (*self.remote_prefixes, f"{self.peer_inside}/32")


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


@dataclass(frozen=True, slots=True)
class PlanNode:
    name: str
    role: str  # cloud-edge | exchange | router | internet | host
    site: str | None = None
    model: dict[str, object] = field(default_factory=dict)  # node config vars, written as is
    vpns: tuple[Link, ...] = ()  # model VPN links ending here (carried in config vars)
    frr: FrrPlan | None = None
    tunnels: tuple[Tunnel, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    exec: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabPlan:
    name: str
    description: str
    nodes: tuple[PlanNode, ...]
    links: tuple[PlanLink, ...]


class _Interfaces:
    """Hands out eth1, eth2... per node in the order links are planned."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def next(self, node: str) -> str:
        self.count[node] = self.count.get(node, 0) + 1
        return f"eth{self.count[node]}"


def plan_lab(topology: Topology) -> LabPlan:
    """Plan the lab of ``topology``; InputError if the lab cannot represent it."""
    _check(topology)
    ifaces = _Interfaces()
    roles = {n.name: n.role or Role.ROUTER for n in topology.nodes}
    underlay = topology.underlay_links
    routed = [lk for lk in topology.links if lk.kind is LinkKind.INTERCONNECT]
    internet = [lk for lk in topology.links if lk.kind is LinkKind.INTERNET]
    vpns = [lk for lk in topology.links if lk.kind is LinkKind.VPN]
    fitted = fit_underlay_delays(topology)
    links = []
    for i, link in enumerate(routed):
        pair = p2p(INTERCONNECT_POOL, i)
        links.append(_link(link, ifaces, pair.a, pair.b, link.delay))
    for i, link in enumerate(internet):
        pair = p2p(INTERNET_POOL, i)
        b = link.endpoints[1]  # the internet node gets the second address
        first, second = (pair.a, pair.b) if roles[b] is Role.INTERNET else (pair.b, pair.a)
        links.append(_link(link, ifaces, first, second, fitted.get(link.name, link.delay)))
    hosts = {}
    for node in topology.nodes:
        if roles[node.name] is Role.CLOUD and node.prefixes:
            subnet = host_subnet(node.prefixes[0])
            end = PlanEnd(node.name, ifaces.next(node.name), subnet.gateway)
            host = PlanEnd(f"host-{node.name}", ifaces.next(f"host-{node.name}"), subnet.host)
            links.append(PlanLink(f"{node.name}-host", "host", end, host))
            hosts[node.name] = subnet.gateway_ip
    by_node = {
        n.name: [lk for lk in links if n.name in (lk.a.node, lk.b.node)] for n in topology.nodes
    }
    tunnels = _tunnels(topology, vpns, links)
    nodes = []
    for index, node in enumerate(topology.nodes):
        role = roles[node.name]
        if role is Role.INTERNET:
            nodes.append(
                PlanNode(
                    node.name,
                    "internet",
                    node.provider,
                    sysctls=(("net.ipv4.ip_forward", "1"),),
                    exec=_internet_routes(topology, node.name, links, underlay),
                )
            )
            continue
        mine = tunnels.get(node.name, ())
        frr = _frr(
            topology, node.name, index, by_node[node.name], mine, vpns=vpns, underlay=underlay
        )
        model: dict[str, object] = {
            "asn": node.asn,
            "prefixes": list(node.prefixes),
            "region": node.region,
            "provider": node.provider,
        }
        nodes.append(
            PlanNode(
                node.name,
                "cloud-edge" if role is Role.CLOUD else role.value,
                node.provider,
                {k: v for k, v in model.items() if v},
                tuple(v for v in vpns if node.name in v.endpoints),
                frr,
                mine,
            )
        )
    for cloud, gateway in hosts.items():
        nodes.append(
            PlanNode(f"host-{cloud}", "host", cloud, exec=(f"ip route add default via {gateway}",))
        )
    return LabPlan(topology.name, topology.description, tuple(nodes), tuple(links))


def _check(topology: Topology) -> None:
    problems = []
    for link in topology.links:
        needs_asn = link.kind is not LinkKind.INTERNET
        for name in link.endpoints:
            node = topology.node(name)
            if needs_asn and node.asn is None:
                problems.append(
                    ModelError(
                        topology.source,
                        0,
                        f"nodes.{name}.asn",
                        f"the lab runs BGP over {link.name}: give {name} an asn",
                    )
                )
        if link.kind is LinkKind.VPN and len(link.underlay) != len(link.endpoints):
            problems.append(
                ModelError(
                    topology.source,
                    0,
                    f"links.{link.name}.underlay",
                    "the lab builds a tunnel over exactly two internet links (one per endpoint)",
                )
            )
    if problems:
        raise InputError(list(dict.fromkeys(problems)))


def _link(link: Link, ifaces: _Interfaces, first: str, second: str, delay: Dist | None) -> PlanLink:
    a, b = link.endpoints
    return PlanLink(
        link.name,
        link.kind.value,
        PlanEnd(a, ifaces.next(a), first),
        PlanEnd(b, ifaces.next(b), second),
        delay,
        link,
    )


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


def _tunnels(
    topology: Topology, vpns: list[Link], links: list[PlanLink]
) -> dict[str, tuple[Tunnel, ...]]:
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
                    round(vpn.dpd.delay) if vpn.dpd else 10,
                    psk(topology.name, vpn.name),
                )
            )
    return {k: tuple(v) for k, v in out.items()}


def _frr(
    topology: Topology,
    name: str,
    index: int,
    links: list[PlanLink],
    tunnels: tuple[Tunnel, ...],
    *,
    vpns: list[Link],
    underlay: frozenset[str],
) -> FrrPlan | None:
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
        neighbors.append(_neighbor(topology, name, other.node, other.ip, link.model, bfd=profile))
    for tunnel in tunnels:
        vpn = next(v for v in vpns if v.name == tunnel.name)
        neighbors.append(
            _neighbor(topology, name, tunnel.remote_id, tunnel.peer_inside, vpn, bfd=None)
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


def _neighbor(
    topology: Topology, me: str, peer: str, address: str, link: Link, *, bfd: str | None
) -> Neighbor:
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


def _internet_routes(
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

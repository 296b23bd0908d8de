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

The routing and VPN halves are :mod:`netsim.lab.clab.frrplan` and
:mod:`netsim.lab.clab.tunnels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.errors import InputError, ModelError
from netsim.lab.clab.addressing import INTERCONNECT_POOL, INTERNET_POOL, host_subnet, p2p
from netsim.lab.clab.frrplan import FrrPlan, internet_routes, plan_frr
from netsim.lab.clab.tunnels import Tunnel, fit_underlay_delays, plan_tunnels
from netsim.model.topology import LinkKind, Role

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.topology import Link, Topology


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
    tunnels = plan_tunnels(topology, vpns, links)
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
                    exec=internet_routes(topology, node.name, links, underlay),
                )
            )
            continue
        mine = tunnels.get(node.name, ())
        frr = plan_frr(
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
            # `replace`: under containerlab the host already has a default route (management).
            PlanNode(
                f"host-{cloud}", "host", cloud, exec=(f"ip route replace default via {gateway}",)
            )
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

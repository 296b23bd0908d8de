"""What a live lab looks like right now: nodes, BGP, BFD, IPsec SAs and forwarding paths.

:func:`lab_status` asks the real daemons (``vtysh -N <node> -c 'show bgp summary json'``,
``show bfd peers json``, ``swanctl --list-sas``) and the kernels (``ip -j route get`` hop by
hop between every pair of cloud hosts, i.e. nodes labelled ``netsim-role: host``) and returns
one frozen :class:`LabStatus`, printable as text or JSON.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from netsim.lab.clab.topology import BRIDGE_KIND
from netsim.lab.daemons import DAEMONS, NodeContext, daemons_for
from netsim.lab.daemons.frr import Frr, vtysh_json
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host import linux, netns, registry

if TYPE_CHECKING:
    from netsim.lab.clab.topology import ClabTopology
    from netsim.lab.host.state import LabState

MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    namespace: str
    exists: bool
    processes: dict[str, bool]  # program -> alive
    failed: bool = False  # failed by ``lab fail NODE`` (its namespace stays, its links are down)

    @property
    def state(self) -> str:
        return "MISSING" if not self.exists else "FAILED" if self.failed else "up"


@dataclass(frozen=True, slots=True)
class BgpSession:
    node: str
    peer: str
    description: str
    remote_as: int
    state: str
    prefixes_received: int


@dataclass(frozen=True, slots=True)
class BfdPeer:
    node: str
    peer: str
    status: str


@dataclass(frozen=True, slots=True)
class IpsecSa:
    node: str
    name: str
    installed: bool


@dataclass(frozen=True, slots=True)
class Path:
    """The forwarding path from one host to another: nodes and the interface left by."""

    src: str
    dst: str
    nodes: tuple[str, ...]
    via: tuple[str, ...]  # link name (or "vpn:<iface>") taken out of each node but the last
    complete: bool

    @property
    def uses_vpn(self) -> bool:
        return any(v.startswith("vpn") for v in self.via)


@dataclass(frozen=True, slots=True)
class LabStatus:
    lab: str
    phase: str
    nodes: tuple[NodeStatus, ...]
    bgp: tuple[BgpSession, ...]
    bfd: tuple[BfdPeer, ...]
    sas: tuple[IpsecSa, ...]
    paths: tuple[Path, ...]
    faults: tuple[str, ...]

    def path(self, src: str, dst: str) -> Path:
        return next(p for p in self.paths if (p.src, p.dst) == (src, dst))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    def format(self) -> str:
        lines = [f"lab {self.lab}: {self.phase}"]
        watchers = []
        for node in self.nodes:
            # the host's stall watchers run in the first node's namespace; they are the
            # lab's, not that node's
            mine = {k: up for k, up in node.processes.items() if not k.startswith("stalls.")}
            watchers += [
                f"{k.removeprefix('stalls.')}{'' if up else '(DOWN)'}"
                for k, up in node.processes.items()
                if k not in mine
            ]
            procs = " ".join(f"{k}{'' if up else '(DOWN)'}" for k, up in mine.items())
            lines.append(f"  node {node.name:<12} {node.state}  {procs}")
        if watchers:
            lines.append(f"  host stall watchers: {' '.join(watchers)}")
        for s in self.bgp:
            lines.append(f"  bgp  {s.node:<6} {s.peer:<15} {s.description:<14} {s.state}")
        for b in self.bfd:
            lines.append(f"  bfd  {b.node:<6} {b.peer:<15} {b.status}")
        for sa in self.sas:
            lines.append(
                f"  sa   {sa.node:<6} {sa.name:<15} {'INSTALLED' if sa.installed else 'missing'}"
            )
        for p in self.paths:
            hops = " > ".join(p.nodes) + ("" if p.complete else " > ?")
            lines.append(f"  path {p.src} -> {p.dst}: {hops}  [{', '.join(p.via)}]")
        lines += [f"  fault {f}" for f in self.faults]
        return "\n".join(lines)


def lab_status(topology: ClabTopology, state: LabState) -> LabStatus:
    """Query every node of a deployed lab."""
    nodes, bgp, bfd, sas = [], [], [], []
    failed = {f["target"] for f in state.faults if f["kind"] == "daemons"}  # see fail_node
    for name, node in topology.nodes.items():
        namespace = topology.namespace(name)
        procs = {p.name: p.alive() for p in state.processes_of(name)}
        exists = linux.netns_path(namespace).exists()
        nodes.append(NodeStatus(name, namespace, exists, procs, name in failed))
        for daemon in daemons_for(NodeContext(topology, node, state)):
            if not daemon.processes() or daemon.dead():
                continue  # not started yet (a deploy under way or killed early), or exited
            if isinstance(daemon, Frr):
                bgp += _bgp(name, daemon.pathspace)
                bfd += _bfd(name, daemon.pathspace)
            elif isinstance(daemon, StrongSwan):
                installed = daemon.installed()
                sas += [IpsecSa(name, c, c in installed) for c in sorted(daemon.children())]
    faults = tuple(f"{f['target']}: {f['mode']} ({f['kind']})" for f in state.faults)
    phase = state.phase
    owner = state.holder or state.deployer  # a state written by hand may have neither
    if owner and registry.abandoned(asdict(state)):
        who = f"pid {owner[0]}" if state.holder else f"its deployer, pid {owner[0]}"
        phase += (
            f" (abandoned: {who} is gone; `netsim lab destroy {state.lab}` removes it, "
            "and so does deploying it again)"
        )
    return LabStatus(
        state.lab,
        phase,
        tuple(nodes),
        tuple(bgp),
        tuple(bfd),
        tuple(sas),
        tuple(host_paths(topology)),
        faults,
    )


def _bgp(node: str, pathspace: str) -> list[BgpSession]:
    summary = vtysh_json(pathspace, "show bgp summary json")
    peers = (summary.get("ipv4Unicast") or {}).get("peers") if isinstance(summary, dict) else {}
    return [
        BgpSession(
            node,
            addr,
            str(p.get("desc", "")),
            int(p.get("remoteAs", 0)),
            str(p.get("state")),
            int(p.get("pfxRcd", 0)),
        )
        for addr, p in (peers or {}).items()
    ]


def _bfd(node: str, pathspace: str) -> list[BfdPeer]:
    peers = vtysh_json(pathspace, "show bfd peers json")
    return [BfdPeer(node, str(p.get("peer")), str(p.get("status"))) for p in peers or []]


def hosts(topology: ClabTopology) -> list[str]:
    """The lab's traffic endpoints: nodes labelled ``netsim-role: host``.

    In a file without such labels, the nodes that run no routing or VPN daemon.
    """
    labelled = [n for n, node in topology.nodes.items() if node.role == "host"]
    if labelled:
        return labelled
    return [
        n
        for n, node in topology.nodes.items()
        if topology.links_of(n)
        and node.kind != BRIDGE_KIND
        and not any(cls.wanted(node) for cls in DAEMONS.values())
    ]


def host_address(topology: ClabTopology, node: str) -> str:
    """The first IPv4 address a link gives ``node`` (without prefix length).

    A node whose links carry no ``ipv4`` (addressed by its ``exec``) is asked: the first
    global IPv4 address on one of its lab interfaces, else (an IPv6-only lab) the first
    global IPv6 one.
    """
    for link in topology.links_of(node):
        for end in link.endpoints:
            if end.node == node and end.ipv4:
                return end.ipv4.split("/")[0]
    interfaces = {
        e.interface for lk in topology.links_of(node) for e in lk.endpoints if e.node == node
    }
    out = netns.ip(topology.namespace(node), "-j", "addr", check=False).stdout
    found = [
        (addr.get("family") != "inet", str(addr["local"]))
        for iface in json.loads(out or "[]")
        if iface.get("ifname") in interfaces
        for addr in iface.get("addr_info", [])
        if addr.get("scope") == "global"
    ]
    if found:  # IPv4 first; a host of an IPv6-only lab by its IPv6 address
        return min(found, key=lambda f: f[0])[1]
    raise KeyError(f"{node} has no IP address on any link")


def _owners(topology: ClabTopology) -> dict[str, str]:
    """Every IPv4 and IPv6 address configured in the lab -> the node that has it (link-local
    ones too: an IPv6 route's gateway is usually one)."""
    owners = {}
    for name in topology.nodes:
        out = netns.ip(topology.namespace(name), "-j", "addr", check=False).stdout
        for iface in json.loads(out or "[]"):
            for addr in iface.get("addr_info", []):
                if addr.get("family") in ("inet", "inet6") and addr["local"] != "::1":
                    owners[addr["local"]] = name
    return owners


def _link_names(topology: ClabTopology) -> dict[tuple[str, str], tuple[str, str]]:
    """(node, ifname) -> (link name, (node, ifname) at the other end)."""
    out: dict[tuple[str, str], Any] = {}
    for link in topology.links:
        a, b = link.endpoints
        out[(a.node, a.interface)] = (link.name, (b.node, b.interface))
        out[(b.node, b.interface)] = (link.name, (a.node, a.interface))
    return out


def host_paths(topology: ClabTopology) -> list[Path]:
    """The current forwarding path between every ordered pair of hosts.

    A pair whose ends have no address yet (hosts addressed by their ``exec``, asked before
    the commands ran) has an incomplete path that has not left its source.
    """
    owners = _owners(topology)
    links = _link_names(topology)
    endpoints = hosts(topology)
    paths = []
    for src, dst in itertools.permutations(endpoints, 2):
        try:
            paths.append(trace_path(topology, src, dst, owners, links))
        except KeyError:  # host_address: no IPv4 address on any link yet
            paths.append(Path(src, dst, (src,), (), False))
    return paths


def trace_path(
    topology: ClabTopology,
    src: str,
    dst: str,
    owners: dict[str, str],
    links: dict[tuple[str, str], Any],
) -> Path:
    """Follow ``ip route get`` from ``src`` towards ``dst`` node by node."""
    src_addr, dst_addr = host_address(topology, src), host_address(topology, dst)
    node, iif = src, None
    nodes: list[str] = [src]
    via: list[str] = []
    for _ in range(MAX_HOPS):
        if node == dst:
            return Path(src, dst, tuple(nodes), tuple(via), True)
        args = ["-j", "route", "get", dst_addr]
        if iif is not None:
            args += ["from", src_addr, "iif", iif]
        out = netns.ip(topology.namespace(node), *args, check=False).stdout
        routes = json.loads(out or "[]")
        if not routes or "dev" not in routes[0]:
            break
        route = routes[0]
        if (node, route["dev"]) in links:
            # A link has one node at its other end, whatever the next hop: an IPv4 gateway,
            # an IPv6 link-local one (``via``: BGP unnumbered, RFC 5549) or none (connected).
            if route.get("gateway", dst_addr) not in owners and "via" not in route:
                break  # a gateway no node of the lab has: nobody answers its ARP
            name, (nexthop, iif) = links[(node, route["dev"])]
            via.append(name)
            if topology.nodes[nexthop].kind == BRIDGE_KIND:
                # a LAN: the frame goes on to the bridge's port whose node has the gateway
                target = owners.get(route.get("gateway", dst_addr))
                port = next(
                    (
                        (link, far)
                        for (bridge, _), (link, far) in links.items()
                        if bridge == nexthop and far[0] == target
                    ),
                    None,
                )
                nodes.append(nexthop)
                if port is None:
                    break
                via.append(port[0])
                nexthop, iif = port[1]
        else:  # a tunnel device: the packet re-enters the next node on its own tunnel device
            nexthop = owners.get(route.get("gateway", dst_addr))
            if nexthop is None:
                break
            via.append(f"vpn:{route['dev']}")
            iif = route["dev"]
        node = nexthop
        nodes.append(node)
    return Path(src, dst, tuple(nodes), tuple(via), False)

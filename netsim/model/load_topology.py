"""YAML -> :class:`~netsim.model.topology.Topology`, reporting every error at once.

The loader checks syntax (keys, units, distributions) and meaning (unknown nodes in a link,
duplicate names, an underlay that is not a link, group members that do not exist), collects
every problem as a :class:`~netsim.errors.ModelError` and raises one
:class:`~netsim.errors.InputError`. Defaults per link kind are applied here, so the model
objects downstream are complete.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from netsim.model.dist import Dist, parse_duration_dist, parse_size_dist
from netsim.model.load_transport import read_congestion, read_mtu
from netsim.model.scenario import FailureMode
from netsim.model.source import Document, KeyPath, Reader, YamlMap, load_yaml
from netsim.model.topology import Bfd, Bgp, Cost, Dpd, Group, Link, LinkKind, Node, Role, Topology
from netsim.model.units import (
    non_negative,
    parse_bitrate,
    parse_duration,
    parse_event_rate,
    parse_money,
    parse_size,
    positive,
)

if TYPE_CHECKING:
    from pathlib import Path

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TOP_KEYS = ("name", "description", "nodes", "links", "groups")
NODE_KEYS = (
    "role",
    "provider",
    "region",
    "asn",
    "prefixes",
    "mtbf",
    "mttr",
    "cost",
    "description",
    "transit",
    "max_paths",
    "mrai",
    "failure_mode",
)
LINK_KEYS = (
    "name",
    "kind",
    "endpoints",
    "capacity",
    "delay",
    "buffer",
    "mtbf",
    "mttr",
    "bfd",
    "bgp",
    "convergence",
    "preference",
    "cost",
    "overhead",
    "dpd",
    "underlay",
    "description",
    "prepend",
    "failure_mode",
    "mtu",
    "max_pps",
    "congestion",
)
GROUP_KEYS = ("members", "mtbf", "mttr", "description", "failure_mode")
# What a random failure may be (``loss:p`` is a scripted impairment, not an outage).
RANDOM_MODES = (FailureMode.DOWN, FailureMode.BLACKHOLE)

# Defaults per link kind. The figures are the providers' defaults (see
# ../shared/reference/numbers.md section 3): AWS DX BGP keepalive 30 s / hold 90 s; AWS VPN
# tunnels BGP 10 s / 30 s and DPD timeout 30 s; ESP-in-UDP with AES-GCM costs 62 B.
# Raw YAML values, merged under a link's own keys before validation.
KIND_DEFAULTS: dict[LinkKind, YamlMap] = {  # merged under each link's own YAML
    LinkKind.INTERCONNECT: {
        "keepalive": 30.0,
        "hold": 90.0,
        "preference": 100,
        "convergence": 1.0,
        "overhead": 0.0,
        "dpd": None,
        "max_pps": None,
    },
    LinkKind.VPN: {
        "keepalive": 10.0,
        "hold": 30.0,
        "preference": 50,
        "convergence": 1.0,
        "overhead": 62.0,
        "dpd": Dpd(10.0, 30.0),
        # numbers.md section 4, "AWS VPN packets per second": 140,000 pps per tunnel
        "max_pps": 140000.0,
    },
    LinkKind.INTERNET: {
        "keepalive": 30.0,
        "hold": 90.0,
        "preference": 10,
        "convergence": 30.0,
        "overhead": 0.0,
        "dpd": None,
        "max_pps": None,
    },
}
LINK_ENDS = 2  # a link joins exactly two nodes
DEFAULT_REESTABLISH = 5.0  # "a few seconds" (architecture section 4): BGP OPEN + updates


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _count(least: int) -> Any:
    def check(value: object) -> int:
        number = _int(value)
        if number < least:
            raise ValueError(f"must be at least {least}, got {value!r}")
        return number

    return check


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _failure_mode(value: object) -> FailureMode:
    choices = ", ".join(m.value for m in RANDOM_MODES)
    if not isinstance(value, str) or value not in {m.value for m in RANDOM_MODES}:
        raise ValueError(f"unknown value {value!r} (expected one of {choices})")
    return FailureMode(value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise ValueError(f"{value!r} is not a valid name ([a-z0-9-]+)")
    return value


def _enum(kind: type[Any]) -> Any:
    def parse(value: object) -> Any:
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in kind)
            raise ValueError(f"unknown value {value!r} (expected one of {choices})") from None

    return parse


def _str_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of names")
    return tuple(value)


def _node(r: Reader, name: str, raw: Any, path: KeyPath) -> Node:
    m = r.mapping(raw, path, NODE_KEYS)
    return Node(
        name=name,
        role=r.get(m, path, "role", _enum(Role)),
        provider=r.get(m, path, "provider", str),
        region=r.get(m, path, "region", str),
        asn=r.get(m, path, "asn", _int),
        prefixes=r.get(m, path, "prefixes", _str_list, ()) or (),
        mtbf=r.get(m, path, "mtbf", positive(parse_duration)),
        mttr=r.get(m, path, "mttr", parse_duration_dist),
        cost=_cost(r, m, path),
        transit=r.get(m, path, "transit", _bool),
        max_paths=r.get(m, path, "max_paths", _count(1), 1) or 1,
        mrai=r.get(m, path, "mrai", non_negative(parse_duration), 0.0) or 0.0,
        failure_mode=r.get(m, path, "failure_mode", _failure_mode),
    )


def _cost(r: Reader, m: YamlMap, path: KeyPath) -> Cost:
    c = r.mapping(m.get("cost"), (*path, "cost"), ("monthly", "per_gb"))
    return Cost(
        r.get(c, (*path, "cost"), "monthly", non_negative(parse_money), 0.0) or 0.0,
        r.get(c, (*path, "cost"), "per_gb", non_negative(parse_money), 0.0) or 0.0,
        declared=bool(c),  # no cost keys: the price is unknown, not $0
    )


def _link(r: Reader, raw: Any, path: KeyPath, index: int) -> Link | None:
    m = r.mapping(raw, path, LINK_KEYS)
    if not m:
        return None
    name = r.get(m, path, "name", _name, required=True) or f"link{index}"
    kind = r.get(m, path, "kind", _enum(LinkKind), LinkKind.INTERCONNECT) or LinkKind.INTERCONNECT
    d = KIND_DEFAULTS[kind]
    endpoints = r.get(m, path, "endpoints", _str_list, required=True) or ("?", "?")
    if len(endpoints) != LINK_ENDS or endpoints[0] == endpoints[1]:
        r.error((*path, "endpoints"), "expected two different node names")
        endpoints = ("?", "?")
    bgp_raw = r.mapping(m.get("bgp"), (*path, "bgp"), ("keepalive", "hold", "reestablish"))
    bp = (*path, "bgp")
    bgp = Bgp(
        keepalive=r.get(bgp_raw, bp, "keepalive", positive(parse_duration)) or d["keepalive"],
        hold=r.get(bgp_raw, bp, "hold", positive(parse_duration)) or d["hold"],
        reestablish=_or(
            r.get(bgp_raw, bp, "reestablish", non_negative(parse_duration)), DEFAULT_REESTABLISH
        ),
    )
    if bgp.hold < bgp.keepalive:
        r.error((*bp, "hold"), "hold time must not be shorter than the keepalive interval")
    bfd = None
    if m.get("bfd") is not None:
        b = r.mapping(m["bfd"], (*path, "bfd"), ("interval", "multiplier"))
        bfd = Bfd(
            r.get(b, (*path, "bfd"), "interval", positive(parse_duration), 0.3) or 0.3,
            r.get(b, (*path, "bfd"), "multiplier", _int, 3) or 3,
        )
    dpd = d["dpd"]
    if m.get("dpd") is not None:
        p = r.mapping(m["dpd"], (*path, "dpd"), ("delay", "timeout"))
        dpd = Dpd(
            r.get(p, (*path, "dpd"), "delay", positive(parse_duration), 10.0) or 10.0,
            r.get(p, (*path, "dpd"), "timeout", positive(parse_duration), 30.0) or 30.0,
        )
    cost = _cost(r, m, path)
    overhead = r.get(m, path, "overhead", non_negative(parse_size), d["overhead"]) or 0.0
    return Link(
        name=name,
        kind=kind,
        endpoints=(endpoints[0], endpoints[1]),
        capacity=r.get(m, path, "capacity", positive(parse_bitrate), 1e9, required=True) or 1e9,
        delay=r.get(m, path, "delay", parse_duration_dist, Dist.constant(0.001))
        or Dist.constant(0.001),
        buffer=r.get(m, path, "buffer", positive(parse_size)),
        mtbf=r.get(m, path, "mtbf", positive(parse_duration)),
        mttr=r.get(m, path, "mttr", parse_duration_dist),
        bfd=bfd,
        bgp=bgp,
        dpd=dpd,
        convergence=r.get(
            m, path, "convergence", parse_duration_dist, Dist.constant(d["convergence"])
        )
        or Dist.constant(d["convergence"]),
        preference=r.get(m, path, "preference", _int, d["preference"]) or 0,
        overhead=overhead,
        underlay=r.get(m, path, "underlay", _str_list, ()) or (),
        cost=cost,
        prepend=r.get(m, path, "prepend", _count(0), 0) or 0,
        failure_mode=r.get(m, path, "failure_mode", _failure_mode),
        mtu=read_mtu(r, m, path, overhead),
        max_pps=r.get(m, path, "max_pps", positive(parse_event_rate), d["max_pps"]),
        congestion=read_congestion(r, m, path, kind),
    )


def _check_refs(r: Reader, topo: Topology, doc: Document) -> None:
    nodes = set(topo.node_names)
    seen: set[str] = set()
    link_names = {link.name for link in topo.links}
    for i, link in enumerate(topo.links):
        if link.name in seen:
            r.error(("links", i, "name"), f"duplicate link name {link.name!r}")
        seen.add(link.name)
        for end in link.endpoints:
            if end != "?" and end not in nodes:
                r.error(("links", i, "endpoints"), f"unknown node {end!r}")
        for u in link.underlay:
            if u not in link_names:
                r.error(("links", i, "underlay"), f"unknown link {u!r}")
            elif u == link.name:
                r.error(("links", i, "underlay"), "a link cannot be its own underlay")
        if link.underlay and link.kind is not LinkKind.VPN:
            r.error(("links", i, "underlay"), "only vpn links have an underlay")
    for group in topo.groups:
        for member in (*group.links, *group.nodes):
            if member not in link_names and member not in nodes:
                r.error(("groups", group.name, "members"), f"unknown link or node {member!r}")
    if not topo.nodes:
        r.error(("nodes",), "a topology needs at least one node")
    del doc


def read_topology(doc: Document) -> Topology:
    """Build a Topology from a parsed document, raising InputError listing every problem."""
    r = Reader(doc)
    if isinstance(doc.data, dict) and ("traffic" in doc.data or "topology" in doc.data):
        r.error(
            ("topology" if "topology" in doc.data else "traffic",),
            "this is a scenario file; a topology was expected (the scenario names its "
            f"topology: {doc.data.get('topology', '?')})",
        )
        r.raise_if_errors()
    top = r.mapping(doc.data, (), TOP_KEYS)
    name = r.get(top, (), "name", _name, required=True) or "unnamed"
    nodes: list[Node] = []
    raw_nodes = top.get("nodes") or {}
    if not isinstance(raw_nodes, dict):
        r.error(("nodes",), "expected a mapping of node name -> attributes")
        raw_nodes = {}
    for node_name, raw in raw_nodes.items():
        if not NAME.match(node_name):
            r.error(("nodes", node_name), f"{node_name!r} is not a valid name ([a-z0-9-]+)")
        nodes.append(_node(r, node_name, raw, ("nodes", node_name)))
    links: list[Link] = []
    raw_links = top.get("links") or []
    if not isinstance(raw_links, list):
        r.error(("links",), "expected a list of links")
        raw_links = []
    for i, raw in enumerate(raw_links):
        link = _link(r, raw, ("links", i), i)
        if link is not None:
            links.append(link)
    groups: list[Group] = []
    raw_groups = r.mapping(top.get("groups"), ("groups",), tuple(top.get("groups") or {}))
    link_set = {link.name for link in links}
    for group_name, raw in raw_groups.items():
        path: KeyPath = ("groups", group_name)
        g = r.mapping(raw, path, GROUP_KEYS)
        members: tuple[str, ...] = r.get(g, path, "members", _str_list, required=True) or ()
        if "members" in g and not members:
            r.error((*path, "members"), "a group needs at least one member")
        for twice in sorted({m for m in members if members.count(m) > 1}):
            r.error((*path, "members"), f"{twice!r} is listed twice")
        groups.append(
            Group(
                name=group_name,
                links=tuple(x for x in members if x in link_set or x not in raw_nodes),
                nodes=tuple(x for x in members if x in raw_nodes and x not in link_set),
                mtbf=r.get(g, path, "mtbf", positive(parse_duration)),
                mttr=r.get(g, path, "mttr", parse_duration_dist),
                failure_mode=r.get(g, path, "failure_mode", _failure_mode),
            )
        )
    topo = Topology(
        name=name,
        nodes=tuple(nodes),
        links=tuple(links),
        groups=tuple(groups),
        description=str(top.get("description") or ""),
        source=doc.path,
    )
    _check_refs(r, topo, doc)
    r.raise_if_errors()
    return topo


def load_topology(path: str | Path) -> Topology:
    """Load and validate a topology file.

    Raises :class:`~netsim.errors.InputError` listing every problem with file and line.
    """
    return read_topology(load_yaml(path))


__all__ = ["load_topology", "parse_size_dist", "read_topology"]

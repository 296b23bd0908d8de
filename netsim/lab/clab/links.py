"""Reading the ``links`` of a containerlab file: brief and ``veth`` links, names, parameters.

containerlab's parser is stricter than its schema: a brief link has exactly two
``node:interface`` endpoints and an extended link carries only the documented keys. Links to
containerlab's special endpoints (``host:``, ``mgmt-net:``, ``macvlan:``) and link types other
than ``veth`` would leave the lab's namespaces, so netsim refuses them.

containerlab has no link names; netsim names a link for ``netsim lab fail``: its
``vars.name`` when it has one, else ``a-b`` after its two nodes, else (parallel links
between the same two nodes) ``a:eth1-b:eth1`` after its two interfaces. A link can also
always be named by either end, ``node:interface``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from netsim.errors import ModelError
from netsim.lab.clab.params import parse_link_params
from netsim.lab.clab.topology import ClabLink, ClabNode, Endpoint
from netsim.model.source import Document, KeyPath, YamlMap, format_path

if TYPE_CHECKING:
    from netsim.lab.clab.params import LinkParams

#: Keys containerlab accepts on each link form (the schema is looser for extended links).
#: containerlab's MTU of a veth link whose file gives none (``constants.DefaultLinkMTU``,
#: set in ``links/link_veth.go``; docs/manual/network.md "Link MTU").
CLAB_DEFAULT_MTU = 9500
BRIEF_LINK_KEYS = frozenset({"endpoints", "mtu", "vars", "ipv4", "ipv6"})
VETH_LINK_KEYS = frozenset({"type", "endpoints", "mtu", "vars", "labels", "ipv4", "ipv6"})
IFNAME_MAX = 15
LINK_ENDPOINTS = 2  # a veth link joins exactly two interfaces
#: containerlab's special nodes of brief links: they reach outside the lab.
SPECIAL_NODES = frozenset({"host", "mgmt-net", "macvlan", "ovs-bridge", "bridge"})


class LinkReader:
    """Reads every link of a file into :class:`ClabLink`, collecting problems."""

    def __init__(self, doc: Document, errors: list[ModelError], nodes: dict[str, ClabNode]) -> None:
        self.doc = doc
        self.errors = errors
        self.nodes = nodes

    def error(self, key: KeyPath, message: str) -> None:
        self.errors.append(ModelError(self.doc.path, self.doc.line(key), format_path(key), message))

    def read(self, specs: list[Any]) -> list[ClabLink]:  # raw YAML
        read = [(i, self.link(i, spec)) for i, spec in enumerate(specs)]
        links = [(i, link) for i, link in read if link is not None]
        pairs = Counter(frozenset((lk.a.node, lk.b.node)) for _, lk in links)
        named = [(i, self.named(link, pairs)) for i, link in links]
        self.check(named)
        return [link for _, link in named]

    @staticmethod
    def named(link: ClabLink, pairs: Counter[frozenset[str]]) -> ClabLink:
        if link.name:
            return link
        if pairs[frozenset((link.a.node, link.b.node))] > 1:
            name = f"{link.a}-{link.b}"
        else:
            name = f"{link.a.node}-{link.b.node}"
        return ClabLink(name, link.a, link.b, link.params, link.mtu)

    def link(self, index: int, spec: YamlMap) -> ClabLink | None:  # raw YAML
        key: KeyPath = ("topology", "links", index)
        link_type = spec.get("type")
        allowed = BRIEF_LINK_KEYS if link_type is None else VETH_LINK_KEYS
        if link_type not in (None, "veth"):
            self.error(
                (*key, "type"),
                f"link type {link_type!r} is not supported here: netsim builds veth links "
                "between the lab's namespaces only",
            )
            return None
        for extra in sorted(set(spec) - allowed):
            self.error((*key, extra), "unknown key (containerlab rejects it)")
        raw = spec.get("endpoints") or []
        if len(raw) != LINK_ENDPOINTS:
            self.error((*key, "endpoints"), f"a link needs exactly two endpoints, got {len(raw)}")
            return None
        ends = self.endpoints(key, spec, raw)
        if ends is None:
            return None
        vars_ = spec.get("vars") or {}
        params, problems = parse_link_params(vars_)
        for problem in problems:
            self.error((*key, "vars", *problem.key.split(".")), str(problem))
        mtu = spec.get("mtu")
        return ClabLink(
            str(vars_.get("name") or ""),
            ends[0],
            ends[1],
            params,
            mtu if isinstance(mtu, int) else CLAB_DEFAULT_MTU,
        )

    def endpoints(
        self, key: KeyPath, spec: YamlMap, raw: list[Any]
    ) -> tuple[Endpoint, Endpoint] | None:
        v4 = list(spec.get("ipv4") or [])
        v6 = list(spec.get("ipv6") or [])
        ends = []
        for i, item in enumerate(raw):
            end_key = (*key, "endpoints", i)
            if isinstance(item, str):
                node, _, ifname = item.partition(":")
                if not node or not ifname or ":" in ifname:
                    self.error(end_key, f"expected node:interface, got {item!r}")
                    return None
                end = Endpoint(
                    node,
                    ifname,
                    v4[i] if i < len(v4) else None,
                    None,
                    v6[i] if i < len(v6) else None,
                )
            else:
                end = Endpoint(
                    item["node"],
                    item["interface"],
                    item.get("ipv4"),
                    item.get("mac"),
                    item.get("ipv6"),
                )
            if end.node in SPECIAL_NODES and end.node not in self.nodes:
                self.error(
                    end_key,
                    f"{end}: links to containerlab's {end.node!r} endpoint leave the lab; "
                    "netsim links lab nodes only",
                )
            elif end.node not in self.nodes:
                self.error(end_key, f"unknown node {end.node!r}")
            if len(end.interface) > IFNAME_MAX:
                self.error(end_key, f"interface name longer than {IFNAME_MAX} characters")
            ends.append(end)
        return ends[0], ends[1]

    def check(self, links: list[tuple[int, ClabLink]]) -> None:
        seen_ends: dict[tuple[str, str], int] = {}
        seen_names: dict[str, int] = {}
        for index, link in links:
            key: KeyPath = ("topology", "links", index)
            if link.name in seen_names:
                self.error(key, f"link name {link.name!r} used twice (set vars.name)")
            seen_names[link.name] = index
            for end in link.endpoints:
                ident = (end.node, end.interface)
                if ident in seen_ends:
                    self.error(key, f"interface {end} is already used by another link")
                seen_ends[ident] = index


def shaping_of(link: ClabLink) -> tuple[LinkParams, LinkParams]:
    """What each direction of ``link`` does to packets (index 0: leaving ``a``)."""
    return (link.egress(0), link.egress(1))

"""BGP-like path selection over the routed overlay (architecture section 4).

For each (source, destination) the chosen path is the usable one with the highest
*preference*, then the fewest hops, then the smallest link names (a stable tie-break). A
path's preference is that of its least preferred link: VPN-learned routes stay less
preferred everywhere they are propagated, as if tagged with a community (see
docs/design.md). Underlay links carry only tunnels and are never routed.

This is a pure function of the topology and the set of links the control plane believes
are down; :class:`RouteTable` caches it per down-set.

Examples
--------
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> best_path(topo, "aws", "gcp", frozenset())
('aws-mcr', 'gcp-mcr')
>>> best_path(topo, "aws", "gcp", frozenset({"aws-mcr"}))
('vpn-aws-gcp',)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.model.topology import Link, Topology

Path = tuple[str, ...]  # link names from source to destination


def _adjacency(links: tuple[Link, ...]) -> dict[str, list[tuple[str, Link]]]:
    adj: dict[str, list[tuple[str, Link]]] = {}
    for link in sorted(links, key=lambda x: x.name):
        a, b = link.endpoints
        adj.setdefault(a, []).append((b, link))
        adj.setdefault(b, []).append((a, link))
    return adj


def _bfs(
    adj: dict[str, list[tuple[str, Link]]],
    src: str,
    dst: str,
    min_pref: int,
    excluded: frozenset[str],
) -> Path | None:
    parent: dict[str, tuple[str, str] | None] = {src: None}
    queue = deque([src])
    while queue:
        node = queue.popleft()
        if node == dst:
            hops: list[str] = []
            cur = dst
            while (step := parent[cur]) is not None:
                cur, link_name = step
                hops.append(link_name)
            return tuple(reversed(hops))
        for nxt, link in adj.get(node, ()):
            if nxt in parent or link.name in excluded or link.preference < min_pref:
                continue
            parent[nxt] = (node, link.name)
            queue.append(nxt)
    return None


def best_path(topology: Topology, src: str, dst: str, down: frozenset[str]) -> Path | None:
    """The preferred usable path from ``src`` to ``dst`` avoiding the links in ``down``."""
    links = tuple(link for link in topology.routed_links if link.name not in down)
    adj = _adjacency(links)
    for pref in sorted({link.preference for link in links}, reverse=True):
        path = _bfs(adj, src, dst, pref, down)
        if path is not None:
            return path
    return None


def path_preference(topology: Topology, path: Path) -> int:
    """The preference of a path: that of its least preferred link."""
    return min(topology.link(name).preference for name in path)


@dataclass
class RouteTable:
    """Best paths for every ordered pair, cached per set of links believed down."""

    topology: Topology
    pairs: tuple[tuple[str, str], ...]
    _cache: dict[frozenset[str], dict[tuple[str, str], Path | None]] = field(default_factory=dict)

    def routes(self, down: frozenset[str]) -> dict[tuple[str, str], Path | None]:
        table = self._cache.get(down)
        if table is None:
            table = {(s, d): best_path(self.topology, s, d, down) for s, d in self.pairs}
            self._cache[down] = table
        return table


def directed_hops(topology: Topology, src: str, path: Path) -> list[tuple[str, int]]:
    """``[(link, direction)]`` where direction 0 means endpoints[0] -> endpoints[1]."""
    hops = []
    node = src
    for name in path:
        link = topology.link(name)
        direction = 0 if link.endpoints[0] == node else 1
        hops.append((name, direction))
        node = link.endpoints[1 - direction]
    return hops

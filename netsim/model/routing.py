"""BGP-like path selection over the routed overlay (architecture section 4).

For each (source, destination) the chosen paths are the usable ones that rank best:

1. the highest *preference*; a path's preference is that of its least preferred link, so
   VPN-learned routes stay less preferred everywhere they are propagated, as if tagged with
   a community (see docs/design.md);
2. then the shortest *AS path*: each hop into a node of another AS (a node without an
   ``asn`` is an AS of its own) adds one, and a link's ``prepend`` adds its count;
3. then the fewest hops.

A path never crosses a node that does not carry transit (:attr:`Node.carries_transit`:
clouds by default), and underlay links carry only tunnels and are never routed. Among
equally ranked paths every node keeps the first ``max_paths`` next hops in link-name order
(one by default: a stable tie-break) and hashes flows evenly over them, so a pair's
:class:`Route` is one path, or several with the share of flows each gets (BGP multipath).

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

Clouds carry no transit: with both aws-side links to gcp down, nothing goes through azure.

>>> best_path(topo, "aws", "gcp", frozenset({"aws-mcr", "vpn-aws-gcp"})) is None
True
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model.topology import Link, Node, Topology

Path = tuple[str, ...]  # link names from source to destination
Cost = tuple[int, int]  # (AS-path length, hops) towards the destination
NETS_CACHED = 64  # topologies whose overlay is kept


@dataclass(frozen=True, slots=True)
class Route:
    """The paths a pair's traffic takes and the share of flows hashed onto each.

    ``paths[0]`` is the one a router without multipath would take. Shares are per-node
    hashing made global: a node with ``k`` equal next hops sends ``1/k`` of the flows it
    forwards to each.

    >>> r = Route((("a",), ("b",)), (0.5, 0.5))
    >>> r.pick(0.2), r.pick(0.7), sorted(r.links)
    (('a',), ('b',), ['a', 'b'])
    >>> Route.single(("x", "y")).to_json(), r.to_json()
    (['x', 'y'], [['a'], ['b']])
    """

    paths: tuple[Path, ...]
    shares: tuple[float, ...]

    @classmethod
    def single(cls, path: Path) -> Route:
        return cls((path,), (1.0,))

    @property
    def primary(self) -> Path:
        return self.paths[0]

    @property
    def multipath(self) -> bool:
        return len(self.paths) > 1

    @property
    def links(self) -> frozenset[str]:
        return frozenset(name for path in self.paths for name in path)

    @property
    def bounds(self) -> tuple[float, ...]:
        """Cumulative shares: a flow hashed to ``u`` in [0, 1) takes the first path whose
        bound exceeds ``u``."""
        return tuple(itertools.accumulate(self.shares))

    def pick(self, u: float) -> Path:
        """The path of a flow whose hash is ``u`` in [0, 1)."""
        i = bisect.bisect_right(self.bounds, u)
        return self.paths[min(i, len(self.paths) - 1)]

    def to_json(self) -> list[str] | list[list[str]]:
        """One path as a list of link names (as before multipath); several as a list of them."""
        if not self.multipath:
            return list(self.primary)
        return [list(p) for p in self.paths]

    @classmethod
    def of(cls, paths: list[Path] | tuple[Path, ...]) -> Route:
        """A route over ``paths`` (in order) with the shares per-node hashing gives them:
        wherever the paths part, the flows split evenly over the next links.

        >>> Route.of([("a", "b"), ("a", "c"), ("d",)]).shares
        (0.25, 0.25, 0.5)
        """
        prefixes: dict[Path, set[str]] = {}
        for path in paths:
            for i, name in enumerate(path):
                prefixes.setdefault(path[:i], set()).add(name)
        shares = []
        for path in paths:
            share = 1.0
            for i in range(len(path)):
                share /= len(prefixes[path[:i]])
            shares.append(share)
        return cls(tuple(paths), tuple(shares))


Routes = dict[tuple[str, str], Route | None]  # (src, dst) -> route in use (None: no route)


@dataclass(frozen=True)
class _Net:
    """The routed overlay as adjacency lists (neighbours in link-name order)."""

    nodes: dict[str, Node]
    adj: dict[str, list[tuple[str, Link]]]
    prefs: tuple[int, ...]  # distinct link preferences, highest first
    opaque: frozenset[str] = frozenset()  # nodes paths may end at but not cross
    steps: dict[str, int] = field(default_factory=dict)  # as_step of each link (symmetric)


_NETS: dict[int, tuple[Topology, _Net]] = {}  # by identity: see _net


def _net(topology: Topology) -> _Net:
    """The overlay of ``topology``, cached by identity: a topology's (dataclass) hash walks
    every node and link, and hashing it on each route made a 20-region availability run
    spend most of its time there. The cache holds the topology, so an id is not reused."""
    hit = _NETS.get(id(topology))
    if hit is not None and hit[0] is topology:
        return hit[1]
    if len(_NETS) >= NETS_CACHED:
        _NETS.clear()
    net = _overlay(topology)
    _NETS[id(topology)] = (topology, net)
    return net


def _overlay(topology: Topology) -> _Net:
    adj: dict[str, list[tuple[str, Link]]] = {n: [] for n in topology.node_names}
    links = topology.routed_links
    for link in sorted(links, key=lambda x: x.name):
        a, b = link.endpoints
        adj.setdefault(a, []).append((b, link))
        adj.setdefault(b, []).append((a, link))
    prefs = tuple(sorted({link.preference for link in links}, reverse=True))
    nodes = {n.name: n for n in topology.nodes}
    opaque = frozenset(n.name for n in topology.nodes if not n.carries_transit)
    steps = {
        link.name: as_step(nodes.get(link.endpoints[0]), nodes.get(link.endpoints[1]), link)
        for link in links
    }
    return _Net(nodes, adj, prefs, opaque, steps)


def as_step(here: Node | None, there: Node | None, link: Link) -> int:
    """AS-path length a hop from ``here`` into ``there`` over ``link`` adds to a route.

    One for entering another AS (a node without an ``asn`` is an AS of its own), none within
    one AS (iBGP), plus the link's ``prepend``.
    """
    same = (
        here is not None and there is not None and there.asn is not None and there.asn == here.asn
    )
    return (0 if same else 1) + link.prepend


@dataclass
class _Router:
    """Best paths over one down-set, with distances cached per (destination, level)."""

    topology: Topology
    down: frozenset[str]
    _dist: dict[tuple[str, int], dict[str, Cost]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.net = _net(self.topology)

    def dist(self, dst: str, level: int) -> dict[str, Cost]:
        """Best (AS-path length, hops) from every node to ``dst`` over links of at least
        ``level``, through transit nodes only (Dijkstra backwards from ``dst``)."""
        key = (dst, level)
        if key in self._dist:
            return self._dist[key]
        opaque, steps, down = self.net.opaque, self.net.steps, self.down
        dist: dict[str, Cost] = {dst: (0, 0)}
        heap: list[tuple[Cost, str]] = [((0, 0), dst)]
        while heap:
            cost, there = heapq.heappop(heap)
            if cost > dist[there] or (there != dst and there in opaque):
                continue
            for here, link in self.net.adj.get(there, ()):
                if link.preference < level or link.name in down:  # not usable
                    continue
                step = steps[link.name]
                cand = (cost[0] + step, cost[1] + 1)
                if here not in dist or cand < dist[here]:
                    dist[here] = cand
                    heapq.heappush(heap, (cand, here))
        self._dist[key] = dist
        return dist

    def route(self, src: str, dst: str) -> Route | None:
        """The pair's route: its best paths, pruned to each node's ``max_paths``."""
        if src == dst:
            return None
        for level in self.net.prefs:
            dist = self.dist(dst, level)
            if src in dist:
                paths = self._walk(src, dst, level, dist)
                return Route.of(paths)
        return None

    def _walk(self, src: str, dst: str, level: int, dist: dict[str, Cost]) -> list[Path]:
        """Follow the best-cost successors from ``src``, keeping ``max_paths`` at each node."""
        nodes, opaque, steps, down = self.net.nodes, self.net.opaque, self.net.steps, self.down
        out: list[Path] = []

        def go(here: str, path: Path) -> None:
            if here == dst:
                out.append(path)
                return
            nexts = []
            for there, link in self.net.adj.get(here, ()):
                if there not in dist or link.preference < level or link.name in down:
                    continue
                if there != dst and there in opaque:
                    continue
                step = steps[link.name]
                if (dist[there][0] + step, dist[there][1] + 1) == dist[here]:
                    nexts.append((there, link.name))
            node = nodes.get(here)
            for there, name in nexts[: node.max_paths if node is not None else 1]:
                go(there, (*path, name))

        go(src, ())
        return out


def router(topology: Topology, down: frozenset[str]) -> Callable[[str, str], Route | None]:
    """Routes of any pair avoiding the links in ``down``, with each destination's distances
    computed once (many pairs over one down-set: availability of every pair)."""
    return _Router(topology, frozenset(down)).route


def route(topology: Topology, src: str, dst: str, down: frozenset[str]) -> Route | None:
    """The route from ``src`` to ``dst`` avoiding the links in ``down`` (None: no path)."""
    return _Router(topology, frozenset(down)).route(src, dst)


def best_path(topology: Topology, src: str, dst: str, down: frozenset[str]) -> Path | None:
    """The preferred usable path from ``src`` to ``dst`` avoiding the links in ``down``
    (the first path of its :func:`route`: the one a router without multipath takes)."""
    found = route(topology, src, dst, down)
    return None if found is None else found.primary


def path_preference(topology: Topology, path: Path) -> int:
    """The preference of a path: that of its least preferred link."""
    return min(topology.link(name).preference for name in path)


def as_path_length(topology: Topology, src: str, path: Path) -> int:
    """The AS-path length of ``path`` as ``src`` sees the route (see :func:`as_step`).

    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> as_path_length(topo, "aws", ("aws-mcr", "gcp-mcr"))
    2
    """
    total, node = 0, src
    for name in path:
        link = topology.link(name)
        nxt = link.other(node)
        total += as_step(topology.node(node), topology.node(nxt), link)
        node = nxt
    return total


@dataclass
class RouteTable:
    """Routes for every ordered pair, cached per set of links believed down."""

    topology: Topology
    pairs: tuple[tuple[str, str], ...]
    _cache: dict[frozenset[str], Routes] = field(default_factory=dict)

    def routes(self, down: frozenset[str]) -> Routes:
        table = self._cache.get(down)
        if table is None:
            router = _Router(self.topology, down)
            table = {(s, d): router.route(s, d) for s, d in self.pairs}
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


def path_nodes(topology: Topology, src: str, path: Path) -> list[str]:
    """The nodes ``path`` visits from ``src``, ``src`` first and the destination last."""
    nodes = [src]
    for name in path:
        nodes.append(topology.link(name).other(nodes[-1]))
    return nodes


__all__ = [
    "Path",
    "Route",
    "RouteTable",
    "Routes",
    "as_path_length",
    "as_step",
    "best_path",
    "directed_hops",
    "path_nodes",
    "path_preference",
    "route",
    "router",
]

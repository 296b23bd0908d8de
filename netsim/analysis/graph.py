"""The topology as a graph: single points of failure and closed-form availability.

Pure functions of a :class:`~netsim.model.topology.Topology` (no simulation). The routed
overlay (interconnects, VPN tunnels, routed internet links; never the underlay that only
carries tunnels) becomes a :class:`networkx.MultiGraph`; its *primary layer* is the set of
links with the highest preference, i.e. the path BGP uses while nothing has failed.

Two views of a single point of failure are given. :func:`graph_spofs` is the
graph-theoretic one (networkx bridges and articulation points of a layer).
:func:`pair_spofs` is the failure-model one: the *components* (a link, a node, a
shared-risk group, each with its own mtbf/mttr) whose failure alone disconnects a pair of
clouds, with the knock-on effects of the model (a node fails its links, a group its members,
an underlay link every tunnel over it).

Availability assumes independent components, each an alternating renewal process with
steady-state availability ``mtbf / (mtbf + E[mttr])``. :func:`pair_availability` is exact
under that assumption (pivotal decomposition, which reduces to the series/parallel formulas
whenever the structure is series/parallel); :func:`path_availability` is the series figure of
one path.

Examples
--------
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> graph_spofs(topo, layer="primary").articulation_points
('mcr',)
>>> [c.name for c in pair_spofs(topo, "aws", "gcp", layer="primary")]
['aws-mcr', 'gcp-mcr', 'mcr', 'megaport-mcr']
>>> pair_spofs(topo, "aws", "gcp")
()
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from netsim.model.topology import Topology

DEFAULT_MTTR_S = 4 * 3600.0  # as the simulator's random failures (sim/arrivals.py)
MINUTES_PER_YEAR = 365.25 * 24 * 60


@dataclass(frozen=True, slots=True)
class Component:
    """Something that fails as one: a link, a node or a shared-risk group."""

    name: str
    kind: str  # "link" | "node" | "group"
    availability: float  # steady state; 1.0 if it has no mtbf
    links: frozenset[str]  # routed links it takes down when it fails


@dataclass(frozen=True, slots=True)
class Spofs:
    layer: str
    bridges: tuple[str, ...]  # link names
    articulation_points: tuple[str, ...]


def series(*availabilities: float) -> float:
    """Availability of elements that must all be up.

    >>> round(series(0.9999, 0.9999, 0.9999), 6)
    0.9997
    """
    return math.prod(availabilities)


def parallel(*availabilities: float) -> float:
    """Availability of elements of which one is enough.

    >>> round(parallel(0.99, 0.99), 6)
    0.9999
    """
    return 1.0 - math.prod(1.0 - a for a in availabilities)


def steady_state(mtbf: float | None, mttr_mean: float) -> float:
    """``mtbf / (mtbf + mttr)``; 1.0 for a component that never fails.

    >>> round(steady_state(8760 * 3600.0, 4 * 3600.0), 6)
    0.999544
    """
    if not mtbf:
        return 1.0
    return mtbf / (mtbf + mttr_mean)


def downtime_minutes_per_year(availability: float) -> float:
    """Minutes per year a component of this availability is down.

    >>> round(downtime_minutes_per_year(0.9999), 1)
    52.6
    """
    return (1.0 - availability) * MINUTES_PER_YEAR


def primary_preference(topology: Topology) -> int:
    return max((link.preference for link in topology.routed_links), default=0)


def layer_links(topology: Topology, layer: str = "overlay") -> tuple[str, ...]:
    """Routed link names of a layer: ``overlay`` (all routed) or ``primary`` (top preference)."""
    links = topology.routed_links
    if layer == "primary":
        top = primary_preference(topology)
        links = tuple(link for link in links if link.preference == top)
    elif layer != "overlay":
        raise ValueError(f"unknown layer {layer!r} (overlay | primary)")
    return tuple(link.name for link in links)


def routed_graph(topology: Topology, layer: str = "overlay") -> nx.MultiGraph:
    """A MultiGraph of the layer: nodes carry ``role``, edges ``key=name``, ``kind``,
    ``capacity``, ``preference``."""
    g = nx.MultiGraph(name=topology.name)
    for node in topology.nodes:
        g.add_node(node.name, role=node.role.value if node.role else None)
    for name in layer_links(topology, layer):
        link = topology.link(name)
        g.add_edge(
            *link.endpoints,
            key=name,
            kind=link.kind.value,
            capacity=link.capacity,
            preference=link.preference,
        )
    return g


def graph_spofs(topology: Topology, layer: str = "primary") -> Spofs:
    """Bridges and articulation points of a layer, among the nodes it actually connects.

    Parallel links between the same two nodes are never bridges.
    """
    g = routed_graph(topology, layer)
    g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    simple = nx.Graph(g)
    bridges = sorted(
        key for a, b in nx.bridges(simple) for key in g[a][b] if g.number_of_edges(a, b) == 1
    )
    points = sorted(nx.articulation_points(simple))
    return Spofs(layer, tuple(bridges), tuple(points))


def components(topology: Topology) -> tuple[Component, ...]:
    """Every element that can fail, with what it takes down (underlay -> tunnels)."""
    users: dict[str, set[str]] = {}
    for link in topology.links:
        for u in link.underlay:
            users.setdefault(u, set()).add(link.name)

    def effect(links: set[str]) -> frozenset[str]:
        out = set(links)
        for name in links:
            out |= users.get(name, set())
        return frozenset(out)

    out = []
    for link in topology.links:
        mttr = link.mttr.mean() if link.mttr else DEFAULT_MTTR_S
        out.append(Component(link.name, "link", steady_state(link.mtbf, mttr), effect({link.name})))
    for node in topology.nodes:
        mttr = node.mttr.mean() if node.mttr else DEFAULT_MTTR_S
        out.append(
            Component(
                node.name,
                "node",
                steady_state(node.mtbf, mttr),
                effect({x.name for x in topology.links_of(node.name)}),
            )
        )
    for group in topology.groups:
        mttr = group.mttr.mean() if group.mttr else DEFAULT_MTTR_S
        members = set(group.links)
        for n in group.nodes:
            members |= {x.name for x in topology.links_of(n)}
        out.append(Component(group.name, "group", steady_state(group.mtbf, mttr), effect(members)))
    return tuple(out)


class Reach:
    """Whether ``a`` and ``b`` stay joined as links die: the live routed links of
    ``links`` between nodes that carry transit (``a`` and ``b`` always), built once and
    asked many times (:func:`pair_availability` asks for every branch of its
    decomposition)."""

    def __init__(
        self, topology: Topology, a: str, b: str, links: tuple[str, ...] | None = None
    ) -> None:
        transit = {n.name for n in topology.nodes if n.carries_transit} | {a, b}
        self.a, self.b = a, b
        self.edges: list[tuple[str, str, str]] = []
        for name in links if links is not None else layer_links(topology):
            u, v = topology.link(name).endpoints
            if u in transit and v in transit:
                self.edges.append((name, u, v))

    def joined(self, dead: frozenset[str]) -> bool:
        """A search from ``a`` over the links not in ``dead``."""
        adjacent: dict[str, list[str]] = {}
        for name, u, v in self.edges:
            if name not in dead:
                adjacent.setdefault(u, []).append(v)
                adjacent.setdefault(v, []).append(u)
        seen, todo = {self.a}, [self.a]
        while todo:
            for nxt in adjacent.get(todo.pop(), ()):
                if nxt == self.b:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return self.a == self.b

    def between(self, dead: frozenset[str]) -> frozenset[str] | None:
        """The live links on some simple path from ``a`` to ``b`` (None: none joins them).

        A simple path stays within the blocks (biconnected components) that the path from
        ``a`` to ``b`` crosses in the block-cut tree; a link outside them (a spur, a loop
        hanging off one node) can fail or not without changing whether the pair is joined.
        """
        names: dict[tuple[str, str], list[str]] = {}
        for name, u, v in self.edges:
            if name not in dead and u != v:
                names.setdefault(_pair(u, v), []).append(name)
        g = nx.Graph(list(names))
        if self.a not in g or self.b not in g or not nx.has_path(g, self.a, self.b):
            return None
        h = g.subgraph(nx.node_connected_component(g, self.a))
        cuts = set(nx.articulation_points(h)) | {self.a, self.b}
        blocks = [list(edges) for edges in nx.biconnected_component_edges(h)]
        tree = nx.Graph()
        for i, edges in enumerate(blocks):
            for n in {n for edge in edges for n in edge} & cuts:
                tree.add_edge(("block", i), n)
        out: set[str] = set()
        for hop in nx.shortest_path(tree, self.a, self.b):
            if isinstance(hop, tuple):
                for u, v in blocks[hop[1]]:
                    out.update(names[_pair(u, v)])
        return frozenset(out)


def _pair(u: str, v: str) -> tuple[str, str]:
    """An undirected edge's key: its ends in order."""
    return (u, v) if u < v else (v, u)


def connected(
    topology: Topology, a: str, b: str, dead: frozenset[str], links: tuple[str, ...] | None = None
) -> bool:
    """Whether some path of live routed links joins ``a`` and ``b`` through nodes that carry
    transit (:attr:`~netsim.model.topology.Node.carries_transit`; ``a`` and ``b`` always)."""
    return Reach(topology, a, b, links).joined(dead)


def pair_spofs(topology: Topology, a: str, b: str, layer: str = "overlay") -> tuple[Component, ...]:
    """Components whose failure alone disconnects ``a`` from ``b`` within ``layer``.

    Every component counts here, whether or not it has an mtbf (it can still fail), except
    the two endpoints themselves.
    """
    reach = Reach(topology, a, b, layer_links(topology, layer))
    if not reach.joined(frozenset()):
        return ()
    return tuple(
        sorted(
            (
                c
                for c in components(topology)
                if not (c.kind == "node" and c.name in (a, b)) and not reach.joined(c.links)
            ),
            key=lambda c: c.name,
        )
    )


def pair_availability(topology: Topology, a: str, b: str, layer: str = "overlay") -> float:
    """Probability that ``a`` and ``b`` are joined by live links of ``layer``, with every
    component independent (exact, by pivotal decomposition).

    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> primary = pair_availability(topo, "aws", "gcp", layer="primary")
    >>> path = path_availability(topo, ("aws-mcr", "gcp-mcr"), "aws")
    >>> abs(primary - path) < 1e-12
    True
    >>> pair_availability(topo, "aws", "gcp") > primary
    True
    """
    links = layer_links(topology, layer)
    relevant = [
        c for c in components(topology) if c.availability < 1.0 and c.links.intersection(links)
    ]

    reach = Reach(topology, a, b, links)
    # what the components from i on can take down, together: one union per i, not per call
    later = [frozenset().union(*(c.links for c in relevant[i:])) for i in range(len(relevant) + 1)]
    known: dict[tuple[frozenset[str], int], float] = {}

    def solve(dead: frozenset[str], i: int) -> float:
        # Whether the pair stays joined depends only on the live links that lie on some
        # path between them (Reach.between): a component none of whose links is among
        # them is skipped, and branches that leave the same such links (they meet again
        # wherever components overlap: a node and its links, a group and its members, or
        # a spur cut off) are solved once.
        on_paths = reach.between(dead)
        if on_paths is None:
            return 0.0
        while i < len(relevant) and not relevant[i].links & on_paths:
            i += 1
        if (on_paths, i) in known:
            return known[(on_paths, i)]
        if i == len(relevant) or reach.joined(dead | later[i]):
            out = 1.0
        else:
            c = relevant[i]
            out = c.availability * solve(dead, i + 1) + (1.0 - c.availability) * solve(
                dead | c.links, i + 1
            )
        known[(on_paths, i)] = out
        return out

    return solve(frozenset(), 0)


def path_components(topology: Topology, path: tuple[str, ...], src: str) -> tuple[Component, ...]:
    """The components a path depends on: its links, their underlay, the shared-risk groups
    and the nodes (with an mtbf) along it; in path order, each once."""
    nodes = [src]
    for name in path:
        nodes.append(topology.link(name).other(nodes[-1]))
    out: dict[str, Component] = {}
    for c in components(topology):
        on_path = (
            c.name in nodes and c.availability < 1.0
            if c.kind == "node"
            else bool(c.links.intersection(path))
        )
        if on_path:
            out[c.name] = c
    return tuple(sorted(out.values(), key=lambda c: _order(c, path)))


def _order(c: Component, path: tuple[str, ...]) -> tuple[int, str]:
    hits = [i for i, name in enumerate(path) if name in c.links]
    return (min(hits) if hits else len(path), c.name)


def path_availability(topology: Topology, path: tuple[str, ...], src: str) -> float:
    """Series availability of one path (:func:`path_components`)."""
    return series(*(c.availability for c in path_components(topology, path, src)))


def cloud_pairs(topology: Topology) -> list[tuple[str, str]]:
    """Unordered pairs of the nodes availability is reported for (role cloud, else all)."""
    return list(itertools.combinations(topology.endpoints_of(), 2))


def closed_form(topology: Topology) -> dict[str, object]:
    """Closed-form availability per cloud pair in the shape of ``netsim availability --json``
    (``simulated`` and ``ci`` are None: no Monte Carlo here).

    >>> from netsim.model import load_topology
    >>> doc = closed_form(load_topology("topologies/megaport-hub.yaml"))
    >>> [(p["a"], p["b"]) for p in doc["pairs"]]
    [('aws', 'gcp'), ('aws', 'azure'), ('gcp', 'azure')]
    """
    pairs = []
    for a, b in cloud_pairs(topology):
        avail = pair_availability(topology, a, b)
        down = downtime_minutes_per_year(avail)
        pairs.append(
            {
                "a": a,
                "b": b,
                "simulated": None,
                "ci": None,
                "closed_form": avail,
                "downtime_min_per_year": {"mean": down, "p50": None, "p95": None},
            }
        )
    return {"years": 0, "pairs": pairs}


__all__ = [
    "Component",
    "Spofs",
    "closed_form",
    "cloud_pairs",
    "components",
    "connected",
    "downtime_minutes_per_year",
    "graph_spofs",
    "layer_links",
    "pair_availability",
    "pair_spofs",
    "parallel",
    "path_availability",
    "path_components",
    "primary_preference",
    "routed_graph",
    "series",
    "steady_state",
]

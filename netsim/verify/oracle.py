"""Reference routing and the reachability invariants that any engine must satisfy.

This module does not use :mod:`netsim.model.routing`: it recomputes, with networkx, what
architecture section 4 says routing must give, so that it can judge the simulator's route
tables, and a live lab's, by the same rules:

- :func:`preferred_rank`: the (preference, AS-path length, hops) of the best usable path of
  a pair, where a path's preference is that of its least preferred link, its AS-path length
  counts each hop into another AS (a node without an ``asn`` is one of its own) plus the
  links' ``prepend``, and no path crosses a node that carries no transit (None when the
  surviving routed graph has no such path: a partition);
- :func:`check_routes`: a route table (``{(src, dst): route, path of link names or None}``)
  against the set of broken links: every pair the graph connects is routed, over working
  links and transit nodes, with the best preference, then AS-path length, then hops (every
  path of a multipath route);
- :func:`check_reachability`: the same question for an engine that can only say *whether*
  a pair is reachable (the lab's probes), as ``{(src, dst): bool}``.

Both raise :class:`AssertionError` listing every offending pair.

Examples
--------
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> preferred_rank(topo, "aws", "gcp", frozenset())
(100, 2, 2)
>>> preferred_rank(topo, "aws", "gcp", frozenset({"gcp-mcr"}))
(50, 1, 1)
>>> preferred_rank(topo, "aws", "gcp", frozenset({"aws-mcr", "vpn-aws-gcp"})) is None  # no transit
True
>>> check_routes(topo, {("aws", "gcp"): ("vpn-aws-gcp",)}, frozenset())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: 1 route(s) break the routing invariant:
  aws->gcp uses vpn-aws-gcp (preference 50, AS path 1, 1 hops) but a path of preference 100, ...
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from netsim.model.routing import Route
    from netsim.model.topology import Link, Topology

Pair = tuple[str, str]
Rank = tuple[int, int, int]  # (preference, AS-path length, hops)
MAX_SHOWN = 12


def _as_hop(topology: Topology, link: Link) -> int:
    """AS-path length a hop over ``link`` adds, either way: 1 between ASes (a node without
    an asn is an AS of its own), 0 within one, plus the link's ``prepend``."""
    a, b = (topology.node(n).asn for n in link.endpoints)
    return (0 if a is not None and a == b else 1) + link.prepend


def _transit(topology: Topology, node: str) -> bool:
    n = topology.node(node)
    if n.transit is not None:
        return n.transit
    return n.role is None or n.role.value != "cloud"


@lru_cache(maxsize=4096)
def _graphs(topology: Topology, broken: frozenset[str]) -> tuple[tuple[int, nx.MultiGraph], ...]:
    """One multigraph per preference level: surviving routed links of at least that level,
    weighted ``AS hops * scale + 1`` so that one shortest path length holds both."""
    links = [link for link in topology.routed_links if link.name not in broken]
    scale = _scale(topology)
    out = []
    for pref in sorted({link.preference for link in links}, reverse=True):
        g = nx.MultiGraph()
        g.add_nodes_from(topology.node_names)
        for link in links:
            if link.preference >= pref:
                g.add_edge(
                    *link.endpoints, key=link.name, weight=_as_hop(topology, link) * scale + 1
                )
        out.append((pref, g))
    return tuple(out)


def _scale(topology: Topology) -> int:
    return len(topology.nodes) + 1  # more than any simple path's hops


def _allowed(topology: Topology, g: nx.MultiGraph, src: str, dst: str) -> nx.MultiGraph:
    """``g`` without the nodes that carry no transit (other than the pair's own)."""
    keep = [n for n in g.nodes if n in (src, dst) or _transit(topology, n)]
    return g.subgraph(keep)


def preferred_rank(topology: Topology, src: str, dst: str, broken: frozenset[str]) -> Rank | None:
    """(preference, AS-path length, hops) of the best usable ``src -> dst`` path, or None
    if there is none."""
    return ranks_from(topology, _graphs(topology, frozenset(broken)), src).get(dst)


def ranks_from(
    topology: Topology, graphs: tuple[tuple[int, nx.MultiGraph], ...], src: str
) -> dict[str, Rank]:
    """:func:`preferred_rank` from ``src`` to every node it reaches: one shortest-path
    search per preference level, shared by all the pairs of a source (a 20-region design
    has 380 pairs but 20 sources). Paths cross only transit nodes: the search runs on
    ``src`` and the transit nodes, and a node that carries no transit is reached by its
    last hop from there."""
    scale = _scale(topology)
    out: dict[str, Rank] = {}
    for pref, g in graphs:
        keep = [n for n in g.nodes if n == src or _transit(topology, n)]
        dist = nx.single_source_dijkstra_path_length(g.subgraph(keep), src, weight="weight")
        best: dict[str, int] = {n: int(d) for n, d in dist.items() if n != src}
        for node in g.nodes:
            if node == src or node in best:
                continue
            ends = [
                int(dist[u]) + min(int(e["weight"]) for e in g[u][node].values())
                for u in g.neighbors(node)
                if u in dist
            ]
            if ends:
                best[node] = min(ends)
        for dst, total in best.items():
            out.setdefault(dst, (pref, total // scale, total % scale))
    return out


def example_path(
    topology: Topology, src: str, dst: str, broken: frozenset[str]
) -> tuple[str, ...] | None:
    """One path of :func:`preferred_rank` (link names), for messages."""
    rank = preferred_rank(topology, src, dst, broken)
    if rank is None:
        return None
    for pref, g in _graphs(topology, frozenset(broken)):
        if pref == rank[0]:
            sub = _allowed(topology, g, src, dst)
            nodes = nx.shortest_path(sub, src, dst, weight="weight")
            return tuple(
                min(g.get_edge_data(a, b).items(), key=lambda kv: (kv[1]["weight"], kv[0]))[0]
                for a, b in itertools.pairwise(nodes)
            )
    return None


def path_problem(
    topology: Topology, src: str, dst: str, path: Iterable[str], broken: frozenset[str]
) -> str | None:
    """Why ``path`` is not a usable ``src -> dst`` path, or None if it is one."""
    routed = {link.name for link in topology.routed_links}
    node, seen = src, {src}
    for name in path:
        why = _hop_problem(topology, name, node, src, routed=routed, broken=broken)
        if why is not None:
            return why
        node = topology.link(name).other(node)
        if node in seen:
            return f"it visits {node} twice"
        seen.add(node)
    return None if node == dst else f"it ends at {node}, not {dst}"


def _hop_problem(
    topology: Topology,
    name: str,
    node: str,
    src: str,
    *,
    routed: set[str],
    broken: frozenset[str],
) -> str | None:
    """Why a path cannot leave ``node`` over link ``name``, or None."""
    if name not in routed:
        return f"{name} is not a routed link"
    if name in broken:
        return f"it crosses {name}, which is not forwarding"
    if node not in topology.link(name).endpoints:
        return f"{name} does not touch {node}"
    if node != src and not _transit(topology, node):
        return f"it crosses {node}, which carries no transit"
    return None


def path_rank(topology: Topology, path: tuple[str, ...]) -> Rank:
    """(preference, AS-path length, hops) of a path."""
    links = [topology.link(n) for n in path]
    return (
        min(link.preference for link in links),
        sum(_as_hop(topology, link) for link in links),
        len(links),
    )


def _paths(route: Route | tuple[str, ...] | None) -> list[tuple[str, ...]]:
    """The paths of a route table entry: a Route's, or one plain path (the lab's)."""
    if route is None:
        return []
    if isinstance(route, tuple):
        return [route] if route else []
    return list(route.paths)


def route_problems(
    topology: Topology,
    routes: Mapping[Pair, Route | tuple[str, ...] | None],
    broken: frozenset[str],
    pairs: Iterable[Pair] | None = None,
) -> list[str]:
    """Every way ``routes`` break the routing invariant, one sentence per pair."""
    problems = []
    graphs = _graphs(topology, frozenset(broken))
    ranks: dict[str, dict[str, Rank]] = {}
    for src, dst in sorted(pairs if pairs is not None else routes):
        paths = _paths(routes.get((src, dst)))
        if src not in ranks:
            ranks[src] = ranks_from(topology, graphs, src)
        rank = ranks[src].get(dst)
        where = f"{src}->{dst}"
        if rank is None:
            if paths:
                problems.append(
                    f"{where} is routed over {' '.join(paths[0])} although no path survives"
                )
            continue
        if not paths:
            ex = example_path(topology, src, dst, broken)
            problems.append(f"{where} has no route although {' '.join(ex or ())} survives")
            continue
        for path in paths:
            why = path_problem(topology, src, dst, path, broken)
            if why is not None:
                problems.append(f"{where} uses {' '.join(path)}, which is unusable: {why}")
                break
            got = path_rank(topology, path)
            if got != rank:
                ex = example_path(topology, src, dst, broken)
                problems.append(
                    f"{where} uses {' '.join(path)} (preference {got[0]}, AS path {got[1]}, "
                    f"{got[2]} hops) but a path of preference {rank[0]}, AS path {rank[1]}, "
                    f"{rank[2]} hops survives (e.g. {' '.join(ex or ())})"
                )
                break
    return problems


def fail(name: str, problems: list[str]) -> None:
    """Raise the AssertionError of invariant ``name`` listing ``problems`` (if any)."""
    if problems:
        more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        raise AssertionError(
            f"{name}: {len(problems)} violation(s)\n  " + "\n  ".join(problems[:MAX_SHOWN]) + more
        )


def _raise(problems: list[str], what: str, context: str = "") -> None:
    if not problems:
        return
    shown = problems[:MAX_SHOWN]
    more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    head = f"{len(problems)} {what}" + (f" {context}" if context else "") + ":"
    raise AssertionError(head + "\n  " + "\n  ".join(shown) + more)


def check_routes(
    topology: Topology,
    routes: Mapping[Pair, Route | tuple[str, ...] | None],
    broken: frozenset[str] | set[str],
    pairs: Iterable[Pair] | None = None,
    context: str = "",
) -> None:
    """Assert that ``routes`` are the preferred surviving paths when ``broken`` links fail.

    ``routes`` maps (src, dst) to a :class:`~netsim.model.routing.Route` or a tuple of link
    names (or None for no route); ``pairs`` defaults to the keys of ``routes``. Ties
    between equally good paths are not judged (nor how many a multipath route keeps).
    """
    _raise(
        route_problems(topology, routes, frozenset(broken), pairs),
        "route(s) break the routing invariant",
        context,
    )


def check_reachability(
    topology: Topology,
    reachable: Mapping[Pair, bool],
    broken: frozenset[str] | set[str],
    context: str = "",
) -> None:
    """Assert that a pair is reachable exactly when the surviving routed graph connects it.

    The hook for engines that observe only reachability (the lab's probes): ``reachable``
    maps (src, dst) to whether traffic got through after the convergence bound.
    """
    problems = []
    for (src, dst), ok in sorted(reachable.items()):
        connected = preferred_rank(topology, src, dst, frozenset(broken)) is not None
        if connected and not ok:
            ex = example_path(topology, src, dst, frozenset(broken))
            problems.append(f"{src}->{dst} is unreachable although {' '.join(ex or ())} survives")
        elif ok and not connected:
            problems.append(
                f"{src}->{dst} is reachable although the model has no path left "
                f"(broken: {', '.join(sorted(broken))})"
            )
    _raise(problems, "pair(s) break the reachability invariant", context)


__all__ = [
    "check_reachability",
    "check_routes",
    "example_path",
    "fail",
    "path_problem",
    "path_rank",
    "preferred_rank",
    "route_problems",
]

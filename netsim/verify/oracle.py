"""Reference routing and the reachability invariants that any engine must satisfy.

This module does not use :mod:`netsim.model.routing`: it recomputes, with networkx, what
architecture section 4 says routing must give, so that it can judge the simulator's route
tables, and a live lab's, by the same rules:

- :func:`preferred_rank`: the (preference, hops) of the best usable path of a pair, where a
  path's preference is that of its least preferred link (None when the surviving routed
  graph has no path: a partition);
- :func:`check_routes`: a route table (``{(src, dst): path of link names or None}``) against
  the set of broken links: every pair the graph connects is routed, over working links,
  with the best preference and then the fewest hops;
- :func:`check_reachability`: the same question for an engine that can only say *whether*
  a pair is reachable (the lab's probes), as ``{(src, dst): bool}``.

Both raise :class:`AssertionError` listing every offending pair.

Examples
--------
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> preferred_rank(topo, "aws", "gcp", frozenset())
(100, 2)
>>> preferred_rank(topo, "aws", "gcp", frozenset({"gcp-mcr"}))
(50, 1)
>>> check_routes(topo, {("aws", "gcp"): ("vpn-aws-gcp",)}, frozenset())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: 1 route(s) break the routing invariant:
  aws->gcp uses vpn-aws-gcp (preference 50, 1 hops) but a path of preference 100 with 2 ...
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from netsim.model.topology import Topology

Pair = tuple[str, str]
MAX_SHOWN = 12


@lru_cache(maxsize=4096)
def _graphs(topology: Topology, broken: frozenset[str]) -> tuple[tuple[int, nx.MultiGraph], ...]:
    """One multigraph per preference level: surviving routed links of at least that level."""
    links = [link for link in topology.routed_links if link.name not in broken]
    out = []
    for pref in sorted({link.preference for link in links}, reverse=True):
        g = nx.MultiGraph()
        g.add_nodes_from(topology.node_names)
        for link in links:
            if link.preference >= pref:
                g.add_edge(*link.endpoints, key=link.name)
        out.append((pref, g))
    return tuple(out)


def preferred_rank(
    topology: Topology, src: str, dst: str, broken: frozenset[str]
) -> tuple[int, int] | None:
    """(preference, hops) of the best usable ``src -> dst`` path, or None if there is none."""
    return ranks_from(_graphs(topology, frozenset(broken)), src).get(dst)


def ranks_from(
    graphs: tuple[tuple[int, nx.MultiGraph], ...], src: str
) -> dict[str, tuple[int, int]]:
    """:func:`preferred_rank` from ``src`` to every node it reaches: one breadth-first
    search per preference level, shared by all the pairs of a source (a 20-region design
    has 380 pairs but 20 sources)."""
    out: dict[str, tuple[int, int]] = {}
    for pref, g in graphs:
        for dst, hops in nx.single_source_shortest_path_length(g, src).items():
            out.setdefault(dst, (pref, int(hops)))
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
            nodes = nx.shortest_path(g, src, dst)
            return tuple(sorted(g.get_edge_data(a, b))[0] for a, b in itertools.pairwise(nodes))
    return None


def path_problem(
    topology: Topology, src: str, dst: str, path: Iterable[str], broken: frozenset[str]
) -> str | None:
    """Why ``path`` is not a usable ``src -> dst`` path, or None if it is one."""
    routed = {link.name for link in topology.routed_links}
    node, seen = src, {src}
    for name in path:
        if name not in routed:
            return f"{name} is not a routed link"
        if name in broken:
            return f"it crosses {name}, which is not forwarding"
        a, b = topology.link(name).endpoints
        if node not in (a, b):
            return f"{name} does not touch {node}"
        node = b if node == a else a
        if node in seen:
            return f"it visits {node} twice"
        seen.add(node)
    if node != dst:
        return f"it ends at {node}, not {dst}"
    return None


def route_problems(
    topology: Topology,
    routes: Mapping[Pair, tuple[str, ...] | None],
    broken: frozenset[str],
    pairs: Iterable[Pair] | None = None,
) -> list[str]:
    """Every way ``routes`` break the routing invariant, one sentence per pair."""
    problems = []
    graphs = _graphs(topology, frozenset(broken))
    ranks: dict[str, dict[str, tuple[int, int]]] = {}
    for src, dst in sorted(pairs if pairs is not None else routes):
        path = routes.get((src, dst))
        if src not in ranks:
            ranks[src] = ranks_from(graphs, src)
        rank = ranks[src].get(dst)
        where = f"{src}->{dst}"
        if rank is None:
            if path:
                problems.append(
                    f"{where} is routed over {' '.join(path)} although no path survives"
                )
            continue
        if not path:
            ex = example_path(topology, src, dst, broken)
            problems.append(f"{where} has no route although {' '.join(ex or ())} survives")
            continue
        why = path_problem(topology, src, dst, path, broken)
        if why is not None:
            problems.append(f"{where} uses {' '.join(path)}, which is unusable: {why}")
            continue
        got = (min(topology.link(n).preference for n in path), len(path))
        if got != rank:
            ex = example_path(topology, src, dst, broken)
            problems.append(
                f"{where} uses {' '.join(path)} (preference {got[0]}, {got[1]} hops) but a "
                f"path of preference {rank[0]} with {rank[1]} hops survives "
                f"(e.g. {' '.join(ex or ())})"
            )
    return problems


def _raise(problems: list[str], what: str, context: str = "") -> None:
    if not problems:
        return
    shown = problems[:MAX_SHOWN]
    more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    head = f"{len(problems)} {what}" + (f" {context}" if context else "") + ":"
    raise AssertionError(head + "\n  " + "\n  ".join(shown) + more)


def check_routes(
    topology: Topology,
    routes: Mapping[Pair, tuple[str, ...] | None],
    broken: frozenset[str] | set[str],
    pairs: Iterable[Pair] | None = None,
    context: str = "",
) -> None:
    """Assert that ``routes`` are the preferred surviving paths when ``broken`` links fail.

    ``routes`` maps (src, dst) to a tuple of link names (or None for no route); ``pairs``
    defaults to the keys of ``routes``. Ties between equally good paths are not judged.
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
    "path_problem",
    "preferred_rank",
    "route_problems",
]

"""Closed-form pair availability against brute force.

Oracle: with independent components, P(joined) is the sum over every up/down state of the
components of P(state), counted where the links the down ones take with them leave a path
(networkx ``has_path`` on the live links between transit nodes, written here apart from
``graph.Reach``). :func:`pair_availability` prunes and shares branches (links off every
path, branches that leave the same links on paths); it must give that sum. The tolerance is
rounding: the two add the same products in different orders (1e-12 on figures near 1).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import pytest

from netsim.analysis.graph import cloud_pairs, components, layer_links, pair_availability
from netsim.model.design_text import generate_design
from netsim.model.load_topology import read_topology
from netsim.model.source import parse_yaml

if TYPE_CHECKING:
    from netsim.model.topology import Topology

ROOT = Path(__file__).resolve().parents[2]
MAX_COMPONENTS = 16  # 65,536 states: brute force stays a second or two a pair


def brute_force(topology: Topology, a: str, b: str, layer: str) -> float:
    links = layer_links(topology, layer)
    transit = {n.name for n in topology.nodes if n.carries_transit} | {a, b}
    usable = [
        (name, *topology.link(name).endpoints)
        for name in links
        if all(e in transit for e in topology.link(name).endpoints)
    ]
    parts = [c for c in components(topology) if c.availability < 1.0 and c.links & set(links)]
    assert len(parts) <= MAX_COMPONENTS, "too many components to enumerate"
    joined: dict[frozenset[str], bool] = {}
    total = 0.0
    for state in itertools.product((True, False), repeat=len(parts)):
        dead = frozenset().union(*(c.links for c, up in zip(parts, state, strict=True) if not up))
        if dead not in joined:
            g = nx.MultiGraph()
            g.add_nodes_from((a, b))
            g.add_edges_from((u, v) for name, u, v in usable if name not in dead)
            joined[dead] = nx.has_path(g, a, b)
        if joined[dead]:
            p = 1.0
            for c, up in zip(parts, state, strict=True):
                p *= c.availability if up else 1.0 - c.availability
            total += p
    return total


def topology(case: str) -> Topology:
    """A shipped topology by name, or ``sites/hubs/vpn`` of a generated design."""
    if "/" not in case:
        path = ROOT / "topologies" / f"{case}.yaml"
        return read_topology(parse_yaml(path.read_text(), str(path)))
    sites, hubs, vpn = case.split("/")
    design = generate_design(int(sites), hubs=int(hubs), vpn=vpn, seed=3)
    return read_topology(parse_yaml(design.topology, "generated.yaml"))


CASES = ["megaport-hub", "dual-mcr", "3/2/ring", "4/1/mesh", "4/2/ring", "3/1/none"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("layer", ["overlay", "primary"])
def test_pair_availability_is_the_sum_over_every_state(case: str, layer: str) -> None:
    design = topology(case)
    for a, b in cloud_pairs(design):
        exact = brute_force(design, a, b, layer)
        assert pair_availability(design, a, b, layer) == pytest.approx(exact, abs=1e-12), (a, b)

"""Availability of node pairs over many years: Monte Carlo against the closed form.

Every element with an ``mtbf`` (link, node, shared-risk group) alternates between up
(exponential, mean ``mtbf``) and down (``mttr``) over ``years`` simulated years. Failures
act as in the simulator's control plane (:mod:`netsim.sim.control`): a node fails all its
links, a group its member links and nodes (one event: members fail together, the
correlation of a shared risk), an internet underlay link the VPN tunnels over it. Each
fails in its ``failure_mode`` (:func:`netsim.model.effects.random_failure_mode`). A routed
link is *broken* while any cause holds; the control plane learns of it after detection
(carrier loss at once; a blackhole, or a tunnel whose underlay failed, by BFD, hold timer
or DPD, whichever is first) and routes around it ``convergence`` later, until its session
re-establishes after repair (``bgp.reestablish``). A pair's source hears of both the
routing MRAI later: that of the routers between it and the link on the most preferred
path through the link.

A pair of nodes is *down* ("connected" availability) whenever its route crosses a broken
link (from a failure of the preferred path until the switch; any path of a multipath
route: the flows hashed onto it are lost) or no route exists (paths never cross a node
that carries no transit). With a load (``--load SCENARIO``, :mod:`netsim.analysis.demand`)
it is also down, for the *meets the SLO* availability, while its route crosses a link
direction that the declared load of every pair, on the routes of that moment, fills to its
capacity or beyond. All of this is vectorised: per link the broken and routing-down
intervals, per pair one sweep over the sorted change times of the links on its simple
paths (without a load nothing else decides its state) with their states as bit masks
(cumulative XOR), the pair's state per distinct mask pair, and downtime per year by
``bincount``.

The *closed form* is the steady-state probability that some path connects the pair when
every element is independently up with probability ``mtbf / (mtbf + E[mttr])`` (groups
are elements of their own, so their members' correlation is exact): by enumerating the
states of the elements the pair depends on (or by inclusion-exclusion over the minimal
path sets when there are many elements). It ignores detection and convergence, so it is an
upper bound of the simulated figure, equal to it when those are instantaneous.

Examples
--------
Two links in parallel, each up 99 % of the time: ``1 - 0.01**2``.

>>> import numpy as np
>>> from netsim.model.dist import Dist
>>> from netsim.model.topology import Bgp, Link, LinkKind, Node, Role, Topology
>>> def link(name):
...     return Link(name, LinkKind.INTERCONNECT, ("a", "b"), 1e9, Dist.constant(0.001),
...                 Dist.constant(0.0), 100, Bgp(30, 90, 0), mtbf=99.0,
...                 mttr=Dist.constant(1.0))
>>> topo = Topology("p", (Node("a", Role.CLOUD), Node("b", Role.CLOUD)),
...                 (link("l1"), link("l2")))
>>> round(closed_form(topo, "a", "b"), 6)
0.9999
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.stats

from netsim.analysis.demand import Demand, link_loads, overloaded
from netsim.analysis.outages import YEAR_S, distinct, elements, link_intervals, sweep
from netsim.model.routing import Route, path_nodes, path_preference, router

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model.topology import Link, Topology

SLA_CLAIMED = 0.9999  # ADR-003: "99.99% SLA" on the interconnects
MAX_ENUMERATED = 20  # elements: above this, inclusion-exclusion over path sets
MAX_PATH_SETS = 18
ROUTERS_CACHED = 1024  # routing states whose router (distances) is kept


@dataclass(frozen=True, slots=True)
class Estimate:
    """One availability figure of a pair over the simulated years."""

    mean: float
    ci: tuple[float, float]
    downtime_min: np.ndarray  # per simulated year

    @classmethod
    def of(cls, per_year_down_s: np.ndarray) -> Estimate:
        """From seconds of downtime per simulated year (a t interval over the years)."""
        avail = 1.0 - per_year_down_s / YEAR_S
        years = len(avail)
        mean = float(avail.mean())
        if years > 1:
            half = float(scipy.stats.t.ppf(0.975, years - 1) * avail.std(ddof=1) / math.sqrt(years))
        else:
            half = math.nan
        return cls(mean, (mean - half, min(mean + half, 1.0)), per_year_down_s / 60.0)

    def ci_json(self) -> list[float | None]:
        return [round(x, 9) if math.isfinite(x) else None for x in self.ci]

    def downtime_json(self) -> dict[str, float]:
        d = self.downtime_min
        return {
            "mean": round(float(d.mean()), 3),
            "p50": round(float(np.percentile(d, 50)), 3),
            "p95": round(float(np.percentile(d, 95)), 3),
        }


@dataclass(frozen=True, slots=True)
class PairResult:
    a: str
    b: str
    simulated: float
    ci: tuple[float, float]
    closed_form: float | None
    downtime_min: np.ndarray  # per simulated year
    meets_slo: Estimate | None = None  # with a declared load: route also carries it

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "a": self.a,
            "b": self.b,
            "simulated": round(self.simulated, 9),
            "ci": Estimate(self.simulated, self.ci, self.downtime_min).ci_json(),
            "closed_form": None if self.closed_form is None else round(self.closed_form, 9),
            "downtime_min_per_year": Estimate(
                self.simulated, self.ci, self.downtime_min
            ).downtime_json(),
            "sla": SLA_CLAIMED,
            "meets_sla": bool(self.simulated >= SLA_CLAIMED),
        }
        if self.meets_slo is not None:
            doc["meets_slo"] = round(self.meets_slo.mean, 9)
            doc["meets_slo_ci"] = self.meets_slo.ci_json()
            doc["meets_slo_downtime_min_per_year"] = self.meets_slo.downtime_json()
        return doc


# ---- closed form ----------------------------------------------------------------------
def simple_paths(topo: Topology, a: str, b: str) -> list[tuple[str, ...]]:
    """Every simple path from ``a`` to ``b`` over routed links through nodes that carry
    transit, as link names in order."""
    adj: dict[str, list[Link]] = {}
    for link in topo.routed_links:
        for end in link.endpoints:
            adj.setdefault(end, []).append(link)
    transit = {n.name: n.carries_transit for n in topo.nodes}
    out: list[tuple[str, ...]] = []

    def dfs(node: str, seen: set[str], used: tuple[str, ...]) -> None:
        if node == b:
            out.append(used)
            return
        if node != a and not transit.get(node, True):
            return
        for link in adj.get(node, ()):
            nxt = link.other(node)
            if nxt not in seen:
                dfs(nxt, seen | {nxt}, (*used, link.name))

    dfs(a, {a}, ())
    return out


def path_sets(topo: Topology, a: str, b: str) -> list[frozenset[str]]:
    """Every simple path from ``a`` to ``b`` (:func:`simple_paths`), as a set of link names."""
    return [frozenset(p) for p in simple_paths(topo, a, b)]


def closed_form(topo: Topology, a: str, b: str, method: str = "auto") -> float | None:
    """P(some path connects a and b) with independent elements; None if too large.

    ``method``: ``enumerate`` the states of the elements the pair depends on, or
    ``paths`` (inclusion-exclusion over minimal path sets); ``auto`` picks the first when
    there are at most ``MAX_ENUMERATED`` such elements.
    """
    elems = elements(topo)
    paths = path_sets(topo, a, b)
    if not paths:
        return 0.0
    needs = [
        frozenset(i for i, e in enumerate(elems) if {n for n, _ in e.breaks} & p) for p in paths
    ]
    relevant = sorted(set().union(*needs))
    avail = np.array([elems[i].availability for i in relevant])
    if method == "enumerate" or (method == "auto" and len(relevant) <= MAX_ENUMERATED):
        states = (np.arange(2 ** len(relevant))[:, None] >> np.arange(len(relevant))) & 1
        up = states.astype(bool)
        prob = np.prod(np.where(up, avail, 1 - avail), axis=1)
        col = {e: j for j, e in enumerate(relevant)}
        connected = np.zeros(len(up), dtype=bool)
        for need in needs:
            connected |= up[:, [col[e] for e in need]].all(axis=1)
        return float(prob[connected].sum())
    if len(paths) > MAX_PATH_SETS and method == "auto":
        return None
    total = 0.0
    for r in range(1, len(paths) + 1):
        for subset in itertools.combinations(needs, r):
            union = frozenset().union(*subset)
            total += (-1) ** (r + 1) * math.prod(elems[i].availability for i in union)
    return total


# ---- Monte Carlo ----------------------------------------------------------------------
def simulate_pairs(
    topo: Topology, years: int, seed: int, demand: Demand | None = None
) -> list[PairResult]:
    """Monte Carlo availability of every pair of :meth:`Topology.endpoints_of` nodes;
    with ``demand``, also the *meets the SLO* availability (see the module docstring)."""
    if years < 1:
        raise ValueError("years must be at least 1")
    horizon = years * YEAR_S
    names = [link.name for link in topo.routed_links]
    spans = link_intervals(topo, elements(topo), horizon, seed)
    judge = _Judge(topo, names, demand)
    results = []
    last: tuple[object, tuple[np.ndarray, np.ndarray, list[tuple[int, int]], np.ndarray]] | None
    last = None
    for a, b in itertools.combinations(topo.endpoints_of(), 2):
        shifts = relay_shifts(topo, a, b)
        # Without a load, only the pair's own links (its scope) decide its state: its
        # states are a few, not every state of the network (a 20-region VPN mesh has
        # thousands a year, each a routing search per pair). The load couples all pairs.
        scope = names if demand is not None else pair_scope(topo, names, a, b)
        key = (tuple(sorted(shifts.items())), tuple(scope))
        if last is None or last[0] != key:  # pairs with the same MRAI shifts and scope
            # (all, without MRAI and load) share the change times and states: sorting
            # them is most of the work
            mine = {n: spans[n] for n in scope if n in spans}
            t, bmask, rmask = sweep(scope, mine, shifts, years)
            dur = np.diff(np.r_[t, horizon])
            year = np.minimum((t // YEAR_S).astype(np.int64), years - 1)
            uniq, inverse = distinct(bmask, rmask, len(scope))
            bits = [judge.index[n] for n in scope]  # a scope bit's place among all links
            states = [(_widen(int(bm), bits), _widen(int(rm), bits)) for bm, rm in uniq]
            last = (key, (dur, year, states, inverse))
        dur, year, states, inverse = last[1]
        down = np.array([judge.down(a, b, *st) for st in states], dtype=bool)[inverse]
        connected = Estimate.of(np.bincount(year, weights=dur * down, minlength=years))
        slo = None
        if demand is not None:
            short = np.array([judge.short(a, b, *st) for st in states], dtype=bool)[inverse]
            slo = Estimate.of(np.bincount(year, weights=dur * (down | short), minlength=years))
        results.append(
            PairResult(
                a,
                b,
                connected.mean,
                connected.ci,
                closed_form(topo, a, b),
                connected.downtime_min,
                slo,
            )
        )
    return results


def pair_scope(topo: Topology, names: list[str], a: str, b: str) -> list[str]:
    """The routed links (in the order of ``names``) that decide whether ``a`` and ``b``
    are connected: those on some simple path between them (:func:`simple_paths`).

    Nothing else changes their route: it follows strictly falling costs from ``a``, so
    every node on it reaches ``b`` best without returning to the route's earlier nodes,
    over a simple path of the pair (the same holds with any other links up or down), and
    whether the route crosses a broken link is judged on its own links.
    """
    on = set().union(*path_sets(topo, a, b))
    return [n for n in names if n in on]


def _widen(mask: int, bits: list[int]) -> int:
    """A mask over a pair's scope as a mask over all routed links (bit ``i`` to ``bits[i]``)."""
    return sum(1 << bit for i, bit in enumerate(bits) if mask >> i & 1)


def relay_shifts(topo: Topology, a: str, b: str) -> dict[str, float]:
    """Per routed link, how long ``a`` waits for news of it: the ``mrai`` of the routers
    between ``a`` and the link on the most preferred simple path through it (none when no
    router has an MRAI)."""
    if not any(node.mrai for node in topo.nodes):
        return {}
    ranked = sorted(simple_paths(topo, a, b), key=lambda p: (-path_preference(topo, p), len(p), p))
    mrai = {n.name: n.mrai for n in topo.nodes}
    out: dict[str, float] = {}
    for path in ranked:
        nodes = path_nodes(topo, a, path)
        for i, name in enumerate(path):
            out.setdefault(name, sum(mrai[n] for n in nodes[1:i]))
    return out


class _Judge:
    """A pair's state under (broken, believed-down) link masks, with routes cached."""

    def __init__(self, topo: Topology, names: list[str], demand: Demand | None) -> None:
        self.topo, self.names, self.demand = topo, names, demand
        self.index = {n: i for i, n in enumerate(names)}
        self._routes: dict[tuple[str, str, int], Route | None] = {}
        self._routers: dict[int, Callable[[str, str], Route | None]] = {}
        self._loads: dict[int, dict[tuple[str, int], float]] = {}
        self._masks: dict[int, int] = {}  # by id() of a Route kept in _routes
        self._by_routes: dict[tuple[int, ...], dict[tuple[str, int], float]] = {}

    def route(self, a: str, b: str, routing: int) -> Route | None:
        key = (a, b, routing)
        if key not in self._routes and routing:
            # Links believed down that the pair's route with nothing down does not use
            # leave that route as it is: its level still reaches, no cost on it rises and
            # none elsewhere falls, so each node keeps the same best next hops. Most
            # states of a network change few links; most routes are the one with nothing
            # down (and a pair with no route then has none with more links down).
            base = self.route(a, b, 0)
            if base is None or not routing & self._mask(base):
                self._routes[key] = base
        if key not in self._routes:
            # one router per routing state, shared by the pairs: each destination's
            # distances are searched once per state, not once per pair
            find = self._routers.get(routing)
            if find is None:
                if len(self._routers) >= ROUTERS_CACHED:
                    self._routers.clear()
                believed = frozenset(n for i, n in enumerate(self.names) if routing >> i & 1)
                find = self._routers[routing] = router(self.topo, believed)
            self._routes[key] = find(a, b)
        return self._routes[key]

    def _mask(self, route: Route) -> int:
        """The bits of the links a route uses."""
        mask = self._masks.get(id(route))
        if mask is None:
            mask = self._masks[id(route)] = sum(1 << self.index[n] for n in set(route.links))
        return mask

    def down(self, a: str, b: str, broken: int, routing: int) -> bool:
        """Cut: no route, or some path of the route in use crosses a broken link."""
        found = self.route(a, b, routing)
        if found is None:
            return True
        return any(broken >> self.index[n] & 1 for n in found.links)

    def short(self, a: str, b: str, broken: int, routing: int) -> bool:
        """The route in use either way (a to b, and b to a: responses, traffic the other
        way) crosses a direction the declared load fills (rho >= 1)."""
        del broken  # a broken route is already down; the load is judged on routes in use
        found, back = self.route(a, b, routing), self.route(b, a, routing)
        if found is None or back is None or self.demand is None:
            return found is None or back is None
        if routing not in self._loads:
            routes = {p: self.route(*p, routing) for p in self.demand.pairs}
            # states whose routes are all the same (the same objects) load links alike
            same = tuple(id(r) for r in routes.values())
            if same not in self._by_routes:
                self._by_routes[same] = link_loads(self.topo, self.demand, routes)
            self._loads[routing] = self._by_routes[same]
        loads = self._loads[routing]
        return overloaded(self.topo, a, found, loads) or overloaded(self.topo, b, back, loads)


def availability_report(
    topo: Topology, years: int, seed: int, demand: Demand | None = None
) -> dict[str, Any]:  # the --json document, printed as it is
    """The ``netsim availability --json`` document (architecture section 6); with a
    declared load, each pair also carries its ``meets_slo`` availability."""
    pairs = simulate_pairs(topo, years, seed, demand)
    doc: dict[str, Any] = {
        "years": years,
        "seed": seed,
        "topology": topo.name,
        "sla": SLA_CLAIMED,
        "pairs": [p.to_json() for p in pairs],
    }
    if demand is not None:
        doc["load"] = demand.scenario
    return doc

"""Availability of node pairs over many years: Monte Carlo against the closed form.

Every element with an ``mtbf`` (link, node, shared-risk group) alternates between up
(exponential, mean ``mtbf``) and down (``mttr``) over ``years`` simulated years. Failures
act as in the simulator's control plane (:mod:`netsim.sim.control`): a node fails all its
links, a group its member links and nodes, an internet underlay link the VPN tunnels over
it. A routed link is *broken* while any cause holds; the control plane learns of it after
detection (carrier loss at once; a blackhole, i.e. an interconnect or VPN fault or a tunnel
whose underlay failed, by BFD, hold timer or DPD, whichever is first) and routes around it
``convergence`` later, until its session re-establishes after repair (``bgp.reestablish``).

A pair of nodes is *down* whenever the route the control plane uses crosses a broken link
(from a failure of the preferred path until the switch) or no route exists. All of this is
vectorised: per link the broken and routing-down intervals, then one sweep over the sorted
change times with the links' states as bit masks (cumulative XOR), the pair's state per
distinct mask pair, and downtime per year by ``bincount``.

The *closed form* is the steady-state probability that some path connects the pair when
every element is independently up with probability ``mtbf / (mtbf + E[mttr])``: exact, by
enumerating the states of the elements the pair depends on (or by inclusion-exclusion over
the minimal path sets when there are many elements). It ignores detection and convergence,
so it is an upper bound of the simulated figure, equal to it when those are instantaneous.

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
from typing import Any

import numpy as np
import scipy.stats

from netsim.model.dist import Dist
from netsim.model.routing import best_path
from netsim.model.streams import stream
from netsim.model.topology import Link, LinkKind, Topology

YEAR_S = 365 * 86400.0
SLA_CLAIMED = 0.9999  # ADR-003: "99.99% SLA" on the interconnects
MAX_ENUMERATED = 20  # elements: above this, inclusion-exclusion over path sets
MAX_PATH_SETS = 18
COUNT_MAX_LINKS = 10  # up to 2^20 (broken, routing) keys: count them, do not sort


@dataclass(frozen=True, slots=True)
class Element:
    """Something that fails: a link, a node or a group, and the routed links it breaks."""

    kind: str
    name: str
    mtbf: float
    mttr: Dist
    breaks: tuple[tuple[str, bool], ...]  # (routed link, detected as a blackhole)

    @property
    def availability(self) -> float:
        return self.mtbf / (self.mtbf + self.mttr.mean())


@dataclass(frozen=True, slots=True)
class PairResult:
    a: str
    b: str
    simulated: float
    ci: tuple[float, float]
    closed_form: float | None
    downtime_min: np.ndarray  # per simulated year

    def to_json(self) -> dict[str, object]:
        d = self.downtime_min
        return {
            "a": self.a,
            "b": self.b,
            "simulated": round(self.simulated, 9),
            "ci": [round(x, 9) if math.isfinite(x) else None for x in self.ci],
            "closed_form": None if self.closed_form is None else round(self.closed_form, 9),
            "downtime_min_per_year": {
                "mean": round(float(d.mean()), 3),
                "p50": round(float(np.percentile(d, 50)), 3),
                "p95": round(float(np.percentile(d, 95)), 3),
            },
            "sla": SLA_CLAIMED,
            "meets_sla": bool(self.simulated >= SLA_CLAIMED),
        }


def elements(topo: Topology) -> list[Element]:
    """Every element with a failure process and the routed links each one breaks."""
    routed = {link.name for link in topo.routed_links}
    users: dict[str, list[str]] = {}
    for link in topo.links:
        for u in link.underlay:
            users.setdefault(u, []).append(link.name)

    def effect(links: list[str], blackhole: bool) -> tuple[tuple[str, bool], ...]:
        out: dict[str, bool] = {}
        for name in links:
            if name in routed:
                out[name] = out.get(name, False) or blackhole
            for vpn in users.get(name, ()):  # a tunnel over it: a blackhole
                out[vpn] = True
        return tuple(sorted(out.items()))

    default = Dist.constant(4 * 3600.0)
    out = []
    for link in topo.links:
        if link.mtbf:
            hole = link.kind is not LinkKind.INTERNET  # as random_failures()
            out.append(
                Element(
                    "link", link.name, link.mtbf, link.mttr or default, effect([link.name], hole)
                )
            )
    for node in topo.nodes:
        if node.mtbf:
            out.append(
                Element(
                    "node",
                    node.name,
                    node.mtbf,
                    node.mttr or default,
                    effect([x.name for x in topo.links_of(node.name)], False),
                )
            )
    for group in topo.groups:
        if group.mtbf:
            names = list(group.links) + [x.name for n in group.nodes for x in topo.links_of(n)]
            out.append(
                Element(
                    "group", group.name, group.mtbf, group.mttr or default, effect(names, False)
                )
            )
    return out


# ---- closed form ----------------------------------------------------------------------
def path_sets(topo: Topology, a: str, b: str) -> list[frozenset[str]]:
    """Every simple path from ``a`` to ``b`` over routed links, as a set of link names."""
    adj: dict[str, list[Link]] = {}
    for link in topo.routed_links:
        for end in link.endpoints:
            adj.setdefault(end, []).append(link)
    out: list[frozenset[str]] = []

    def dfs(node: str, seen: set[str], used: list[str]) -> None:
        if node == b:
            out.append(frozenset(used))
            return
        for link in adj.get(node, ()):
            nxt = link.other(node)
            if nxt not in seen:
                dfs(nxt, seen | {nxt}, [*used, link.name])

    dfs(a, {a}, [])
    return out


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
def _renewals(
    rng: np.random.Generator, mtbf: float, mttr: Dist, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the down periods of an alternating renewal process on [0, horizon)."""
    n = int(horizon / mtbf * 1.2) + 16
    while True:
        up = rng.exponential(mtbf, n)
        down = np.maximum(mttr.sample(rng, n), 1e-3)
        ends = np.cumsum(up + down)
        if ends[-1] >= horizon:
            break
        n *= 2
    starts = ends - down
    keep = starts < horizon
    return starts[keep], ends[keep]


def _detection(link: Link, blackhole: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Detection delay per cause, as :meth:`ControlPlane._detection`."""
    hold = link.bgp.hold - rng.uniform(0, link.bgp.keepalive, len(blackhole))
    if link.bfd is not None:
        hold = np.minimum(hold, link.bfd.detection)
    if link.dpd is not None and link.kind is LinkKind.VPN:
        hold = np.minimum(hold, link.dpd.timeout)
    return np.where(blackhole, hold, 0.0)


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Union of intervals: (starts, ends, cluster id of every input interval)."""
    if len(starts) == 0:
        return starts, ends, np.zeros(0, np.int64)
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] > reach[:-1]]
    cluster = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(s)] - 1
    ids = np.empty(len(s), np.int64)
    ids[order] = cluster
    return s[first], reach[last], ids


def link_intervals(
    topo: Topology, elems: list[Element], horizon: float, seed: int
) -> dict[str, tuple[np.ndarray, ...]]:
    """Per routed link: (broken starts, ends, routing-down starts, ends), each disjoint."""
    causes: dict[str, list[tuple[np.ndarray, np.ndarray, bool]]] = {}
    for i, e in enumerate(elems):
        s, t = _renewals(stream(seed, "availability-" + e.kind, i), e.mtbf, e.mttr, horizon)
        for name, hole in e.breaks:
            causes.setdefault(name, []).append((s, t, hole))
    out: dict[str, tuple[np.ndarray, ...]] = {}
    for j, link in enumerate(topo.routed_links):
        if link.name not in causes:
            continue
        s = np.concatenate([c[0] for c in causes[link.name]])
        t = np.concatenate([c[1] for c in causes[link.name]])
        holes = np.concatenate([np.full(len(c[0]), c[2]) for c in causes[link.name]])
        if len(s) == 0:  # no failure within the horizon
            continue
        rng = stream(seed, "availability-detect", j)
        detect_at = s + _detection(link, holes, rng)
        bs, be, ids = _merge(s, t)
        first_detect = np.full(len(bs), np.inf)
        np.minimum.at(first_detect, ids, detect_at)
        switch = first_detect + link.convergence.sample(rng, len(bs))
        back = be + link.bgp.reestablish
        routed_down = (first_detect < be) & (switch < back)
        rs, re_, _ = _merge(switch[routed_down], back[routed_down])
        out[link.name] = (bs, be, rs, re_)
    return out


def simulate_pairs(topo: Topology, years: int, seed: int) -> list[PairResult]:
    """Monte Carlo availability of every pair of :meth:`Topology.endpoints_of` nodes."""
    if years < 1:
        raise ValueError("years must be at least 1")
    horizon = years * YEAR_S
    names = [link.name for link in topo.routed_links]
    bit = {n: np.int64(1) << np.int64(i) for i, n in enumerate(names)}
    spans = link_intervals(topo, elements(topo), horizon, seed)
    times = [np.arange(years, dtype=float) * YEAR_S]  # year starts: no change
    broken, routing = [np.zeros(years, np.int64)], [np.zeros(years, np.int64)]
    for name, (bs, be, rs, re_) in spans.items():
        for lo, hi, is_broken in ((bs, be, True), (rs, re_, False)):
            t = np.concatenate([lo, hi])
            toggle, none = np.full(len(t), bit[name]), np.zeros(len(t), np.int64)
            times.append(t)
            broken.append(toggle if is_broken else none)
            routing.append(none if is_broken else toggle)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    t = np.minimum(t[order], horizon)
    bmask = np.bitwise_xor.accumulate(np.concatenate(broken)[order])
    rmask = np.bitwise_xor.accumulate(np.concatenate(routing)[order])
    dur = np.diff(np.r_[t, horizon])
    year = np.minimum((t // YEAR_S).astype(np.int64), years - 1)
    uniq, inverse = _distinct(bmask, rmask, len(names))
    ends = topo.endpoints_of()
    results = []
    routes: dict[tuple[str, str, int], tuple[str, ...] | None] = {}
    for a, b in itertools.combinations(ends, 2):
        down_state = np.array(
            [
                _pair_down(topo, names, a, b, broken=int(bm), routing=int(rm), cache=routes)
                for bm, rm in uniq
            ],
            dtype=bool,
        )
        down = down_state[inverse]
        per_year = np.bincount(year, weights=dur * down, minlength=years)
        avail = 1.0 - per_year / YEAR_S
        mean = float(avail.mean())
        if years > 1:
            half = float(scipy.stats.t.ppf(0.975, years - 1) * avail.std(ddof=1) / math.sqrt(years))
        else:
            half = math.nan
        results.append(
            PairResult(
                a,
                b,
                mean,
                (mean - half, min(mean + half, 1.0)),
                closed_form(topo, a, b),
                per_year / 60.0,
            )
        )
    return results


def _distinct(bmask: np.ndarray, rmask: np.ndarray, n_links: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (broken, routing) mask pairs and the index of each segment's pair."""
    if n_links <= COUNT_MAX_LINKS:  # small key space: count instead of sorting
        key = bmask << n_links | rmask
        seen = np.flatnonzero(np.bincount(key, minlength=1 << 2 * n_links))
        index = np.zeros(1 << 2 * n_links, np.int64)
        index[seen] = np.arange(len(seen))
        return np.stack([seen >> n_links, seen & ((1 << n_links) - 1)], axis=1), index[key]
    ub, ib = np.unique(bmask, return_inverse=True)
    ur, ir = np.unique(rmask, return_inverse=True)
    combos, inverse = np.unique(ib.reshape(-1) * len(ur) + ir.reshape(-1), return_inverse=True)
    return (np.stack([ub[combos // len(ur)], ur[combos % len(ur)]], axis=1), inverse.reshape(-1))


def _pair_down(
    topo: Topology,
    names: list[str],
    a: str,
    b: str,
    *,
    broken: int,
    routing: int,
    cache: dict[tuple[str, str, int], tuple[str, ...] | None],
) -> bool:
    """Is the pair cut: no route, or the route in use crosses a broken link?"""
    if (a, b, routing) not in cache:
        believed = frozenset(n for i, n in enumerate(names) if routing >> i & 1)
        cache[(a, b, routing)] = best_path(topo, a, b, believed)
    path = cache[(a, b, routing)]
    if path is None:
        return True
    return any(broken >> names.index(n) & 1 for n in path)


def availability_report(
    topo: Topology, years: int, seed: int
) -> dict[str, Any]:  # the --json document, printed as it is
    """The ``netsim availability --json`` document (architecture section 6)."""
    pairs = simulate_pairs(topo, years, seed)
    return {
        "years": years,
        "seed": seed,
        "topology": topo.name,
        "sla": SLA_CLAIMED,
        "pairs": [p.to_json() for p in pairs],
    }

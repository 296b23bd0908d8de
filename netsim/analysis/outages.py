"""What fails and when, over many simulated years: the outage timeline of availability.

The time structure :mod:`netsim.analysis.availability` judges pairs on: every element with
an ``mtbf`` (link, node, shared-risk group) and the routed links it breaks
(:func:`elements`), each element's alternating up/down renewal process, and per routed
link the intervals in which it is *broken* and those in which the control plane routes
around it (:func:`link_intervals`): from the first detection of a cause plus
``convergence`` until ``bgp.reestablish`` after the last repair. :func:`sweep` merges them
into change times with the links' states as bit masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netsim.model.dist import Dist
from netsim.model.effects import random_failure_mode
from netsim.model.scenario import FailureMode
from netsim.model.streams import stream
from netsim.model.topology import Group, Link, LinkKind, Node, Topology

YEAR_S = 365 * 86400.0
COUNT_MAX_LINKS = 10  # up to 2^20 (broken, routing) keys: count them, do not sort
MASK_BITS = 63  # links an int64 mask holds


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


def elements(topo: Topology) -> list[Element]:
    """Every element with a failure process and the routed links each one breaks (and
    whether as a blackhole: its ``failure_mode``, and always for a tunnel over it)."""
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

    def hole(element: Link | Node | Group) -> bool:  # as random_failures()
        return random_failure_mode(element) is FailureMode.BLACKHOLE

    for link in topo.links:
        if link.mtbf:
            out.append(
                Element(
                    "link",
                    link.name,
                    link.mtbf,
                    link.mttr or default,
                    effect([link.name], hole(link)),
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
                    effect([x.name for x in topo.links_of(node.name)], hole(node)),
                )
            )
    for group in topo.groups:
        if group.mtbf:
            names = list(group.links) + [x.name for n in group.nodes for x in topo.links_of(n)]
            out.append(
                Element(
                    "group",
                    group.name,
                    group.mtbf,
                    group.mttr or default,
                    effect(names, hole(group)),
                )
            )
    return out


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


def sweep(
    names: list[str],
    spans: dict[str, tuple[np.ndarray, ...]],
    shifts: dict[str, float],
    years: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change times with the broken and routing-down link masks in force from each (the
    routing intervals shifted by what the pair's source waits for MRAI)."""
    horizon = years * YEAR_S
    # One bit per link: int64 holds 63 links; more (a 20-region VPN mesh has 230) take
    # Python integers (object arrays: slower, but a shifted-out bit would be a link whose
    # failures are silently never seen).
    kind: Any = np.int64 if len(names) <= MASK_BITS else object
    bit = {n: (1 << i) if kind is object else np.int64(1 << i) for i, n in enumerate(names)}
    times = [np.arange(years, dtype=float) * YEAR_S]  # year starts: no change
    broken: list[np.ndarray] = [np.zeros(years, kind)]
    routing: list[np.ndarray] = [np.zeros(years, kind)]
    for name, (bs, be, rs, re_) in spans.items():
        shift = shifts.get(name, 0.0)
        for lo, hi, is_broken in ((bs, be, True), (rs + shift, re_ + shift, False)):
            t = np.concatenate([lo, hi])
            toggle: np.ndarray = np.full(len(t), bit[name], dtype=kind)
            none: np.ndarray = np.zeros(len(t), kind)
            times.append(t)
            broken.append(toggle if is_broken else none)
            routing.append(none if is_broken else toggle)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    t = np.minimum(t[order], horizon)
    bmask = np.bitwise_xor.accumulate(np.concatenate(broken)[order])
    rmask = np.bitwise_xor.accumulate(np.concatenate(routing)[order])
    return t, bmask, rmask


def distinct(bmask: np.ndarray, rmask: np.ndarray, n_links: int) -> tuple[np.ndarray, np.ndarray]:
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


__all__ = ["YEAR_S", "Element", "distinct", "elements", "link_intervals", "sweep"]

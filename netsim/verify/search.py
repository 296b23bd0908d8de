"""The failure space of a topology and the search for minimal failing combinations.

A *combination* is a set of elements (links, nodes, shared-risk groups) failing at once.
For every pair of endpoints (clouds) it has one of four outcomes, from the model's routing
(:func:`netsim.model.routing.best_path`) over what survives:

``ok``         the preferred path is untouched
``rerouted``   the preferred path is hit, another path of the same preference survives
``degraded``   only less preferred paths survive (the interconnect is lost: VPN fallback)
``partition``  no path survives

A node that is one end of the pair is never failed for that pair (only transit nodes are),
nor is a group that contains one. Outcomes are judged *minimally*: a combination is
reported for a pair only if none of its subsets already has that outcome (or a worse one).
:func:`exhaustive` walks every combination up to size k; :func:`guided` lets hypothesis
search when there are too many (steered towards damaging combinations), and removes
elements greedily from what it finds until no subset still fails, so both report only
minimal combinations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import strategies as st

from netsim.model.routing import Path, best_path, path_preference, route
from netsim.verify import bounds

if TYPE_CHECKING:
    from netsim.model.topology import Topology

OUTCOMES = ("ok", "rerouted", "degraded", "partition")
RANK = {name: i for i, name in enumerate(OUTCOMES)}
Pair = tuple[str, str]


@dataclass(frozen=True, order=True, slots=True)
class Element:
    """Something that fails as one: ``kind`` is link, node or group."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    def yaml(self, at: str, mode: str, duration: str | None = None) -> str:
        """This element as one entry of a scenario's ``failures:`` list."""
        extra = f", duration: {duration}" if duration else ""
        return f"{{{self.kind}: {self.name}, at: {at}{extra}, mode: {mode}}}"


Combo = frozenset[Element]


def elements_of(topology: Topology) -> tuple[Element, ...]:
    """Every link, node and group of ``topology``."""
    return (
        *(Element("link", x.name) for x in topology.links),
        *(Element("node", n) for n in topology.node_names),
        *(Element("group", g.name) for g in topology.groups),
    )


def label(combo: Combo) -> str:
    return " + ".join(str(e) for e in sorted(combo))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a combination does to one pair."""

    pair: Pair
    status: str  # one of OUTCOMES
    path: Path | None  # the best surviving path
    preference: int | None
    gap_s: float  # worst case with every failure a blackhole (inf: partition)
    gap_down_s: float  # worst case with every failure a carrier loss


@dataclass
class FailureSpace:
    """A topology's elements, pairs and preferred paths, with cached per-combination outcomes."""

    topology: Topology
    pairs: tuple[Pair, ...] = ()
    _effects: dict[tuple[Combo, str], dict[str, str]] = field(default_factory=dict)
    _outcomes: dict[
        tuple[Pair, frozenset[tuple[str, str]], frozenset[tuple[str, str]]], Outcome
    ] = field(default_factory=dict)
    _paths: dict[tuple[str, str, frozenset[str]], Path | None] = field(default_factory=dict)
    _routes: dict[tuple[str, str], tuple[Path, ...]] = field(default_factory=dict)
    _carried: dict[Pair, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.pairs:
            ends = self.topology.endpoints_of()
            self.pairs = tuple((a, b) for i, a in enumerate(ends) for b in ends[i + 1 :])

    @cached_property
    def elements(self) -> tuple[Element, ...]:
        return elements_of(self.topology)

    @cached_property
    def baseline(self) -> dict[Pair, Path | None]:
        return {p: self.path(*p, frozenset()) for p in self.pairs}

    def touches(self, element: Element, pair: Pair) -> bool:
        """True if failing ``element`` fails an end of ``pair`` (never done for that pair)."""
        if element.kind == "node":
            return element.name in pair
        if element.kind == "group":
            return bool(set(self.topology.group(element.name).nodes) & set(pair))
        return False

    def applies(self, combo: Combo, pair: Pair) -> bool:
        return not any(self.touches(e, pair) for e in combo)

    def effects(self, combo: Combo, mode: str = "blackhole") -> dict[str, str]:
        key = (combo, mode)
        if key not in self._effects:
            self._effects[key] = bounds.merge_effects(
                bounds.failure_effects(self.topology, e.kind, e.name, mode) for e in combo
            )
        return self._effects[key]

    def paths(self, src: str, dst: str) -> tuple[Path, ...]:
        """The paths of the pair's route with nothing down (several with ``max_paths``:
        flows are spread over all of them), remembered."""
        key = (src, dst)
        if key not in self._routes:
            found = route(self.topology, src, dst, frozenset())
            self._routes[key] = () if found is None else found.paths
        return self._routes[key]

    def carried(self, pair: Pair) -> frozenset[str]:
        """Every link some flow of ``pair`` uses either way with nothing down, remembered."""
        if pair not in self._carried:
            a, b = pair
            paths = (*self.paths(a, b), *self.paths(b, a))
            self._carried[pair] = frozenset(n for p in paths for n in p)
        return self._carried[pair]

    def path(self, src: str, dst: str, down: frozenset[str]) -> Path | None:
        """:func:`~netsim.model.routing.best_path`, remembered (a search asks again and again)."""
        key = (src, dst, down)
        if key not in self._paths:
            self._paths[key] = best_path(self.topology, src, dst, down)
        return self._paths[key]

    def outcome(self, combo: Combo, pair: Pair) -> Outcome:
        hole = self.effects(combo, "blackhole")
        down = self.effects(combo, "down")
        base = self.baseline[pair]
        used = self.carried(pair)
        if base is not None and not (
            bounds.broken_links(down) & used or bounds.broken_links(hole) & used
        ):
            # The preferred path survives untouched: it stays preferred (removing other
            # links creates no better path) and nothing it carries is lost.
            return Outcome(pair, "ok", base, path_preference(self.topology, base), 0.0, 0.0)
        key = (pair, frozenset(hole.items()), frozenset(down.items()))
        if key in self._outcomes:
            return self._outcomes[key]
        broken = bounds.broken_links(down)
        path = self.path(*pair, broken)
        if path is None:
            status, pref = "partition", None
        else:
            pref = path_preference(self.topology, path)
            if base is None or not broken & used:
                status = "ok"
            elif pref < path_preference(self.topology, base):
                status = "degraded"
            else:
                status = "rerouted"
        gap = self._both_ways(pair, hole) if path else math.inf
        gap_down = self._both_ways(pair, down) if path else math.inf
        out = Outcome(pair, status, path, pref, gap, gap_down)
        self._outcomes[key] = out
        return out

    def _both_ways(self, pair: tuple[str, str], effects: dict[str, str]) -> float:
        """A pair loses traffic while either direction does (requests and responses)."""
        a, b = pair
        return max(
            bounds.worst_case_gap(
                self.topology, a, b, effects, path_of=self.path, paths_of=self.paths
            )[0],
            bounds.worst_case_gap(
                self.topology, b, a, effects, path_of=self.path, paths_of=self.paths
            )[0],
        )

    def count(self, k: int) -> int:
        n = len(self.elements)
        return sum(math.comb(n, i) for i in range(1, k + 1))

    def combos(self, k: int) -> Iterator[Combo]:
        for size in range(1, k + 1):
            for combo in itertools.combinations(self.elements, size):
                yield frozenset(combo)


#: A test of one (combination, pair): the name of what fails (e.g. "partition"), or None.
Judge = Callable[[FailureSpace, Combo, Pair], str | None]


def outcome_judge(space: FailureSpace, combo: Combo, pair: Pair) -> str | None:
    """``partition`` or ``degraded`` when the combination does that to the pair."""
    status = space.outcome(combo, pair).status
    return status if status in ("partition", "degraded") else None


def gap_judge(limit: float) -> Judge:
    """``gap`` when the worst-case failover gap exceeds ``limit`` (and the pair survives)."""

    def judge(space: FailureSpace, combo: Combo, pair: Pair) -> str | None:
        out = space.outcome(combo, pair)
        return "gap" if out.status != "partition" and out.gap_s > limit else None

    return judge


@dataclass
class Minimal:
    """Minimal failing combinations found so far, per (pair, kind)."""

    found: dict[tuple[Pair, str], list[Combo]] = field(default_factory=dict)

    def covered(self, combo: Combo, pair: Pair, kinds: tuple[str, ...]) -> bool:
        return any(m <= combo for k in kinds for m in self.found.get((pair, k), ()))

    def add(self, combo: Combo, pair: Pair, kind: str) -> None:
        self.found.setdefault((pair, kind), []).append(combo)

    def items(self) -> list[tuple[Pair, str, Combo]]:
        return sorted(
            ((p, k, c) for (p, k), cs in self.found.items() for c in cs),
            key=lambda x: (len(x[2]), x[0], x[1], sorted(x[2])),
        )


# A degraded pair is already covered by a subset that partitions it, and so on.
COVERS = {"degraded": ("degraded", "partition"), "partition": ("partition",), "gap": ("gap",)}


def exhaustive(space: FailureSpace, k: int, judges: tuple[Judge, ...]) -> Minimal:
    """Every combination of up to ``k`` elements, smallest first; minimal failures only."""
    minimal = Minimal()
    for combo in space.combos(k):
        for pair in space.pairs:
            if not space.applies(combo, pair):
                continue
            for judge in judges:
                kind = judge(space, combo, pair)
                if kind and not minimal.covered(combo, pair, COVERS[kind]):
                    minimal.add(combo, pair, kind)
    return minimal


def shrink(space: FailureSpace, combo: Combo, pair: Pair, kind: str, judge: Judge) -> Combo:
    """Drop elements one at a time while the combination still fails the same way."""
    changed = True
    while changed:
        changed = False
        for e in sorted(combo, reverse=True):
            smaller = combo - {e}
            if smaller and judge(space, smaller, pair) == kind:
                combo, changed = smaller, True
                break
    return combo


def guided(space: FailureSpace, k: int, judges: tuple[Judge, ...], budget: int = 5000) -> Minimal:
    """Hypothesis-guided search for minimal failing combinations of up to ``k`` elements.

    Hypothesis draws combinations (``derandomize``: the same search every time) and is
    steered with :func:`hypothesis.target` towards those that hurt more pairs more
    (partition > degraded > rerouted). Every combination that fails in a way no recorded
    one covers is shrunk greedily (:func:`shrink`) and recorded. The search is not
    exhaustive: it stops after ``budget`` examples.
    """
    minimal = Minimal()
    combos = st.lists(st.sampled_from(space.elements), min_size=1, max_size=k, unique=True).map(
        frozenset
    )

    @settings(
        max_examples=budget,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
    )
    @given(combos)
    def explore(combo: Combo) -> None:
        score = 0
        for pair in space.pairs:
            if not space.applies(combo, pair):
                continue
            score += RANK[space.outcome(combo, pair).status]
            for judge in judges:
                kind = judge(space, combo, pair)
                if kind and not minimal.covered(combo, pair, COVERS[kind]):
                    minimal.add(shrink(space, combo, pair, kind, judge), pair, kind)
        target(float(score) / max(1, len(combo)), label="damage per failure")

    explore()
    return minimal


__all__ = [
    "COVERS",
    "OUTCOMES",
    "Combo",
    "Element",
    "FailureSpace",
    "Judge",
    "Minimal",
    "Outcome",
    "elements_of",
    "exhaustive",
    "gap_judge",
    "guided",
    "label",
    "outcome_judge",
    "shrink",
]

"""The control-plane runs of ``netsim check``: every reported combination simulated.

:func:`verify` runs each combination through the simulator's control plane, as blackholes
and as carrier losses, and holds the result to the bounds (:mod:`netsim.verify.bounds`)
and the routing oracle (:mod:`netsim.verify.oracle`). Combinations the control plane
cannot tell apart (the same effect on every link) are run once; the runs are independent,
so they can go to local processes (``netsim.sweep.map_tasks``).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind
from netsim.verify import bounds
from netsim.verify.findings import Finding
from netsim.verify.search import Combo, FailureSpace

if TYPE_CHECKING:
    from netsim.model.topology import Topology
    from netsim.verify.replay import Replay

VERIFY_AT = 1.0
PARALLEL_FROM = 24  # combinations to verify from which other processes are worth starting


def verify(
    space: FailureSpace, combos: list[Combo], seed: int = 0, *, workers: int | None = 1
) -> list[Finding]:
    """Run each combination through the simulator's control plane, as blackholes and as
    carrier losses, and compare it with the bounds and the routing oracle. The
    combinations are independent: with ``workers`` other than 1 they are shared out over
    local processes (``netsim.sweep.map_tasks``), the findings in the same order."""
    if workers == 1 or len(combos) < PARALLEL_FROM:
        return _verify(space, combos, seed)
    from netsim.sweep import map_tasks

    size = -(-len(combos) // (4 * (workers or os.cpu_count() or 1)))
    parts = [(space.topology, combos[i : i + size], seed) for i in range(0, len(combos), size)]
    return [f for found in map_tasks(_verify_part, parts, workers) for f in found]


def distinct_effects(space: FailureSpace, combos: list[Combo]) -> list[Combo]:
    """The first of the combinations that do the same to every link in both modes (a node
    and the group of all its links, say): the control plane cannot tell them apart, so
    one run each is enough."""
    seen: set[tuple[frozenset[tuple[str, str]], ...]] = set()
    out = []
    for combo in combos:
        key = tuple(frozenset(space.effects(combo, m).items()) for m in ("blackhole", "down"))
        if key not in seen:
            seen.add(key)
            out.append(combo)
    return out


def _verify_part(part: tuple[Topology, list[Combo], int]) -> list[Finding]:
    """:func:`verify` of some combinations (executed on a worker)."""
    topology, combos, seed = part
    return _verify(FailureSpace(topology), combos, seed)


def _verify(space: FailureSpace, combos: list[Combo], seed: int) -> list[Finding]:
    from netsim.testing.machine import control_trace
    from netsim.verify import invariants
    from netsim.verify.replay import Replay

    topo = space.topology
    settle = bounds.settle_bound(topo)
    problems = []
    for combo in combos:
        for mode in ("blackhole", "down"):
            failures = tuple(
                Failure(TargetKind(e.kind), e.name, VERIFY_AT, None, FailureMode(mode))
                for e in sorted(combo)
            )
            until = VERIFY_AT + settle + 1.0
            scenario = Scenario("check", topo, until, 0.0, seed, (), failures)
            trace = control_trace(scenario, until, seed)
            found = []
            for check in (invariants.check_link_states, invariants.check_settled_routes):
                try:
                    check(trace, scenario)
                except AssertionError as exc:
                    found.append(str(exc))
            replay = Replay.of(trace, topo)
            for pair in space.pairs:
                out = space.outcome(combo, pair)
                if not space.applies(combo, pair) or out.status == "partition":
                    continue
                bound = out.gap_s if mode == "blackhole" else out.gap_down_s
                clean = _clean_since(replay, pair)
                if clean > VERIFY_AT + bound + bounds.EPS:
                    found.append(
                        f"{pair[0]}->{pair[1]} left the broken links after "
                        f"{clean - VERIFY_AT:.3f}s > bound {bound:.3f}s"
                    )
            if found:
                problems.append(
                    Finding("model", combo, None, "; ".join(found), True, mode, VERIFY_AT)
                )
    return problems


def _clean_since(replay: Replay, pair: tuple[str, str]) -> float:
    """When ``pair``'s route last became free of broken links (the end of its gap)."""
    broken = replay.broken_at(VERIFY_AT)
    times = [VERIFY_AT] + [t for t in replay.route_times if t > VERIFY_AT]
    end = VERIFY_AT
    for i, t in enumerate(times):
        route = replay.routes_at(t).get(pair)
        if route is not None and broken & route.links:
            end = times[i + 1] if i + 1 < len(times) else math.inf
    return end


__all__ = ["PARALLEL_FROM", "VERIFY_AT", "distinct_effects", "verify"]

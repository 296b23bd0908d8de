"""Invariants that compare runs rather than judge one: determinism and monotonicity.

- :func:`check_same_trace` / :func:`check_deterministic`: the same scenario and seed give
  the same Trace, bit for bit (events, every attempt column, paths, link counters);
- :func:`check_adding_failure_monotone`: with common random numbers (the same seed, so the
  same arrivals, sizes and delays), adding a failure never increases the number of packets
  delivered.

The monotonicity property is only true of failures that do not overlap another one: a
carrier loss on a link that is already blackholed is detected at once and *shortens* the
outage, and so does any failure that moves traffic off a blackholed link before its hold
timer expires. Likewise ``loss:p`` may go undetected for a long time, so taking a lossy
link down can only help. :func:`disjoint` says whether an extra failure is clear of the
others.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.requests import request_table
from netsim.model.scenario import Failure, FailureMode, Scenario
from netsim.sim.engine import build_simulation
from netsim.verify import bounds

if TYPE_CHECKING:
    from netsim.trace.core import Trace


def check_same_trace(a: Trace, b: Trace) -> None:
    """Assert that two traces are identical except for the wall-clock time they took."""
    problems = []
    if a.timeline_jsonl() != b.timeline_jsonl():
        ea, eb = a.timeline_jsonl().splitlines(), b.timeline_jsonl().splitlines()
        first = next(
            (i for i, (x, y) in enumerate(zip(ea, eb, strict=False)) if x != y),
            min(len(ea), len(eb)),
        )
        problems.append(
            f"event {first} differs: {ea[first] if first < len(ea) else '-'} vs "
            f"{eb[first] if first < len(eb) else '-'}"
        )
    if len(a.attempts) != len(b.attempts):
        problems.append(f"{len(a.attempts)} vs {len(b.attempts)} attempts")
    else:
        for name in a.attempts.schema:
            x, y = a.attempts[name], b.attempts[name]
            same = np.array_equal(x, y, equal_nan=bool(np.issubdtype(x.dtype, np.floating)))
            if not same:
                i = int(
                    np.flatnonzero(
                        ~(
                            (x == y) | (np.isnan(x) & np.isnan(y))
                            if np.issubdtype(x.dtype, np.floating)
                            else x == y
                        )
                    )[0]
                )
                problems.append(
                    f"attempt column {name} differs first at row {i}: {x[i]!r} vs {y[i]!r}"
                )
    if a.paths != b.paths:
        problems.append("path tables differ")
    if a.link_bytes != b.link_bytes:
        problems.append("link byte counters differ")
    if a.transfers != b.transfers:
        problems.append("bulk transfers differ")
    if problems:
        raise AssertionError("same seed, different trace:\n  " + "\n  ".join(problems))


def check_deterministic(
    scenario: Scenario, seed: int | None = None, engine: str = "exact"
) -> Trace:
    """Run ``scenario`` twice with one seed and assert the traces are identical."""
    first = build_simulation(scenario, seed, engine).run()
    check_same_trace(first, build_simulation(scenario, seed, engine).run())
    return first


def delivered(trace: Trace) -> int:
    """Requests answered in time plus datagrams received, over the whole run."""
    return int(request_table(trace, since=0.0).ok.sum())


def _window(failure: Failure, scenario: Scenario) -> tuple[float, float]:
    """When a failure may influence the network: start to repair + settle bound."""
    settle = bounds.settle_bound(scenario.topology)
    end = math.inf if failure.duration is None else failure.at + failure.duration + settle
    return failure.at, end


def disjoint(extra: Failure, scenario: Scenario) -> bool:
    """True if ``extra``'s window overlaps no failure of ``scenario`` and it is not ``loss``."""
    if extra.mode is FailureMode.LOSS or scenario.random_failures:
        return False
    a0, a1 = _window(extra, scenario)
    for f in scenario.failures:
        b0, b1 = _window(f, scenario)
        if a0 < b1 and b0 < a1:
            return False
    return True


def check_adding_failure_monotone(
    scenario: Scenario, extra: Failure, seed: int | None = None, engine: str = "exact"
) -> tuple[int, int]:
    """Assert ``delivered(scenario + extra) <= delivered(scenario)`` under one seed.

    Returns both counts. ``extra`` must be :func:`disjoint` from the scenario's failures
    (see the module docstring for why overlapping failures may legitimately help).
    """
    if not disjoint(extra, scenario):
        raise ValueError(
            "the extra failure overlaps another one (or is loss:p); "
            "monotonicity is not a property of such schedules"
        )
    base = build_simulation(scenario, seed, engine).run()
    more = dataclasses.replace(scenario, failures=(*scenario.failures, extra))
    worse = build_simulation(more, seed, engine).run()
    n_base, n_more = delivered(base), delivered(worse)
    if n_more > n_base:
        raise AssertionError(
            f"adding {extra.target.value} {extra.name} ({extra.mode.value}) at {extra.at:g}s "
            f"for {extra.duration}s increased deliveries from {n_base} to {n_more} "
            f"(seed {seed if seed is not None else scenario.seed})"
        )
    return n_base, n_more


__all__ = [
    "check_adding_failure_monotone",
    "check_deterministic",
    "check_same_trace",
    "delivered",
    "disjoint",
]

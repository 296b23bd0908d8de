"""Build and run a simulation: ``build_simulation(scenario) -> Simulation; .run() -> Trace``.

The pipeline is visible in :meth:`Simulation.run`: draw failures, run the control plane
and the fluid bulk flows (simpy), then the data plane (exact per-packet simpy events), and
collect everything into one :class:`~netsim.trace.core.Trace`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from netsim.errors import UsageError
from netsim.sim.arrivals import bulk_flows, random_failures
from netsim.sim.bulk import BulkController
from netsim.sim.control import ControlPlane, ControlTimeline
from netsim.sim.exact import ExactDataPlane
from netsim.sim.links import bulk_bins
from netsim.trace.core import Trace

if TYPE_CHECKING:
    from netsim.model.scenario import Failure, Scenario

Progress = Callable[[float, float], None]   # (simulated seconds done, total)
ENGINES = ("exact", "fast")


def all_pairs(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """Every ordered pair of distinct nodes (routes are kept for all of them)."""
    names = scenario.topology.node_names
    return tuple((a, b) for a in names for b in names if a != b)


def failure_schedule(scenario: Scenario, seed: int) -> list[Failure]:
    """The scenario's scripted failures plus, if asked, random ones from mtbf/mttr."""
    failures = list(scenario.failures)
    if scenario.random_failures:
        failures += random_failures(scenario, seed)
    return sorted(failures, key=lambda f: (f.at, f.target.value, f.name))


def run_control(scenario: Scenario, seed: int, failures: list[Failure],
                env: simpy.Environment | None = None) -> tuple[ControlPlane, BulkController]:
    """Set up the control plane and bulk flows on ``env`` (not yet run)."""
    env = env or simpy.Environment()
    control = ControlPlane(env, scenario, failures, seed,
                           all_pairs(scenario))
    bulk = BulkController(env, scenario, bulk_flows(scenario, seed), control)
    control.start()
    env.process(bulk.run())
    return control, bulk


def timeline_of(control: ControlPlane, bulk: BulkController) -> ControlTimeline:
    events = sorted(control.events + bulk.events, key=lambda e: e.time)
    return ControlTimeline(control.link_state, control.routes, bulk.bulk, events,
                           control.failovers, bulk.transfers, bulk.bulk_bytes)


@dataclass
class Simulation:
    """A scenario ready to run with one explicit seed."""

    scenario: Scenario
    seed: int
    engine: str = "exact"

    def run(self, progress: Progress | None = None, chunks: int = 200) -> Trace:
        if self.engine == "fast":
            from netsim.sim.fast.plane import run_fast

            return run_fast(self.scenario, self.seed, progress)
        started = time.perf_counter()
        scenario, seed = self.scenario, self.seed
        failures = failure_schedule(scenario, seed)
        env = simpy.Environment()
        control, bulk = run_control(scenario, seed, failures, env)
        trace = new_trace(scenario, seed)
        data = ExactDataPlane(env, scenario, seed, trace, control.routes, control.link_state,
                              bulk.bulk, trace.bin_s)
        data.start()
        for k in range(1, chunks + 1):
            env.run(until=scenario.duration * k / chunks)
            if progress is not None:
                progress(env.now, scenario.duration)
        bulk.finalize(env.now)
        # Let packets already in flight land (up to the longest timeout) so none is
        # counted lost merely because the run ended.
        tail = max((c.timeout for c in scenario.traffic), default=0.0)
        env.run(until=scenario.duration + tail + 1.0)
        finish_trace(trace, timeline_of(control, bulk), data.dirs)
        trace.wall_s = time.perf_counter() - started
        return trace


MAX_BINS = 20000


def bin_width(duration: float) -> float:
    """1 s bins, widened so that a long run keeps at most MAX_BINS per link direction."""
    width = 1.0
    while duration / width > MAX_BINS:
        width *= 2
    return width


def new_trace(scenario: Scenario, seed: int) -> Trace:
    return Trace(scenario=scenario.name, engine="sim", seed=seed, duration=scenario.duration,
                 warmup=scenario.warmup, classes=[c.name for c in scenario.traffic],
                 nodes=list(scenario.topology.node_names), paths=[],
                 bin_s=bin_width(scenario.duration))


def finish_trace(trace: Trace, timeline: ControlTimeline, dirs: Mapping[tuple[str, int], object]
                 ) -> None:
    """Copy the control timeline and link counters into the trace."""
    trace.events = sorted(trace.events + timeline.events, key=lambda e: e.time)
    trace.transfers = timeline.transfers
    trace.failovers = list(timeline.failovers)
    for (name, d), direction in dirs.items():
        trace.link_bytes[name] = trace.link_bytes.get(name, 0.0) + float(
            getattr(direction, "bytes", 0.0))
        packet = np.asarray(getattr(direction, "bins", np.zeros(0)))
        series = packet + bulk_bins(timeline.bulk[(name, d)], len(packet), trace.bin_s)
        trace.link_series[f"{name}:{d}"] = series
    for name, extra in timeline.bulk_bytes.items():
        trace.link_bytes[name] = trace.link_bytes.get(name, 0.0) + extra
    trace.meta["link_down_s"] = _down_seconds(timeline, trace.duration)


def _down_seconds(timeline: ControlTimeline, duration: float) -> dict[str, float]:
    out = {}
    for name, step in timeline.link_state.items():
        total = 0.0
        times = [*step.times, duration]
        for i, (mode, _loss, _r) in enumerate(step.values):
            if mode >= 2:
                total += max(0.0, min(times[i + 1], duration) - times[i])
        out[name] = total
    return out


def build_simulation(scenario: Scenario, seed: int | None = None, engine: str = "exact"
                     ) -> Simulation:
    """The bridge from the model to the engine (STYLE habit 2).

    ``engine`` selects the data plane: ``exact`` (every packet hop a simpy event) or
    ``fast`` (vectorised, :mod:`netsim.sim.fast.plane`); the control plane is the same.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (expected {', '.join(ENGINES)})")
    return Simulation(scenario, scenario.seed if seed is None else int(seed), engine)


def run_scenario(scenario: Scenario, seed: int | None = None,
                 progress: Progress | None = None) -> Trace:
    return build_simulation(scenario, seed).run(progress)


__all__ = ["Simulation", "build_simulation", "np", "run_scenario"]

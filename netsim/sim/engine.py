"""Build and run a simulation: ``build_simulation(scenario) -> Simulation; .run() -> Trace``.

The pipeline is :func:`simulate`, one phase per line: draw the failure schedule, run the
control plane and the fluid bulk flows (simpy) to the end, read their
:class:`~netsim.sim.control.ControlTimeline`, let a data plane from the registry
:data:`DATA_PLANES` move the packets over it, and finish the
:class:`~netsim.trace.core.Trace` with what is the same for every data plane. Adding a data
plane means implementing :class:`~netsim.sim.dataplane.DataPlane` and listing it here.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from netsim.errors import UsageError
from netsim.sim.arrivals import bulk_flows, random_failures
from netsim.sim.bulk import BulkController
from netsim.sim.control import ControlPlane, ControlTimeline
from netsim.sim.episodes import link_episodes, with_episodes
from netsim.sim.exact import ExactDataPlane
from netsim.sim.fast.plane import FastDataPlane
from netsim.sim.fast.window import REPLAY_S, WINDOW_ATTEMPTS
from netsim.sim.links import bulk_bins
from netsim.trace.core import Trace

if TYPE_CHECKING:
    from netsim.model.scenario import Failure, Scenario
    from netsim.sim.dataplane import DataPlane, DataPlaneFactory, PacketResult, Progress
    from netsim.sim.fast.plane import Runner

#: The data planes, by ``--engine`` name (STYLE habit 6: an explicit registry); the first
#: is the default of every simulating verb.
DATA_PLANES: dict[str, type[DataPlane]] = {"fast": FastDataPlane, "exact": ExactDataPlane}
ENGINES = tuple(DATA_PLANES)
MAX_BINS = 20000


def simulate(
    scenario: Scenario, seed: int, data_plane: DataPlaneFactory, progress: Progress | None = None
) -> Trace:
    """The simulation pipeline (see the module docstring)."""
    started = time.perf_counter()
    failures = failure_schedule(scenario, seed)
    timeline = run_control_plane(scenario, seed, failures)
    trace = new_trace(scenario, seed)
    packets = data_plane(scenario, seed, timeline, trace).run(progress)
    finish_trace(trace, timeline, packets)
    trace.wall_s = time.perf_counter() - started
    return trace


@dataclass
class Simulation:
    """A scenario ready to run with one explicit seed on the data plane ``engine``."""

    scenario: Scenario
    seed: int
    engine: str = "fast"
    rows: str = "auto"  # attempt rows the fast plane keeps (the exact one keeps all)
    runner: Runner | None = None  # computes the fast plane's windows in parallel
    tasks: int = 1  # parts of the run handed to the runner

    def run(self, progress: Progress | None = None) -> Trace:
        return simulate(self.scenario, self.seed, self.data_plane(), progress)

    def data_plane(self) -> DataPlaneFactory:
        """The registered data plane, with this simulation's options where it takes them."""
        if self.engine == FastDataPlane.NAME:
            return functools.partial(
                FastDataPlane, rows=self.rows, runner=self.runner, tasks=self.tasks
            )
        return DATA_PLANES[self.engine]


def build_simulation(
    scenario: Scenario,
    seed: int | None = None,
    engine: str = "fast",
    *,
    rows: str = "auto",
    runner: Runner | None = None,
    tasks: int = 1,
) -> Simulation:
    """The bridge from the model to the engine (STYLE habit 2).

    ``engine`` names the data plane in :data:`DATA_PLANES`: ``fast`` (vectorised, the
    default) or ``exact`` (every packet hop a simpy event, the reference); the control
    plane is the same. ``rows`` (``auto``, ``all``, ``failures``) is what the fast plane
    keeps; ``runner`` and ``tasks`` let it compute its windows on other processes.
    """
    if engine not in DATA_PLANES:
        raise UsageError(f"unknown engine {engine!r} (expected {', '.join(ENGINES)})")
    return Simulation(
        scenario, scenario.seed if seed is None else int(seed), engine, rows, runner, tasks
    )


def run_fast(
    scenario: Scenario,
    seed: int,
    *,
    progress: Progress | None = None,
    rows: str = "auto",
    window_attempts: int = WINDOW_ATTEMPTS,
    local_resolve: bool = True,
    check_boundaries: bool = False,
    independent: bool = True,
    replay_s: float = REPLAY_S,
    runner: Runner | None = None,
    tasks: int = 1,
) -> Trace:
    """The pipeline on the fast data plane with its options (for tests and benchmarks;
    see :class:`~netsim.sim.fast.plane.FastDataPlane`)."""
    plane = functools.partial(
        FastDataPlane,
        rows=rows,
        window_attempts=window_attempts,
        local_resolve=local_resolve,
        check_boundaries=check_boundaries,
        independent=independent,
        replay_s=replay_s,
        runner=runner,
        tasks=tasks,
    )
    return simulate(scenario, seed, plane, progress)


# ---- the phases ------------------------------------------------------------------------
def failure_schedule(scenario: Scenario, seed: int) -> list[Failure]:
    """The scenario's scripted failures plus, if asked, random ones from mtbf/mttr."""
    failures = list(scenario.failures)
    if scenario.random_failures:
        failures += random_failures(scenario, seed)
    return sorted(failures, key=lambda f: (f.at, f.target.value, f.name))


def end_of_run(scenario: Scenario) -> float:
    """How far a run is simulated: its duration, then long enough for packets in flight
    to land (the longest timeout and a second), so none is lost merely because it ended."""
    tail = max((c.timeout for c in scenario.traffic), default=0.0)
    return scenario.duration + tail + 1.0


def run_control_plane(scenario: Scenario, seed: int, failures: list[Failure]) -> ControlTimeline:
    """Run the control plane and the bulk flows (simpy) to :func:`end_of_run`.

    Transfers still running at the end of the scenario are recorded as unfinished then;
    the control plane runs on through the tail because packets in flight still read it.
    """
    env = simpy.Environment()
    control, bulk = run_control(scenario, seed, failures, env)
    env.run(until=scenario.duration)
    bulk.finalize(env.now)
    env.run(until=end_of_run(scenario))
    return timeline_of(control, bulk)


def all_pairs(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """Every ordered pair of distinct nodes (routes are kept for all of them)."""
    names = scenario.topology.node_names
    return tuple((a, b) for a in names for b in names if a != b)


def run_control(
    scenario: Scenario, seed: int, failures: list[Failure], env: simpy.Environment | None = None
) -> tuple[ControlPlane, BulkController]:
    """Set up the control plane and bulk flows on ``env`` (not yet run)."""
    env = env or simpy.Environment()
    control = ControlPlane(env, scenario, failures, seed, all_pairs(scenario))
    episodes = link_episodes(scenario.topology, seed, end_of_run(scenario))
    bulk = BulkController(env, scenario, bulk_flows(scenario, seed), control, episodes)
    control.start()
    env.process(bulk.run())
    return control, bulk


def timeline_of(control: ControlPlane, bulk: BulkController) -> ControlTimeline:
    """What the control plane and the bulk flows recorded, up to their clock's now."""
    events = sorted(control.events + bulk.events, key=lambda e: e.time)
    return ControlTimeline(
        with_episodes(control.link_state, bulk.episodes),
        control.routes,
        bulk.bulk,
        events,
        control.failovers,
        bulk.transfers,
        bulk.bulk_bytes,
        until=control.env.now,
    )


def bin_width(duration: float) -> float:
    """1 s bins, widened so that a long run keeps at most MAX_BINS per link direction."""
    width = 1.0
    while duration / width > MAX_BINS:
        width *= 2
    return width


def new_trace(scenario: Scenario, seed: int) -> Trace:
    return Trace(
        scenario=scenario.name,
        engine="sim",
        seed=seed,
        duration=scenario.duration,
        warmup=scenario.warmup,
        classes=[c.name for c in scenario.traffic],
        nodes=list(scenario.topology.node_names),
        paths=[],
        bin_s=bin_width(scenario.duration),
    )


def finish_trace(trace: Trace, timeline: ControlTimeline, packets: PacketResult) -> None:
    """Copy the control timeline, the link counters (packets + bulk) and the data plane's
    own facts into the trace: everything that is the same for every data plane."""
    trace.events = sorted(trace.events + timeline.events, key=lambda e: e.time)
    trace.transfers = timeline.transfers
    trace.failovers = list(timeline.failovers)
    for (name, d), count in packets.counts.items():
        trace.link_bytes[name] = trace.link_bytes.get(name, 0.0) + count.bytes
        series = count.bins + bulk_bins(timeline.bulk[(name, d)], len(count.bins), trace.bin_s)
        trace.link_series[f"{name}:{d}"] = series
    for name, extra in timeline.bulk_bytes.items():
        trace.link_bytes[name] = trace.link_bytes.get(name, 0.0) + extra
    trace.meta["link_down_s"] = down_seconds(timeline, trace.duration)
    trace.meta.update(packets.meta)


def down_seconds(timeline: ControlTimeline, duration: float) -> dict[str, float]:
    """Per link, the seconds of the run during which it did not forward."""
    out = {}
    for name, step in timeline.link_state.items():
        total = 0.0
        times = [*step.times, duration]
        for i, state in enumerate(step.values):
            if state.mode.broken:
                total += max(0.0, min(times[i + 1], duration) - times[i])
        out[name] = total
    return out


__all__ = ["DATA_PLANES", "ENGINES", "Simulation", "build_simulation", "run_fast", "simulate"]

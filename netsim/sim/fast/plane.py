"""The fast data plane: every packet's latency computed in bulk with numpy, window by window.

A :class:`~netsim.sim.dataplane.DataPlane` like the exact engine (:mod:`netsim.sim.exact`):
the scenario, the seed and the :class:`~netsim.sim.control.ControlTimeline` of the simpy
control plane in, the attempts of a :class:`~netsim.trace.core.Trace` out. The semantics
are those of the exact engine (routes at send time and at the server, link state at each
hop's arrival, fluid FIFO queues with standing queue and buffer drops, sidecar samples,
Istio retries); only the order of computation differs:

1. Time is cut into *windows* of about ``WINDOW_ATTEMPTS`` requests, a function of the
   scenario alone. All requests first sent in a window are processed together, with their
   responses and retries (:mod:`netsim.sim.fast.waves`), walk and queues iterated to their
   fixed point (:mod:`netsim.sim.fast.window`).
2. Windows are independent: each rebuilds the queues it starts with by replaying the end
   of the previous window. So they are computed in *parts* (consecutive windows) on
   local processes or a Dask cluster through a ``runner`` (``netsim.sweep.completed``),
   and merged in window order: the same trace for the same seed however many processes
   run it.
3. Each part returns what its windows add (:class:`~netsim.sim.fast.window.Accumulated`):
   mergeable sketches, the rows it kept (with window-local request ids, renumbered here),
   bytes per direction.

Random draws come from explicit streams per (class, destination, window, block of
requests), so a run is deterministic per seed but does not reproduce the exact engine's
draws. For long runs only the rows around failures are kept (failover gaps are still
measured from the data plane); latency statistics then come from the sketches.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from netsim.model.scenario import TrafficKind
from netsim.sim.dataplane import DataPlane, DirectionCount, PacketResult, Progress
from netsim.sim.fast.net import FastNet
from netsim.sim.fast.window import (
    MAX_ROUNDS,
    REPLAY_S,
    WINDOW_ATTEMPTS,
    Accumulated,
    FastOptions,
    WindowRunner,
    peak_rss_mib,
)
from netsim.trace.core import ATTEMPT_COLUMNS
from netsim.trace.rows import AUTO_ALL_LIMIT, expected_attempts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline
    from netsim.trace.core import Trace
    from netsim.trace.sketch import SketchSet

MIN_WINDOW_S, MAX_WINDOW_S = 60.0, 6 * 3600.0


class Runner(Protocol):
    """Runs ``fn`` over ``tasks`` (on local processes, a cluster, or here) and yields
    ``(index, result)`` as each finishes: ``netsim.sweep.completed`` with its workers bound.

    ``inherits``: the tasks run in processes forked when the runner is called (local
    processes on Linux), which inherit what this process holds then: the parts need not
    carry the run (a year's is 11 MB pickled, sent with each of 92 parts).
    """

    @property
    def inherits(self) -> bool: ...

    def __call__(
        self, fn: Callable[[Part], Accumulated], tasks: Sequence[Part]
    ) -> Iterable[tuple[int, Accumulated]]: ...


@dataclass(frozen=True, slots=True)
class Part:
    """Windows ``first..last-1`` of one run: everything a worker needs, all picklable.

    ``run`` is the run's scenario and control timeline, pickled once for all its parts (a
    year's timeline takes about a second to pickle and as long to unpickle): a worker
    unpickles it once for the parts of the same run it computes (:func:`run_part`). It is
    empty when the worker inherits the run (forked local processes, ``Runner.inherits``):
    then ``key`` names the run this process held when it forked them.
    """

    run: bytes
    key: str
    seed: int
    bin_s: float
    options: FastOptions
    edges: np.ndarray
    first: int
    last: int


# this process's last run: (its pickle, or the key of a run held for forked workers, and it)
_RUN: list[tuple[bytes | str, tuple[Scenario, ControlTimeline]]] = []
_KEYS = itertools.count()


def _run_of(part: Part) -> tuple[Scenario, ControlTimeline]:
    """The scenario and timeline of ``part``'s run: inherited from the process that forked
    this one, or unpickled once per process and run."""
    key = part.run or part.key
    if not _RUN or _RUN[0][0] != key:
        if not part.run:
            raise RuntimeError(
                f"a part of run {part.key} came without the run to a process that did not "
                "inherit it (the runner says it forks its workers; it does not)"
            )
        _RUN[:] = [(part.run, pickle.loads(part.run))]
    return _RUN[0][1]


def run_part(part: Part) -> Accumulated:
    """Compute one part of a run (executed on a worker)."""
    scenario, timeline = _run_of(part)
    runner = WindowRunner(scenario, part.seed, timeline, part.bin_s, part.options)
    return runner.run(part.edges, part.first, part.last)


class FastDataPlane(DataPlane):
    """Computes the packet traffic of a scenario over a control timeline; see the module doc.

    ``rows``: ``all`` keeps every attempt row, ``failures`` only those around failures,
    ``auto`` all unless the run expects more than ``AUTO_ALL_LIMIT`` attempts. ``runner``
    and ``tasks``: compute the windows as that many parts through the runner (None: all
    here, in order). The other options exist for tests and benchmarks: the window size,
    whether later fixed-point rounds re-solve queues locally (the default) or whole (the
    reference), whether to measure the ghosts' approximation (``meta["fast"]["boundary"]``),
    whether windows are independent (the default) or carry their queues to the next (the
    sequential reference for the replay), and how much of the previous window a window
    replays.
    """

    NAME: ClassVar[str] = "fast"

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        timeline: ControlTimeline,
        trace: Trace,
        *,
        rows: str = "auto",
        window_attempts: int = WINDOW_ATTEMPTS,
        local_resolve: bool = True,
        check_boundaries: bool = False,
        independent: bool = True,
        replay_s: float = REPLAY_S,
        runner: Runner | None = None,
        tasks: int = 1,
    ) -> None:
        super().__init__(scenario, seed, timeline, trace)
        if rows == "auto":
            rows = "all" if expected_attempts(scenario) <= AUTO_ALL_LIMIT else "failures"
        if rows not in ("all", "failures"):
            raise ValueError(f"rows must be auto, all or failures, not {rows!r}")
        self.rows = rows
        self.options = FastOptions(
            rows, window_attempts, local_resolve, check_boundaries, independent, replay_s
        )
        self.net = FastNet(scenario, timeline, trace)  # registers the paths in the trace
        self.runner = runner
        self.tasks = max(1, tasks)

    # ---- windows --------------------------------------------------------------------
    def windows(self) -> np.ndarray:
        """The window edges: a function of the scenario alone (never of the workers)."""
        dur = self.scenario.duration
        rate = sum(c.rate for c in self.scenario.traffic if c.kind is not TrafficKind.BULK) or 1.0
        width = min(max(self.options.window_attempts / rate, MIN_WINDOW_S), MAX_WINDOW_S, dur)
        return np.append(np.arange(0.0, dur, width), dur)

    def run(self, progress: Progress | None = None) -> PacketResult:
        edges = self.windows()
        n, dur = len(edges) - 1, self.scenario.duration
        merged = _Merge(self.net.names)
        if self.runner is None or self.tasks == 1 or n == 1 or not self.options.independent:
            here = WindowRunner(
                self.scenario, self.seed, self.timeline, self.trace.bin_s, self.options
            )
            report = None if progress is None else (lambda t: progress(t, dur))
            merged.add(here.run(edges, 0, n, report))
        else:
            cuts = np.linspace(0, n, min(self.tasks, n) + 1).round().astype(int)
            run, key = b"", f"{os.getpid()}:{next(_KEYS)}"
            if self.runner.inherits:  # the workers fork from here, holding the run
                _RUN[:] = [(key, (self.scenario, self.timeline))]
            else:
                run = pickle.dumps((self.scenario, self.timeline), pickle.HIGHEST_PROTOCOL)
            work = [
                Part(
                    run,
                    key,
                    self.seed,
                    self.trace.bin_s,
                    self.options,
                    edges,
                    int(a),
                    int(b),
                )
                for a, b in itertools.pairwise(cuts)
                if b > a
            ]
            done = 0.0
            try:
                for _, part in self.runner(run_part, work):  # merged as each comes back
                    merged.add(part)
                    done += float(edges[part.last] - edges[part.first])
                    if progress is not None:
                        progress(done, dur)
            finally:
                _RUN.clear()  # held for the workers only while they fork
        return merged.result(self, n)


class _Merge:
    """The parts of a run, added up as they come back (in any order): rows renumbered
    in window order at the end, sketches and bytes added."""

    def __init__(self, names: list[tuple[str, int]]) -> None:
        self.names = names
        self.parts: list[Accumulated] = []  # with their bins and sketches dropped
        self.sketches: SketchSet | None = None
        self.bytes = np.zeros(len(names), dtype=np.int64)
        self.bins: np.ndarray | None = None
        self.boundary = {"ghosts": 0.0, "changed": 0.0, "max_error_s": 0.0}

    def add(self, part: Accumulated) -> None:
        if self.sketches is None:
            self.sketches = part.sketches
        elif part.sketches is not None:
            self.sketches.merge(part.sketches)
        self.bytes += part.bytes
        if self.bins is None:
            self.bins = np.zeros((len(self.names), part.n_bins), dtype=np.int64)
        self.bins[:, part.bins_lo : part.bins_lo + part.bins.shape[1]] += part.bins
        for key in ("ghosts", "changed"):
            self.boundary[key] += part.boundary.get(key, 0.0)
        self.boundary["max_error_s"] = max(
            self.boundary["max_error_s"], part.boundary.get("max_error_s", 0.0)
        )
        self.parts.append(dataclasses.replace(part, sketches=None, bins=np.zeros((0, 0))))

    def result(self, plane: FastDataPlane, windows: int) -> PacketResult:
        parts = sorted(self.parts, key=lambda p: p.first)
        counts = np.array([c for p in parts for c in p.counts], dtype=np.int64)
        offsets = np.cumsum(counts, axis=0) - counts  # requests of a flow before each window
        for p in parts:
            if p.rows:
                cols = {k: p.rows[k] for k in ATTEMPT_COLUMNS}
                cols["req"] = p.rows["req"] + offsets[p.rows["win"], p.rows["flow"]]
                plane.trace.attempts.extend(**cols)
        bins = (self.bins if self.bins is not None else np.zeros((len(self.names), 0))).astype(
            float
        )
        rounds = [r for p in parts for r in p.rounds]
        if len(rounds) != windows or self.sketches is None:
            raise RuntimeError(f"the parts computed {len(rounds)} of {windows} windows")
        counts_by_dir = {
            name: DirectionCount(float(self.bytes[i]), bins[i]) for i, name in enumerate(self.names)
        }
        fast: dict[str, object] = {
            "windows": windows,
            "parts": len(parts),
            "independent": plane.options.independent,
            "rounds_max": max(rounds, default=0),
            "unconverged_windows": sum(r >= MAX_ROUNDS for r in rounds),
            # the largest resident memory of any process that computed a part, or this one
            "peak_rss_mib": round(max([p.peak_rss_mib for p in parts] + [peak_rss_mib()]), 1),
        }
        if plane.options.check_boundaries:
            fast["boundary"] = dict(self.boundary)
        meta = {"data_plane": plane.NAME, "rows": plane.rows, "sketches": self.sketches.to_json()}
        return PacketResult(counts_by_dir, {**meta, "fast": fast})


__all__ = ["FastDataPlane", "Part", "Runner", "run_part"]

"""The windows of the fast engine: each one's waves and queues at their fixed point.

A :class:`WindowRunner` computes consecutive windows of one run and accumulates what they
add to it: the statistics (:class:`~netsim.trace.sketch.SketchSet`), the attempt rows it
keeps, the bytes on every link direction. Per window:

1. **Queues at the start.** Windows are *independent*: each rebuilds the queues it starts
   with by replaying the previous window's last ``replay_s`` seconds of requests (the
   same requests, with the same draws, from empty queues) and carrying their state across
   the boundary. Two FIFO queues fed the same arrivals from different starting work agree
   from the first moment the fuller one is empty (their difference never grows and
   shrinks whenever only the fuller one works), so the replay reproduces the queues of
   the sequential computation exactly unless a queue stays busy for the whole replay
   (an overloaded direction); docs/fast-engine.md measures the difference. Independent
   windows can run in any order and on any number of processes with the same result.
   ``independent=False`` carries the state of the whole previous window instead (the
   sequential reference).
2. **Fixed point.** Round 1 walks every wave with service times alone and solves every
   queue; each later round re-walks only the requests one of whose traversals changed
   sojourn (or drop verdict) and re-solves the busy periods around them, until nothing
   changes (:class:`~netsim.sim.fast.solver.QueueSolver`).
3. **Outputs.** Per request: delivered, latency and attempts into the sketches; per
   attempt: lost by reason into the sketches, the row if kept; per direction: bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.fast.load import Load, Requests
from netsim.sim.fast.memory import keep_freed_memory
from netsim.sim.fast.net import FastNet
from netsim.sim.fast.queue import distinct, stream_key
from netsim.sim.fast.slots import Slots
from netsim.sim.fast.solver import QueueSolver
from netsim.sim.fast.waves import Waves
from netsim.trace.core import LOST, OK, Trace
from netsim.trace.rows import failure_spans, failure_windows, in_spans
from netsim.trace.sketch import SketchSet

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline

WINDOW_ATTEMPTS = 250_000
MAX_ROUNDS = 12
REPLAY_S = 60.0


@dataclass(frozen=True, slots=True)
class FastOptions:
    """How the fast data plane computes (see :class:`~netsim.sim.fast.plane.FastDataPlane`)."""

    rows: str = "all"  # rows kept: "all" or "failures" (around failures)
    window_attempts: int = WINDOW_ATTEMPTS
    local_resolve: bool = True  # later rounds re-solve busy periods (False: whole queues)
    check_boundaries: bool = False  # measure the ghosts' approximation (meta["fast"])
    independent: bool = True  # windows rebuild their queues by replay (False: carry them)
    replay_s: float = REPLAY_S


@dataclass
class Accumulated:
    """What a run of consecutive windows adds to the trace (mergeable across processes)."""

    first: int  # first window
    last: int  # one past the last window
    counts: list[np.ndarray]  # per window: requests of each flow
    rows: dict[str, np.ndarray]  # kept attempt rows; "req" window-local, "win" their window
    sketches: SketchSet | None  # None once merged into the run's
    bytes: np.ndarray  # per direction
    bins: np.ndarray  # per direction, time bins ``bins_lo..`` (those the windows touched)
    bins_lo: int
    n_bins: int  # time bins of the whole run
    rounds: list[int] = field(default_factory=list)
    boundary: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0  # of the process that computed these windows


class WindowRunner:
    """Computes windows of one run; see the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        timeline: ControlTimeline,
        bin_s: float,
        options: FastOptions,
    ) -> None:
        keep_freed_memory()  # a window's temporaries reuse freed pages (memory.py)
        self.scenario, self.seed, self.options = scenario, seed, options
        self.trace = Trace(
            scenario.name,
            "sim",
            seed,
            scenario.duration,
            scenario.warmup,
            [c.name for c in scenario.traffic],
            list(scenario.topology.node_names),
            [],
            bin_s=bin_s,
        )  # scratch: FastNet registers the paths the legs use in it
        self.net = FastNet(scenario, timeline, self.trace)
        self.queues = QueueSolver(
            self.net, timeline, options.local_resolve, options.check_boundaries
        )
        self.load = Load(scenario, seed, self.trace.nodes)
        self.attr = self.load.attr
        self.spans = failure_spans(failure_windows(timeline.failovers, scenario.duration))
        self.sketches = SketchSet(
            self.trace.classes, SketchSet.buckets(scenario.duration, scenario.warmup)
        )
        n_bins = int(np.ceil(scenario.duration / bin_s))
        # whole bytes: integer sums do not depend on the order parts are added in
        self.bins = np.zeros((len(self.net.names), n_bins), dtype=np.int64)
        self.bytes = np.zeros(len(self.net.names), dtype=np.int64)
        self.rounds: list[int] = []
        self.counts: list[np.ndarray] = []
        self.rows: list[dict[str, np.ndarray]] = []
        self.previous: tuple[Requests, dict[str, np.ndarray]] | None = None

    @property
    def paths(self) -> list[tuple[str, ...]]:
        return self.trace.paths

    def run(
        self,
        edges: np.ndarray,
        first: int,
        last: int,
        progress: Callable[[float], None] | None = None,
    ) -> Accumulated:
        """Compute windows ``first..last-1`` of the run cut at ``edges``."""
        for w in range(first, last):
            if self.options.independent:
                self.queues.reset()
                if w > 0:
                    self._replay(w - 1, float(edges[w - 1]), float(edges[w]))
            self._window(w, float(edges[w]), float(edges[w + 1]))
            if progress is not None:
                progress(float(edges[w + 1]))
        rows = (
            {k: np.concatenate([r[k] for r in self.rows]) for k in self.rows[0]}
            if self.rows
            else {}
        )
        used = np.flatnonzero(self.bins.any(axis=0))
        lo, hi = (int(used[0]), int(used[-1]) + 1) if len(used) else (0, 0)
        return Accumulated(
            first,
            last,
            self.counts,
            rows,
            self.sketches,
            self.bytes,
            self.bins[:, lo:hi].copy(),
            lo,
            self.bins.shape[1],
            self.rounds,
            dict(self.queues.boundary),
            peak_rss_mib(),
        )

    # ---- one window -----------------------------------------------------------------
    def _replay(self, w: int, t_lo: float, t_hi: float) -> None:
        """Rebuild the queues at ``t_hi`` from the last seconds of window ``w``."""
        prev = self.previous if self.previous and self.previous[0].window == w else None
        rq = prev[0] if prev else self.load.requests(w, t_lo, t_hi)
        tail = rq.tail(t_hi - self.options.replay_s)
        if tail.n == 0:
            return
        draws = None
        if prev is not None and tail.origin is not None:
            o = tail.origin
            draws = {k: (v[:, o] if k == "z" else v[o]) for k, v in prev[1].items()}
        _, slots = self._solve(tail, draws)
        self.queues.advance(slots, t_hi)

    def _window(self, w: int, t_lo: float, t_hi: float) -> None:
        rq = self.load.requests(w, t_lo, t_hi)
        if not self.load.flows:  # bulk only: nothing queues as packets
            self.rounds.append(0)
            self.counts.append(rq.counts)
            return
        waves, slots = self._solve(rq)
        self.rounds.append(waves.rounds)
        self.queues.advance(slots, t_hi)
        self.previous = (rq, waves.draws[0])
        self._count_bytes(slots)
        self.counts.append(rq.counts)
        if rq.n:
            self._outputs(rq, waves)

    def _solve(
        self, rq: Requests, draws: dict[str, np.ndarray] | None = None
    ) -> tuple[Waves, Slots]:
        """Waves of attempts and queue sojourns at their common fixed point.

        Round 1 walks everything with service times alone and solves every queue; each
        later round re-walks only the requests one of whose traversals changed sojourn
        (or drop verdict), updates the orders of the directions they touch and re-solves
        those. It stops when no sojourn changes (exact fixed point).
        """
        per = 2 * self.net.H
        slots = Slots(
            rq.n,
            per,
            len(self.net.names),
            [stream_key(self.seed, "fast-uniform", rq.window, 0)],
            origin=rq.origin,
            full=rq.n_full,
        )
        waves = Waves(self.net, self.load, self.seed, rq, slots, draws=draws)
        waves.walk(np.arange(rq.n))
        slots.build_orders()
        changed = self.queues.solve(slots)
        rounds = 1
        while len(changed) and rounds < MAX_ROUNDS:
            rounds += 1
            reqs = distinct(slots.requests(changed))
            old = slots.of_requests(reqs)
            old_d, old_t = slots.d[old].copy(), slots.t[old].copy()
            slots.d[old] = -1
            waves.forget(reqs)
            new = waves.walk(reqs)
            # Only traversals that moved (other arrival or direction) change the queues.
            cand = distinct(np.concatenate([old, new]))
            at = np.searchsorted(old, cand).clip(max=len(old) - 1)
            known = old[at] == cand
            before_d = np.where(known, old_d[at], -1)
            before_t = np.where(known, old_t[at], np.nan)
            same = (before_d == slots.d[cand]) & (before_t == slots.t[cand])
            moved = (before_d >= 0) & ~same
            touched, removed = slots.move(
                cand[moved], before_d[moved], before_t[moved], cand[(slots.d[cand] >= 0) & ~same]
            )
            changed = self.queues.resolve(slots, touched, removed)
        waves.rounds = rounds
        return waves, slots

    def _outputs(self, rq: Requests, waves: Waves) -> None:
        """The window's requests into the sketches, and the rows kept."""
        ci = np.repeat(self.attr["ci"], np.diff(rq.bounds))
        first = waves.results[0]
        if len(waves.results) == 1:  # no retry: one attempt per request, in order
            status = first["status"]
            ok = status == OK
            latency = first["t_done"] - rq.t0
            tries = np.ones(rq.n, np.int64)
            lost = np.flatnonzero(status == LOST)
            if len(lost):
                self.sketches.add_losses(ci[lost], first["t_send"][lost], first["reason"][lost])
            self._keep_rows(rq, first, np.arange(rq.n), 0, ci)
            self.sketches.add_requests(ci, rq.t0, ok, latency, tries)
            return
        ok = np.zeros(rq.n, dtype=bool)
        latency = np.full(rq.n, np.nan)
        tries = np.zeros(rq.n, np.int64)
        for k, res in enumerate(waves.results):
            m = np.flatnonzero(res["present"])
            tries[m] += 1
            status = res["status"][m]
            good = m[status == OK]
            ok[good] = True
            latency[good] = res["t_done"][good] - rq.t0[good]
            lost = m[status == LOST]
            self.sketches.add_losses(ci[lost], res["t_send"][lost], res["reason"][lost])
            self._keep_rows(rq, res, m, k, ci)
        self.sketches.add_requests(ci, rq.t0, ok, latency, tries)

    def _keep_rows(
        self, rq: Requests, res: dict[str, np.ndarray], m: np.ndarray, k: int, ci: np.ndarray
    ) -> None:
        if self.options.rows != "all":
            sent = res["t_send"][m]
            lo, hi = (float(sent.min()), float(sent.max())) if len(sent) else (0.0, -1.0)
            if not ((self.spans[:, 0] <= hi) & (self.spans[:, 1] >= lo)).any():
                return  # the window is far from every failure
            m = m[in_spans(sent, self.spans)]
        if len(m) == 0:
            return
        fl = rq.flow[m]
        self.rows.append(
            {
                "cls": ci[m],
                "dst": self.attr["dst"][fl],
                "req": rq.idx[m],
                "attempt": np.full(len(m), k),
                "t_send": res["t_send"][m],
                "t_done": res["t_done"][m],
                "status": res["status"][m],
                "reason": res["reason"][m],
                "path": res["path"][m],
                "bytes": res["bytes"][m],
                "flow": fl,
                "win": np.full(len(m), rq.window, np.int64),
            }
        )

    def _count_bytes(self, slots: Slots) -> None:
        """Bytes admitted per direction, in total and per time bin of arrival.

        Each direction's arrivals are sorted and a window spans few bins
        (:func:`bytes_per_bin`).
        """
        n_bins = self.bins.shape[1]
        bin_s = self.trace.bin_s
        dropped = bool(slots.drop.any())
        for k, o in enumerate(slots.orders):
            if len(o) == 0:
                continue
            wire, t = slots.wire[o], slots.times[k]
            if dropped:
                keep = ~slots.drop[o]
                wire, t = wire[keep], t[keep]
                if len(t) == 0:
                    continue
            self.bytes[k] += round(float(wire.sum()))
            lo, part = bytes_per_bin(t, wire, bin_s, n_bins)
            self.bins[k, lo : lo + len(part)] += np.rint(part).astype(np.int64)


def bytes_per_bin(
    t: np.ndarray, wire: np.ndarray, bin_s: float, n_bins: int
) -> tuple[int, np.ndarray]:
    """``(lo, sums)``: the bytes ``wire`` of arrivals at the ascending times ``t`` summed per
    bin ``int(t / bin_s)`` (as ``int(t * (1 / bin_s))``), for the bins ``lo, lo + 1, ...``
    they fill below ``n_bins``; ``np.bincount`` with weights, without a pass per arrival
    to find its bin.

    >>> bytes_per_bin(np.array([0.5, 1.2, 1.7, 3.1, 9.0]), np.ones(5), 1.0, 5)
    (0, array([1., 2., 0., 1., 0.]))
    """
    per_bin = 1.0 / bin_s
    if len(t) == 0:
        return 0, np.zeros(0)
    lo, hi = int(t[0] * per_bin), min(int(t[-1] * per_bin), n_bins - 1)
    if lo > hi:
        return lo, np.zeros(0)
    bins = np.arange(lo + 1, hi + 2)
    edges = _settle_edges(t, np.searchsorted(t, bins * bin_s, side="left"), bins, per_bin)
    starts = np.concatenate([[0], edges[:-1]])
    full = starts < edges
    part = np.zeros(len(edges))
    if full.any():  # consecutive non-empty bins: each ends where the next starts
        part[full] = np.add.reduceat(wire[: int(edges[-1])], starts[full])
    return lo, part


def _settle_edges(t: np.ndarray, edges: np.ndarray, bins: np.ndarray, per_bin: float) -> np.ndarray:
    """Move each ``edges[i]`` (a search for ``bins[i] / per_bin`` in the sorted ``t``) to the
    first index whose ``int(t * per_bin)`` is at least ``bins[i]`` (they differ only where
    the division rounds)."""
    n = len(t)
    for _ in range(4):
        back = (edges > 0) & ((t[np.maximum(edges - 1, 0)] * per_bin).astype(np.int64) >= bins)
        ahead = (edges < n) & ((t[np.minimum(edges, n - 1)] * per_bin).astype(np.int64) < bins)
        if not (back.any() or ahead.any()):
            return edges
        edges = edges - back + ahead
    return np.asarray(
        [int(np.searchsorted((t * per_bin).astype(np.int64), b, side="left")) for b in bins]
    )


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (MiB; 0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not a Unix
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


__all__ = [
    "MAX_ROUNDS",
    "REPLAY_S",
    "WINDOW_ATTEMPTS",
    "Accumulated",
    "FastOptions",
    "WindowRunner",
]

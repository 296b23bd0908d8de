"""Independent windows, parts on other processes, and the boundary between them.

Oracle: the sequential computation (``independent=False``), which carries every queue from
one window to the next. An independent window rebuilds the queues it starts with by
replaying the previous window's last ``REPLAY_S`` seconds from empty queues; two FIFO
queues fed the same arrivals from different starting work agree from the first moment the
fuller one is empty, so on any load whose queues empty within the replay the two
computations agree exactly: the stated boundary error is zero, and these tests hold it to
that, bit for bit. The one load that breaks the argument (a queue that never empties: an
overload with no buffer) is shown to differ, so the comparison can fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from netsim.analysis.summary import summarize
from netsim.model import load_scenario
from netsim.sim.engine import run_fast
from netsim.sim.fast.plane import Part, Runner, run_part
from netsim.sim.fast.window import FastOptions
from netsim.sweep import BoundRunner, completed
from netsim.trace.core import ATTEMPT_COLUMNS, Trace

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netsim.sim.fast.window import Accumulated

ROOT = Path(__file__).resolve().parents[2]
# A shortened year: two days, a blackhole and a lossy tunnel across a window boundary, the
# replication flows at up to 10 Gbps; windows of 50,000 requests (about 100 boundaries).
YEAR = [
    "duration=2d",
    "failures=[{link: aws-mcr, at: 30h, duration: 1h, mode: blackhole}, "
    "{link: vpn-aws-gcp, at: 30h, duration: 30m, mode: 'loss:0.2'}, {random: true}]",
    "traffic.replication.max_rate=10Gbps",
]
WINDOW = 50_000


def same_trace(a: Trace, b: Trace) -> None:
    for name in ATTEMPT_COLUMNS:
        assert np.array_equal(a.attempts[name], b.attempts[name], equal_nan=True), name
    assert a.link_bytes == b.link_bytes
    for key in a.link_series:
        assert np.array_equal(a.link_series[key], b.link_series[key])


@pytest.mark.slow
def test_the_chunked_year_equals_the_sequential_run() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline-year.yaml", YEAR)
    chunked = run_fast(scenario, 1, rows="all", window_attempts=WINDOW)
    sequential = run_fast(scenario, 1, rows="all", window_attempts=WINDOW, independent=False)
    assert chunked.meta["fast"]["windows"] > 50
    assert chunked.meta["fast"]["independent"]
    assert not sequential.meta["fast"]["independent"]
    same_trace(chunked, sequential)
    a, b = summarize(chunked, scenario).to_json(), summarize(sequential, scenario).to_json()
    a.pop("wall_s")
    b.pop("wall_s")
    assert a == b
    assert a["failovers"]
    assert a["failovers"][0]["gap_s"] > 0  # the failure was simulated


@dataclass(frozen=True)
class Sending:
    """A runner whose workers do not inherit the run (as on a Dask cluster): each part
    carries the pickled run."""

    inherits = False

    def __call__(self, fn: Callable[[Part], Accumulated], parts: Sequence[Part]) -> Any:
        assert all(part.run for part in parts)
        return completed(fn, parts, 2, None)


@pytest.mark.parametrize("runner", [BoundRunner(2, None), Sending()], ids=["forked", "sent"])
def test_parts_on_other_processes_give_the_same_trace(runner: Runner) -> None:
    """However many processes compute the parts, and whether they inherit the run from this
    one or get it pickled, the trace is the one of this process."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline-year.yaml", ["duration=6h"])
    here = run_fast(scenario, 3, rows="all", window_attempts=WINDOW)
    there = run_fast(scenario, 3, rows="all", window_attempts=WINDOW, runner=runner, tasks=5)
    assert there.meta["fast"]["parts"] == 5
    same_trace(here, there)
    for key in ("counters", "lat_sum", "lost"):
        x, y = here.meta["sketches"][key], there.meta["sketches"][key]
        if isinstance(x, dict):
            assert all(np.array_equal(x[k], y[k]) for k in x)
        else:
            assert np.array_equal(x, y)


def test_a_part_without_its_run_where_none_was_inherited_is_refused() -> None:
    part = Part(b"", "elsewhere:0", 1, 1.0, FastOptions("all"), np.array([0.0, 1.0]), 0, 1)
    with pytest.raises(RuntimeError, match="did not inherit"):
        run_part(part)


def test_a_queue_that_never_empties_shows_the_boundary_error(tmp_path: Path) -> None:
    """The limit of the replay: a direction overloaded with no buffer never empties, so a
    window that rebuilds it from a short replay starts with less backlog than the
    sequential run carried (the comparison above can fail)."""
    (tmp_path / "one.yaml").write_text(
        "name: one\nnodes: {a: {}, b: {}}\n"
        "links:\n  - {name: ab, endpoints: [a, b], capacity: 8Mbps, delay: 0s}\n"
    )
    (tmp_path / "q.yaml").write_text(
        "name: q\ntopology: one.yaml\nduration: 240s\nseed: 3\ntraffic:\n"
        "  - {name: m, kind: one-way, from: a, to: b, rate: 1300/s, size: 1000B, timeout: 1h}\n"
    )
    scenario = load_scenario(tmp_path / "q.yaml")
    short = run_fast(scenario, 1, rows="all", window_attempts=60_000, replay_s=5.0)
    sequential = run_fast(scenario, 1, rows="all", window_attempts=60_000, independent=False)
    late_short = short.attempts["t_done"] - short.attempts["t_send"]
    late_seq = sequential.attempts["t_done"] - sequential.attempts["t_send"]
    assert late_short.max() < late_seq.max()  # less backlog carried over: shorter waits

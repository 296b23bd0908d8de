"""Which attempt rows a run keeps and writes: ``--records all | failures | none``.

A simulated day has millions of attempts and a year about a billion, while the questions
rows answer beyond the summary (failover gaps, the timeline around a failure) need only
the attempts near failures. A run therefore keeps and writes one of:

``all``       every attempt (exact statistics from the rows; big files for long runs);
``failures``  the attempts sent from ``ROW_MARGIN_S`` before each failure to
              ``ROW_MARGIN_S`` after its switch (or repair); statistics come from the run's
              mergeable sketches (:mod:`netsim.trace.sketch`, quantiles within 0.1 %);
``none``      no ``attempts.parquet`` at all (the summary still measures failover gaps
              from the rows around failures, kept in memory).

``auto`` (the default) is ``all`` for runs expected to send at most ``AUTO_ALL_LIMIT``
requests and datagrams, else ``failures``.

Examples
--------
>>> failure_spans([(10.0, 12.0), (30.0, 50.0)]).tolist()
[[-20.0, 80.0]]
>>> in_spans(np.array([-25.0, 0.0, 85.0]), failure_spans([(10.0, 12.0)])).tolist()
[False, True, False]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.model.scenario import TrafficKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from netsim.model.scenario import Scenario
    from netsim.trace.records import FailoverRecord

RECORDS = ("auto", "all", "failures", "none")
AUTO_ALL_LIMIT = 1_000_000  # expected requests and datagrams up to which auto keeps all rows
ROW_MARGIN_S = 30.0


def expected_attempts(scenario: Scenario) -> float:
    """Requests and datagrams the scenario sends on average (first attempts)."""
    total = 0.0
    for cls in scenario.traffic:
        if cls.kind is TrafficKind.BULK:
            continue
        stop = min(cls.stop if cls.stop is not None else scenario.duration, scenario.duration)
        total += cls.rate * max(stop - cls.start, 0.0)
    return total


def resolve_records(records: str, scenario: Scenario) -> str:
    """``all``, ``failures`` or ``none``: ``auto`` decided by the scenario's size."""
    if records not in RECORDS:
        raise ValueError(f"records must be one of {', '.join(RECORDS)}, not {records!r}")
    if records != "auto":
        return records
    return "all" if expected_attempts(scenario) <= AUTO_ALL_LIMIT else "failures"


def failure_windows(
    failovers: Iterable[FailoverRecord], duration: float
) -> list[tuple[float, float]]:
    """(failed at, switched at or repaired at or the end) of every failure."""
    out = []
    for rec in failovers:
        end = rec.switched_at_s if rec.switched_at_s is not None else rec.repaired_at_s
        out.append((rec.failed_at_s, duration if end is None else end))
    return out


def failure_spans(
    windows: Sequence[tuple[float, float]], margin: float = ROW_MARGIN_S
) -> np.ndarray:
    """The merged spans ``[start - margin, end + margin]`` of ``windows``, as an (n, 2)
    array (one empty span at minus infinity when there is no failure)."""
    merged: list[list[float]] = []
    for lo, hi in sorted((a - margin, b + margin) for a, b in windows):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return np.array(merged or [[-np.inf, -np.inf]], dtype=float)


def in_spans(t: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Which of the times ``t`` fall inside one of the (sorted, disjoint) ``spans``."""
    j = np.searchsorted(spans[:, 0], t, side="right") - 1
    return np.asarray((j >= 0) & (t <= spans[np.maximum(j, 0), 1]))


__all__ = [
    "AUTO_ALL_LIMIT",
    "RECORDS",
    "ROW_MARGIN_S",
    "expected_attempts",
    "failure_spans",
    "failure_windows",
    "in_spans",
    "resolve_records",
]

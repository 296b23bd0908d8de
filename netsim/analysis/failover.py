"""Failover gaps measured from the data plane (architecture section 6).

For each failure the *affected flows* are the (class, destination) flows whose packets,
just before the failure, used a link the failure impaired (or, for flows that had sent
nothing yet, whose first packets after it did or found no route). The gap is the longest stretch
starting at the failure in which their packets were lost: from the failure to the midpoint
between the last lost packet and the first delivered one after it (the midpoint halves the
error of the probe spacing). The same function reads simulated and lab traces.
"""

from __future__ import annotations

import numpy as np

from netsim.analysis.results import FailoverResult
from netsim.trace.core import LOST, R_NO_ROUTE, Columns, Trace

LOOKBACK_S = 5.0
# Packets a flow needs before the median of their intervals is taken as its probe spacing
# (two intervals at least; with fewer the spacing counts as 0).
MIN_SPACING_PACKETS = 3


def affected_flows(trace: Trace, links: set[str], at: float) -> set[tuple[int, int]]:
    """Flows whose attempts in the few seconds before ``at`` crossed one of ``links``; and
    flows that had sent nothing before ``at`` (a failure at the start of the run, or
    before the class starts) whose first attempts after it crossed one of ``links`` or
    found no route (a failure that partitions them from the start: its gap lasts until
    something gets through)."""
    a = trace.attempts
    t = a["t_send"]
    hit_paths = [i for i, p in enumerate(trace.paths) if links.intersection(p)]
    crossed = np.isin(a["path"], hit_paths)
    window = (t >= at - LOOKBACK_S) & (t < at)
    out = _flows(a, window & crossed)
    started = _flows(a, t < at)
    first = (t >= at) & (t < at + LOOKBACK_S) & (crossed | (a["reason"] == R_NO_ROUTE))
    return out | (_flows(a, first) - started)


def _flows(a: Columns, mask: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(a["cls"][mask].tolist(), a["dst"][mask].tolist(), strict=True))


def measure_gap(
    trace: Trace, flows: set[tuple[int, int]], at: float, until: float | None = None
) -> tuple[float, int]:
    """(gap seconds, packets lost in it) after a failure at ``at``: the longest gap of any
    of ``flows`` and the losses of all of them."""
    a = trace.attempts
    t = a["t_send"]
    sel = t >= at
    if until is not None:
        sel &= t < until
    key = a["cls"].astype(np.int64) * 65536 + a["dst"].astype(np.int64)
    worst, lost_total = 0.0, 0
    for c, d in sorted(flows):
        gap, lost = _flow_gap(
            t[sel & (key == c * 65536 + d)], a["status"][sel & (key == c * 65536 + d)], at
        )
        worst, lost_total = max(worst, gap), lost_total + lost
    return worst, lost_total


def _flow_gap(times: np.ndarray, status: np.ndarray, at: float) -> tuple[float, int]:
    """The loss run of one flow starting at the failure (see the module docstring)."""
    order = np.argsort(times, kind="stable")
    times = times[order]
    lost = (status == LOST)[order]
    if len(times) == 0 or not lost.any():
        return 0.0, 0
    delivered = np.flatnonzero(~lost)
    first_lost = int(np.argmax(lost))
    after = delivered[delivered > first_lost]
    # If something got through right after the failure, only a run that starts within a
    # packet or two of it counts (``loss:p`` drops isolated packets: that is not a gap).
    if first_lost > 0 and times[first_lost] - at > 2 * _spacing(times):
        return 0.0, int(lost.sum())
    if len(after) == 0:
        return float(times[-1] - at), int(lost[first_lost:].sum())
    end = int(after[0])
    last_lost = times[end - 1]
    gap = (last_lost + times[end]) / 2 - at
    return float(max(gap, 0.0)), int(lost[first_lost:end].sum())


def _spacing(times: np.ndarray) -> float:
    return float(np.median(np.diff(times))) if len(times) >= MIN_SPACING_PACKETS else 0.0


def failover_results(trace: Trace) -> list[FailoverResult]:
    """The trace's failover records with the gap and losses measured from the data."""
    out = []
    for rec in trace.failovers:
        at = rec.failed_at_s
        flows = affected_flows(trace, set(rec.links), at)
        gap, lost = measure_gap(trace, flows, at)
        model = None if rec.switched_at_s is None else rec.switched_at_s - at
        out.append(
            FailoverResult(
                rec, round(gap, 4), lost, None if model is None else round(model, 4), len(flows)
            )
        )
    return out

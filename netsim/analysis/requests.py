"""From attempts to requests: what an application sees.

The Trace records one row per attempt (a request and each of its retries, or a datagram).
:func:`request_table` groups them into requests, vectorised: a request succeeds if any of
its attempts got an answer in time, and its latency runs from its first send to the first
answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.trace.core import LOST, OK, Trace
from netsim.trace.sketch import SketchSet


@dataclass(frozen=True)
class Requests:
    cls: np.ndarray  # class index
    dst: np.ndarray
    t_send: np.ndarray  # first attempt
    ok: np.ndarray  # bool
    latency: np.ndarray  # seconds, NaN if failed
    attempts: np.ndarray  # number of attempts made


def request_table(trace: Trace, since: float | None = None) -> Requests:
    """Requests whose first attempt was sent at or after ``since`` (default: the warmup)."""
    a = trace.attempts
    since = trace.warmup if since is None else since
    cls, dst, req = a["cls"], a["dst"], a["req"]
    if len(cls) == 0:
        empty = np.empty(0)
        return Requests(
            empty.astype(np.int16),
            empty.astype(np.int16),
            empty,
            empty.astype(bool),
            empty,
            empty.astype(np.int64),
        )
    order = np.lexsort((a["attempt"], req, dst, cls))
    c, d, r = cls[order], dst[order], req[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1]) | (r[1:] != r[:-1])
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    t_send = a["t_send"][order][starts]
    ok_rows = a["status"][order] == OK
    done = np.where(ok_rows, a["t_done"][order], np.inf)
    first_ok = np.minimum.reduceat(done, starts)
    ok = np.isfinite(first_ok)
    latency = np.where(ok, first_ok - t_send, np.nan)
    n_attempts = np.bincount(group, minlength=len(starts))
    keep = t_send >= since
    return Requests(
        c[starts][keep], d[starts][keep], t_send[keep], ok[keep], latency[keep], n_attempts[keep]
    )


def sketches_of(trace: Trace) -> SketchSet:
    """The statistics of a trace's rows as mergeable sketches: what a run directory keeps
    when it holds fewer rows than the run had (``--records failures|none``), so that it
    summarises like the run (quantiles within the sketches' 0.1 %)."""
    sketches = SketchSet(trace.classes, SketchSet.buckets(trace.duration, trace.warmup))
    req = request_table(trace, since=0.0)
    sketches.add_requests(req.cls, req.t_send, req.ok, req.latency, req.attempts)
    a = trace.attempts
    lost = a["status"] == LOST
    sketches.add_losses(a["cls"][lost], a["t_send"][lost], a["reason"][lost])
    return sketches

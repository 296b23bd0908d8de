"""``window: month``: an SLO judged on the figure of a whole month, failures included.

A run shows two states of a class's traffic: failure-free, and during a failure (from
the failure to the restoration of the preferred path, :func:`failure_spans`). A month
mixes them in the proportion the availability model expects: the preferred path of the
class is down a fraction ``f = 1 - A`` of the time, ``A`` being the series availability
of its elements from their ``mtbf``/``mttr`` (:func:`netsim.analysis.graph.path_availability`,
the closed form). So the month's latency distribution is
``F(x) = (1 - f) F_normal(x) + f F_failure(x)`` and its success ratio
``(1 - f) S_normal + f S_failure``.

The interval: each state's part has the interval of a ratio built for correlated output
(:func:`netsim.analysis.intervals.interval_of`: the fraction of requests at most the
estimate, or delivered), added with the weights; a quantile's interval inverts that of
``F`` at the estimate (Woodruff's method, as for a single run). ``f`` comes from the
topology's failure figures, which are assumptions with no sampling interval: the
sensitivity figure of the design review shows what they move.

What this leaves out: the failure state is the run's failures, detection and switch
included; a real outage of hours spends a smaller share of its time detecting than a
one-minute scripted one, so the composed figure leans pessimistic when the run's
failures are short.

Examples
--------
>>> import numpy as np
>>> x = np.arange(1.0, 101.0)
>>> weighted_quantile(x, np.full(100, 0.01), 0.95)
95.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.evidence import outward
from netsim.analysis.graph import path_availability, path_components
from netsim.analysis.intervals import Stat, interval_of
from netsim.analysis.judged import MONTH_MIN, MonthFigure
from netsim.analysis.windows import failure_spans, in_spans
from netsim.model.routing import best_path

if TYPE_CHECKING:
    from netsim.analysis.evidence import Evidence
    from netsim.model.scenario import Scenario, Slo


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` (weights sum to 1)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    i = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(values[order][min(i, len(values) - 1)])


def failure_fraction(scenario: Scenario, src: str, dst: str) -> tuple[float, tuple[str, ...]]:
    """``1 - A`` of the preferred path from ``src`` to ``dst``, and its elements."""
    topology = scenario.topology
    path = best_path(topology, src, dst, frozenset())
    if not path:
        return 1.0, ()
    elements = tuple(c.name for c in path_components(topology, path, src))
    return 1.0 - path_availability(topology, path, src), elements


def compose_month(evidence: Evidence, slo: Slo, scenario: Scenario) -> MonthFigure:
    """The monthly figure of ``slo`` (a latency or success SLO) from this run."""
    cls = scenario.traffic_class(slo.traffic_class or "")
    f, elements = failure_fraction(scenario, cls.src, cls.dsts[0])
    trace = evidence.trace
    req = evidence.requests
    ci = trace.classes.index(cls.name)
    mine = req.cls == ci
    during = in_spans(req.t_send, failure_spans(trace))
    latency = slo.metric == "latency"
    keep = mine & req.ok if latency else mine
    normal, failing = keep & ~during, keep & during
    counts = (int(normal.sum()), int(failing.sum()))
    note = ""
    if not elements:
        note = "no path between the class's ends"
    elif f <= 0.0:
        note = "no element of the path has a failure model (mtbf): the month is failure-free"
    if counts[0] == 0 or (f > 0.0 and counts[1] == 0):
        missing = "failure-free" if counts[0] == 0 else "failure"
        return MonthFigure(
            None,
            (None, None),
            f,
            *counts,
            elements,
            note or f"no {missing} requests in this run to compose the month from",
        )
    span = (trace.warmup, trace.duration)
    t, breaks = req.t_send, evidence.breaks
    weight = {"n": 1.0 - f, "f": f}
    if not latency:
        parts = {
            k: interval_of(req.ok[m].astype(float), t[m], Stat.ratio(), span=span, breaks=breaks)
            for k, m in (("n", normal), ("f", failing))
            if m.any()
        }
        point = sum(weight[k] * p.point for k, p in parts.items())
        lo = sum(weight[k] * p.ci[0] for k, p in parts.items())
        hi = sum(weight[k] * p.ci[1] for k, p in parts.items())
        return MonthFigure(round(point, 6), outward((lo, hi), 6), f, *counts, elements, note)
    values = req.latency * 1e3
    x = np.concatenate([values[normal], values[failing]])
    w = np.concatenate(
        [np.full(counts[0], (1.0 - f) / counts[0]), np.full(counts[1], f / max(counts[1], 1))]
    )
    q = slo.quantile or 0.95
    point = weighted_quantile(x, w, q)
    below = above = 0.0
    for k, m in (("n", normal), ("f", failing)):
        if not m.any() or weight[k] == 0.0:
            continue
        est = interval_of(
            (values[m] <= point).astype(float), t[m], Stat.ratio(), span=span, breaks=breaks
        )
        below += weight[k] * (est.point - est.ci[0])
        above += weight[k] * (est.ci[1] - est.point)
    lo = weighted_quantile(x, w, max(q - above, 0.0))
    hi = weighted_quantile(x, w, min(q + below, 1.0))
    return MonthFigure(
        round(point, 3),
        outward((min(lo, point), max(hi, point)), 3),
        f,
        *counts,
        elements,
        note,
    )


__all__ = ["MONTH_MIN", "MonthFigure", "compose_month", "failure_fraction", "weighted_quantile"]

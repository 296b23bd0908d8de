"""``summary.json`` (architecture section 6): a pure function of a Trace and its Scenario.

:func:`summarize` computes per-class counts and latency percentiles with confidence
intervals built for correlated output (:mod:`netsim.analysis.evidence`, stratified at the
scenario's scripted changes, :mod:`netsim.analysis.strata`), SLO verdicts
(:mod:`netsim.analysis.slos`), failovers (gaps measured from the data plane), per-link
volumes and utilisation, and cost. The simulator and the lab share it.

When a long run kept attempt rows only around failures (``trace.meta["rows"] ==
"failures"``, see :mod:`netsim.sim.fast.plane`), the per-class counts and latency quantiles come
from the run's mergeable sketches instead (:class:`netsim.trace.sketch.SketchSet`, quantiles
within 0.1 % of the exact order statistics; their buckets are the batches of the
intervals), with the same keys; failover gaps are still measured from the rows, which
cover every failure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

import netsim
from netsim.analysis.evidence import LATENCY_ESTIMATES, Evidence, outward, sketch_set
from netsim.analysis.failover import failover_results
from netsim.analysis.results import (
    BulkStats,
    ClassStats,
    CostSummary,
    LatencyStats,
    LinkStats,
    Summary,
    TrafficStats,
    TransferTimes,
)
from netsim.analysis.slos import evaluate_slo
from netsim.analysis.strata import scripted_breaks
from netsim.analysis.verdicts import overall
from netsim.model.scenario import Scenario, TrafficKind
from netsim.model.topology import Role, Topology
from netsim.model.units import DAYS_PER_MONTH
from netsim.trace.core import REASONS, Trace

if TYPE_CHECKING:
    from netsim.trace.records import TransferRecord

MONTH_S = DAYS_PER_MONTH * 86400.0


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def class_stats(evidence: Evidence, ci: int, trace: Trace, kind: TrafficKind) -> ClassStats:
    """Counts, success ratio and latency of class ``ci`` from the run's rows."""
    req = evidence.requests
    mask = req.cls == ci
    sent, delivered = int(mask.sum()), int(req.ok[mask].sum())
    a = trace.attempts
    rows = (a["cls"] == ci) & (a["t_send"] >= trace.warmup) & (a["status"] == 1)
    reasons = np.bincount(a["reason"][rows], minlength=len(REASONS))
    return _class_stats(
        evidence,
        ci,
        kind,
        (sent, delivered, int((req.attempts[mask] > 1).sum())),
        reasons,
    )


def sketch_class_stats(evidence: Evidence, ci: int, kind: TrafficKind) -> ClassStats:
    """:func:`class_stats` from sketches and counters (after the warmup: buckets 1..)."""
    sk = evidence.sketches
    assert sk is not None
    counts = (
        int(sk.count["sent"][ci, 1:].sum()),
        int(sk.count["delivered"][ci, 1:].sum()),
        int(sk.count["retried"][ci, 1:].sum()),
    )
    return _class_stats(evidence, ci, kind, counts, sk.lost[ci, 1:].sum(axis=0))


def _class_stats(
    evidence: Evidence,
    ci: int,
    kind: TrafficKind,
    counts: tuple[int, int, int],
    reasons: np.ndarray,
) -> ClassStats:
    sent, delivered, retried = counts
    success = evidence.success(ci)
    latency = None
    if delivered:
        ests = {name: evidence.latency(ci, stat) for name, stat in LATENCY_ESTIMATES.items()}
        latency = LatencyStats(
            _r(ests["mean"].point),
            _r(evidence.latency_max(ci)),
            _r(ests["p50"].point),
            outward(ests["p50"].ci),
            _r(ests["p95"].point),
            outward(ests["p95"].ci),
            _r(ests["p99"].point),
            outward(ests["p99"].ci),
            outward(ests["mean"].ci),
            {name: e.method for name, e in ests.items()},
        )
    return ClassStats(
        kind,
        sent,
        delivered,
        _r(delivered / sent, 6) if sent else None,
        outward(success.ci, 6) if sent else (None, None),
        latency,
        retried,
        {REASONS[i]: int(n) for i, n in enumerate(reasons) if n and i},
        success.method if sent else None,
    )


def _active_span(rows: list[TransferRecord], end: float) -> float:
    """Seconds during which at least one of the transfers was running."""
    spans = sorted((t.start_s, t.finish_s if t.finish_s is not None else end) for t in rows)
    total, cur_start, cur_end = 0.0, None, None
    for start, finish in spans:
        if cur_end is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, finish
        else:
            cur_end = max(cur_end, finish)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total


def bulk_stats(trace: Trace, name: str) -> BulkStats:
    """Transfers of a bulk class; throughput is over the time any of them was running."""
    rows = [t for t in trace.transfers if t.traffic_class == name]
    delivered = sum(t.delivered_bytes for t in rows)
    done = [t.duration_s for t in rows if t.duration_s is not None]
    span = max(_active_span(rows, trace.duration), 1e-9)
    return BulkStats(
        len(rows),
        len(done),
        delivered,
        _r(span if rows else 0.0),
        _r(delivered * 8 / span / 1e6),
        TransferTimes(_r(float(np.mean(done))), _r(max(done))) if done else None,
    )


def link_stats(trace: Trace, scenario: Scenario) -> dict[str, LinkStats]:
    out = {}
    span = max(trace.duration, 1e-9)
    down = trace.meta.get("link_down_s", {})
    for link in scenario.topology.links:
        volume = trace.link_bytes.get(link.name, 0.0)
        out[link.name] = LinkStats(
            _r(volume, 1),
            _r(volume * 8 / (2 * link.capacity * span), 6),
            _r(down.get(link.name, 0.0), 3),
        )
    return out


def billed_bytes(trace: Trace, topology: Topology) -> dict[str, float]:
    """Bytes per link that per-GB prices apply to: those *leaving a cloud* (egress is billed
    by the sender), per direction from ``link_series``. Links between non-cloud nodes, and
    traces without per-direction series (some lab runs), count both directions."""
    clouds = {n.name for n in topology.nodes if n.role is Role.CLOUD}
    out = {}
    for link in topology.links:
        if f"{link.name}:0" not in trace.link_series:
            out[link.name] = float(trace.link_bytes.get(link.name, 0.0))
            continue
        total = 0.0
        for d in (0, 1):
            if link.endpoints[d] in clouds or not clouds.intersection(link.endpoints):
                total += float(np.sum(trace.link_series[f"{link.name}:{d}"]))
        out[link.name] = total
    return out


def cost(trace: Trace, scenario: Scenario) -> CostSummary:
    """Monthly fixed fees plus per-GB egress charges extrapolated from the run to a month;
    the elements with no cost model are named (``unpriced``), not priced at $0."""
    topo = scenario.topology
    fixed = sum(x.cost.monthly for x in topo.links) + sum(n.cost.monthly for n in topo.nodes)
    span = max(trace.duration, 1e-9)
    billed = billed_bytes(trace, topo)
    per_gb = {link.name: billed[link.name] / 1e9 * link.cost.per_gb for link in topo.links}
    month = sum(per_gb.values()) * MONTH_S / span
    return CostSummary(
        _r(fixed, 2),
        _r(month, 2),
        _r(fixed + month, 2),
        _r(sum(per_gb.values()), 4),
        topo.unpriced,
    )


def summarize(trace: Trace, scenario: Scenario) -> Summary:
    """The :class:`~netsim.analysis.results.Summary` of one run (``summary.json``)."""
    evidence = Evidence(trace, sketch_set(trace), scripted_breaks(trace, scenario))
    traffic: dict[str, TrafficStats] = {}
    for ci, cls in enumerate(scenario.traffic):
        if cls.kind is TrafficKind.BULK:
            traffic[cls.name] = bulk_stats(trace, cls.name)
        elif evidence.sketches is not None:
            traffic[cls.name] = sketch_class_stats(evidence, ci, cls.kind)
        else:
            traffic[cls.name] = class_stats(evidence, ci, trace, cls.kind)
    failovers = failover_results(trace)
    slos = tuple(evaluate_slo(s, traffic, failovers, evidence, scenario) for s in scenario.slos)
    plane = trace.meta.get("data_plane")
    return Summary(
        scenario=trace.scenario,
        engine=trace.engine,
        seed=trace.seed,
        topology=scenario.topology.name,
        duration_s=trace.duration,
        warmup_s=trace.warmup,
        wall_s=round(trace.wall_s, 3),
        netsim_version=netsim.__version__,
        traffic=traffic,
        slos=slos,
        failovers=tuple(failovers),
        links=link_stats(trace, scenario),
        cost=cost(trace, scenario),
        data_plane=plane,
        statistics=None if plane is None else "rows" if evidence.sketches is None else "sketches",
        lab=trace.lab,
        verdict=overall(s.verdict for s in slos if s.verdict is not None),
    )

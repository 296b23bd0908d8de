"""``summary.json`` (architecture section 6): a pure function of a Trace and its Scenario.

:func:`summarize` computes per-class counts and latency percentiles with confidence
intervals, SLO verdicts, failovers (gaps measured from the data plane), per-link volumes
and utilisation, and cost. The simulator and the lab share it.

When a long run kept attempt rows only around failures (``trace.meta["rows"] ==
"failures"``, see :mod:`netsim.sim.fast.plane`), the per-class counts and latency quantiles come
from the run's mergeable sketches instead (:class:`netsim.trace.sketch.SketchSet`, quantiles
within 0.1 % of the exact order statistics), with the same keys; failover gaps are still
measured from the rows, which cover every failure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

import netsim
from netsim.analysis.failover import failover_results
from netsim.analysis.requests import Requests, request_table
from netsim.analysis.results import (
    Bound,
    BulkStats,
    ClassStats,
    CostSummary,
    FailoverResult,
    Interval,
    LatencyStats,
    LinkStats,
    SloVerdict,
    Summary,
    TrafficStats,
    TransferTimes,
)
from netsim.analysis.stats import quantile_ci, wilson
from netsim.model.scenario import Scenario, Slo, TrafficKind
from netsim.model.topology import Role, Topology
from netsim.model.units import DAYS_PER_MONTH
from netsim.trace.core import REASONS, Trace
from netsim.trace.sketch import SketchSet

if TYPE_CHECKING:
    from netsim.trace.records import TransferRecord

MONTH_S = DAYS_PER_MONTH * 86400.0
QUANTILES = (50, 95, 99)


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def _ratio(delivered: int, sent: int) -> tuple[float | None, Interval]:
    """Success ratio and its Wilson interval (6 digits, as summary.json has them)."""
    lo, hi = wilson(delivered, sent)
    return (_r(delivered / sent, 6) if sent else None), (_r(lo, 6), _r(hi, 6))


def _latency(
    mean: float, top: float, quantiles: list[tuple[float, tuple[float, float]]]
) -> LatencyStats:
    """LatencyStats from the mean, the maximum and (point, ci) of p50, p95, p99, all in ms."""
    (p50, c50), (p95, c95), (p99, c99) = quantiles
    return LatencyStats(
        _r(mean),
        _r(top),
        _r(p50),
        (_r(c50[0]), _r(c50[1])),
        _r(p95),
        (_r(c95[0]), _r(c95[1])),
        _r(p99),
        (_r(c99[0]), _r(c99[1])),
    )


def class_stats(req: Requests, ci: int, trace: Trace, kind: TrafficKind) -> ClassStats:
    mask = req.cls == ci
    ok = req.ok[mask]
    lat = req.latency[mask][ok] * 1e3
    sent, delivered = int(mask.sum()), int(ok.sum())
    latency = None
    if len(lat):
        latency = _latency(lat.mean(), lat.max(), [quantile_ci(lat, q / 100) for q in QUANTILES])
    a = trace.attempts
    rows = (a["cls"] == ci) & (a["t_send"] >= trace.warmup) & (a["status"] == 1)
    reasons = np.bincount(a["reason"][rows], minlength=len(REASONS))
    return ClassStats(
        kind,
        sent,
        delivered,
        *_ratio(delivered, sent),
        latency,
        int((req.attempts[mask] > 1).sum()),
        {REASONS[i]: int(n) for i, n in enumerate(reasons) if n and i},
    )


def sketch_set(trace: Trace) -> SketchSet | None:
    """The run's sketches when its rows are incomplete (else None: use the rows)."""
    if trace.meta.get("rows", "all") == "all" or "sketches" not in trace.meta:
        return None
    return SketchSet.from_json(trace.meta["sketches"])


def sketch_class_stats(sk: SketchSet, ci: int, kind: TrafficKind) -> ClassStats:
    """:func:`class_stats` from sketches and counters (after the warmup: buckets 1..)."""
    sent = int(sk.count["sent"][ci, 1:].sum())
    delivered = int(sk.count["delivered"][ci, 1:].sum())
    merged = sk.merged(ci)
    latency = None
    if merged.n:
        scaled = []
        for q in QUANTILES:
            point, (lo, hi) = merged.quantile_ci(q / 100)
            scaled.append((point * 1e3, (lo * 1e3, hi * 1e3)))
        latency = _latency(
            sk.lat_sum[ci, 1:].sum() / delivered * 1e3, sk.lat_max[ci, 1:].max() * 1e3, scaled
        )
    reasons = sk.lost[ci, 1:].sum(axis=0)
    return ClassStats(
        kind,
        sent,
        delivered,
        *_ratio(delivered, sent),
        latency,
        int(sk.count["retried"][ci, 1:].sum()),
        {REASONS[i]: int(n) for i, n in enumerate(reasons) if n and i},
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


def evaluate_slo(
    slo: Slo,
    traffic: dict[str, TrafficStats],
    failovers: list[FailoverResult],
    req: Requests,
    classes: list[str],
    *,
    sketches: SketchSet | None = None,
) -> SloVerdict:
    """One SLO verdict: target, measured value, its CI, pass, and a sentence."""
    measured: float | None = None
    ci: Interval = (None, None)
    unit = ""
    if slo.metric == "latency" and sketches is not None:
        unit = "ms"
        merged = sketches.merged(classes.index(slo.traffic_class or ""))
        if merged.n:
            point, (lo, hi) = merged.quantile_ci(slo.quantile or 0.95)
            measured, ci = point * 1e3, (_r(lo * 1e3), _r(hi * 1e3))
    elif slo.metric == "latency":
        ci_index = classes.index(slo.traffic_class or "")
        mask = (req.cls == ci_index) & req.ok
        lat = req.latency[mask] * 1e3
        unit = "ms"
        if len(lat):
            point, (lo, hi) = quantile_ci(lat, slo.quantile or 0.95)
            measured, ci = point, (_r(lo), _r(hi))
    elif slo.metric == "success_ratio":
        stats = traffic[slo.traffic_class or ""]
        if isinstance(stats, ClassStats):
            measured, ci = stats.success_ratio, stats.success_ratio_ci
    elif slo.metric == "failover_gap":
        unit = "s"
        gaps = [f.gap_s for f in failovers]
        measured = max(gaps) if gaps else 0.0
    elif slo.metric == "throughput":
        unit = "Mbps"
        stats = traffic[slo.traffic_class or ""]
        measured = stats.throughput_mbps if isinstance(stats, BulkStats) else None
    scale = {"ms": 1e3, "Mbps": 1e-6}.get(unit, 1.0)
    target_max = None if slo.max is None else slo.max * scale
    target_min = None if slo.min is None else slo.min * scale
    ok = (
        measured is not None
        and (target_max is None or measured <= target_max)
        and (target_min is None or measured >= target_min)
    )
    target = target_max if target_max is not None else target_min
    return SloVerdict(
        slo.name,
        slo.metric,
        slo.traffic_class,
        slo.quantile,
        _r(target, 6),
        Bound.MAX if target_max is not None else Bound.MIN,
        _r(measured, 6) if measured is not None else None,
        ci,
        unit,
        bool(ok),
        _sentence(slo, measured, target, unit, ok),
    )


def _sentence(slo: Slo, measured: float | None, target: float | None, unit: str, ok: bool) -> str:
    if measured is None:
        return f"{slo.name}: no data to judge (no successful traffic)"
    what = {
        "latency": f"P{(slo.quantile or 0) * 100:g} latency of {slo.traffic_class}",
        "success_ratio": f"success ratio of {slo.traffic_class}",
        "failover_gap": "longest failover gap",
        "throughput": f"throughput of {slo.traffic_class}",
    }[slo.metric]
    rel = "at most" if slo.max is not None else "at least"
    return (
        f"{what} is {measured:.6g}{(' ' + unit) if unit else ''}; the target is {rel} "
        f"{target:.6g}{(' ' + unit) if unit else ''}: {'met' if ok else 'VIOLATED'}"
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
    """Monthly fixed fees plus per-GB egress charges extrapolated from the run to a month."""
    topo = scenario.topology
    fixed = sum(x.cost.monthly for x in topo.links) + sum(n.cost.monthly for n in topo.nodes)
    span = max(trace.duration, 1e-9)
    billed = billed_bytes(trace, topo)
    per_gb = {link.name: billed[link.name] / 1e9 * link.cost.per_gb for link in topo.links}
    month = sum(per_gb.values()) * MONTH_S / span
    return CostSummary(
        _r(fixed, 2), _r(month, 2), _r(fixed + month, 2), _r(sum(per_gb.values()), 4)
    )


def summarize(trace: Trace, scenario: Scenario) -> Summary:
    """The :class:`~netsim.analysis.results.Summary` of one run (``summary.json``)."""
    sketches = sketch_set(trace)
    req = request_table(trace)
    traffic: dict[str, TrafficStats] = {}
    for ci, cls in enumerate(scenario.traffic):
        if cls.kind is TrafficKind.BULK:
            traffic[cls.name] = bulk_stats(trace, cls.name)
        elif sketches is not None:
            traffic[cls.name] = sketch_class_stats(sketches, ci, cls.kind)
        else:
            traffic[cls.name] = class_stats(req, ci, trace, cls.kind)
    failovers = failover_results(trace)
    slos = tuple(
        evaluate_slo(s, traffic, failovers, req, trace.classes, sketches=sketches)
        for s in scenario.slos
    )
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
        statistics=None if plane is None else "rows" if sketches is None else "sketches",
        lab=trace.lab,
    )

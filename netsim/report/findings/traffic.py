"""Findings about traffic: the fallback's capacity, latency SLOs, failover gaps, bandwidth.

Each reads the design's own runs (:class:`~netsim.report.findings.base.Context`): the
latency and success SLOs with their verdicts per window (a 1-minute failover counts in
the windows it falls in, whatever the run's length), the failover gaps against the
scenarios' failover targets (a gap during which a pair had no path at all is named a
partition, not slow failover), and the link series for what the fallback carried.
What-if runs (scenarios that change the design) are listed as such and never decide a
verdict about the design as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.graph import primary_preference
from netsim.analysis.verdicts import window_text
from netsim.model.routing import best_path
from netsim.model.topology import LinkKind
from netsim.model.units import DAYS_PER_MONTH
from netsim.report.adr import QUOTES
from netsim.report.findings.base import Context, Finding, slo_source
from netsim.report.findings.design import hit_by, pairs_text
from netsim.report.style import fmt_bps
from netsim.report.vocab import Source, SourceKind, Status
from netsim.trace.core import OK

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.results import SloVerdict
    from netsim.report.data import Run
    from netsim.trace.records import FailoverRecord

SATURATED = 0.95  # of capacity: a direction this full is saturated
FALLBACK_SOURCE = Source(
    SourceKind.DEFAULT,
    "a fallback carries what fails over onto it (below 95% of its capacity), else the "
    "traffic behind it queues and drops",
    cited=False,
)


def window_rate(run: Run, link: str, t0: float, t1: float) -> tuple[float, float]:
    """(mean, saturated seconds) of the busier direction of ``link`` over [t0, t1), bit/s."""
    trace = run.trace
    assert trace is not None
    assert run.topology is not None
    parts = [
        np.asarray(trace.link_series[f"{link}:{d}"], dtype=float)
        for d in (0, 1)
        if f"{link}:{d}" in trace.link_series
    ]
    if not parts:
        return 0.0, 0.0
    lo, hi = int(t0 // trace.bin_s), max(int(t1 // trace.bin_s), int(t0 // trace.bin_s) + 1)
    bps = np.max(parts, axis=0)[lo:hi] * 8 / trace.bin_s
    if len(bps) == 0:
        return 0.0, 0.0
    cap = run.topology.link(link).capacity
    return float(bps.mean()), float((bps >= SATURATED * cap).sum() * trace.bin_s)


@dataclass(frozen=True)
class FallbackLoad:
    """What one fallback link carried after a failure moved traffic onto it."""

    run: Run
    rec: FailoverRecord
    link: str
    capacity: float
    before: float  # bit/s on the failed links before the failure (30 s mean, busier way)
    during: float  # bit/s on the fallback while failed over
    saturated_s: float
    span_s: float
    bulk: tuple[str, ...]  # bulk classes running during the failover
    packets_bps: float  # the packet classes' share on the fallback (bit/s)


def fallback_load(runs: Sequence[Run]) -> FallbackLoad | None:
    """The failover that loaded a fallback link most (saturated longest, then busiest)."""
    best: FallbackLoad | None = None
    for run in runs:
        if run.trace is None or run.topology is None:
            continue
        top = primary_preference(run.topology)
        fallback = [x.name for x in run.topology.routed_links if x.preference < top]
        for rec in run.trace.failovers:
            if rec.switched_at_s is None:
                continue
            end = rec.repaired_at_s or run.trace.duration
            for name in fallback:
                during, sat = window_rate(run, name, rec.switched_at_s, end)
                if during <= 0:
                    continue
                if best is not None and (sat, during) <= (best.saturated_s, best.during):
                    continue
                before = max(
                    (
                        window_rate(run, x, max(rec.failed_at_s - 30, 0), rec.failed_at_s)[0]
                        for x in rec.links
                        if x not in fallback
                    ),
                    default=0.0,
                )
                bulk = tuple(
                    sorted(
                        {
                            t.traffic_class
                            for t in run.trace.transfers
                            if t.start_s < end
                            and (t.finish_s is None or t.finish_s > rec.switched_at_s)
                        }
                    )
                )
                best = FallbackLoad(
                    run,
                    rec,
                    name,
                    run.topology.link(name).capacity,
                    before,
                    during,
                    sat,
                    end - rec.switched_at_s,
                    bulk,
                    _packet_bps(run, name, rec.switched_at_s, end),
                )
    return best


def _packet_bps(run: Run, link: str, t0: float, t1: float) -> float:
    """Bit/s of delivered packets (requests, responses, datagrams) whose path used
    ``link``, sent in [t0, t1): what is left on the fallback without the bulk flows."""
    trace = run.trace
    assert trace is not None
    a = trace.attempts
    uses = np.array([link in p for p in trace.paths] + [False], dtype=bool)
    path = a["path"]
    on = uses[np.where(path >= 0, path, len(trace.paths))]
    sel = on & (a["t_send"] >= t0) & (a["t_send"] < t1) & (a["status"] == OK)
    return float(a["bytes"][sel].sum()) * 8 / max(t1 - t0, 1e-9)


def finding_fallback(ctx: Context) -> Finding | None:
    """Whether the fallback carried what failed over onto it (from the link series)."""
    b = fallback_load(ctx.mine)
    if b is None:
        return None
    run, rec = b.run, b.rec
    what = ", ".join(b.bulk) or "the traffic"
    ev = [
        f"run {run.label}: {rec.subject} {rec.mode} at {rec.failed_at_s:.0f} s; traffic "
        f"moved to {b.link} ({fmt_bps(b.capacity)}) at {rec.switched_at_s or 0:.1f} s",
        f"before the failure the busier direction of {', '.join(rec.links)} carried "
        f"{fmt_bps(b.before)} (30 s mean)",
        f"on {b.link} during the failover: mean {fmt_bps(b.during)} "
        f"({100 * b.during / b.capacity:.0f}% of capacity), at ≥{SATURATED:.0%} for "
        f"{b.saturated_s:.0f} s of {b.span_s:.0f} s; requests and datagrams alone: "
        f"{fmt_bps(b.packets_bps)}",
    ]
    source = FALLBACK_SOURCE
    if ctx.adr and ctx.claims is not None:
        source = Source(SourceKind.ADR, f'"{QUOTES["backup"]}"; "{QUOTES["vpn"]}"')
        ev.append(
            f"ADR: the VPN gives {fmt_bps(ctx.claims.vpn_throughput_bps)}; here "
            f"{b.link} has {fmt_bps(b.capacity)}"
        )
    if b.saturated_s > 0 and b.during < 0.95 * b.before:
        return Finding(
            "fallback",
            Status.FAILS,
            f"The fallback cannot carry {what}",
            f"When {rec.subject} failed in {run.label}, {what} fell from {fmt_bps(b.before)} "
            f"to {fmt_bps(b.during)}: {b.link} ({fmt_bps(b.capacity)}) was saturated for "
            f"{b.saturated_s:.0f} s of {b.span_s:.0f} s, and every request behind it queued.",
            tuple(ev),
            source,
            b.saturated_s,
            0.0,
            "s saturated",
        )
    return Finding(
        "fallback",
        Status.HOLDS,
        "The fallback carried what failed over",
        f"In {run.label}, {b.link} carried {fmt_bps(b.during)} during the failover, "
        f"{100 * b.during / b.capacity:.0f}% of its {fmt_bps(b.capacity)}.",
        tuple(ev),
        source,
        b.saturated_s,
        0.0,
        "s saturated",
    )


def _slos(runs: Sequence[Run], metric: str) -> list[tuple[Run, SloVerdict]]:
    return [(r, s) for r in runs for s in r.summary.slos if s.metric == metric]


def _worst_status(rows: Sequence[tuple[Run, SloVerdict]]) -> Status:
    return Status.worst([Status.of(s.verdict, s.passed) for _, s in rows])


def _sign(s: SloVerdict) -> str:
    """How an SLO bounds its value: ``≤`` a maximum, ``≥`` a minimum."""
    return "≤" if s.bound.value == "max" else "≥"


def _row(run: Run, s: SloVerdict) -> str:
    w = s.worst_window
    where = (
        f"; worst {window_text(s.window_s)} window {w.measured} {s.unit} "
        f"({w.start_s:.0f}-{w.end_s:.0f} s, {s.windows.failing if s.windows else 0} of "
        f"{s.windows.count if s.windows else 0} windows do not hold)"
        if w is not None and w.measured is not None and s.window_s
        else ""
    )
    month = (
        f"; month {s.month.measured} {s.unit} ({s.month.failure_min:.3g} min/month in "
        "the failure state)"
        if s.month is not None and s.month.measured is not None
        else ""
    )
    target = f"{_sign(s)} {s.target:g} {s.unit}".strip()
    return (
        f"{run.label}: {s.name} "
        + ("no data to judge" if s.measured is None else f"{s.measured} {s.unit}")
        + f" over the run{where}{month} "
        f"(target {target}): {Status.of(s.verdict, s.passed).value}"
    )


def _label(rows: Sequence[tuple[Run, SloVerdict]], unit: str) -> str:
    """The targets of SLOs as their users wrote them: ``P95 ≤ 50 ms, P99 ≤ 80 ms``.

    (A latency SLO states its quantile; a success ratio its floor.)"""
    seen: dict[tuple[float, float], str] = {}
    for _, s in rows:
        if s.target is None:
            continue
        what = f"P{s.quantile * 100:g} " if s.quantile is not None else ""
        seen[(s.quantile or 0.0, s.target)] = (
            f"{what}{_sign(s)} {s.target:g}{f' {unit}' if unit else ''}"
        )
    return ", ".join(seen[k] for k in sorted(seen))


def _slo_finding(ctx: Context, metric: str, noun: str, unit: str) -> Finding | None:
    """SLOs of ``metric`` in normal operation against runs with failures, judged per
    window: the worst is the highest latency or the lowest success ratio."""
    normal = _slos([r for r in ctx.mine if not r.summary.failovers], metric)
    failing = _slos([r for r in ctx.mine if r.summary.failovers], metric)
    rows = normal + failing
    if not rows:
        return None
    higher_is_worse = metric == "latency"
    sign = 1.0 if higher_is_worse else -1.0

    def badness(x: tuple[Run, SloVerdict]) -> float:
        v = x[1].judged_value
        return -np.inf if v is None else sign * v

    parts = []
    for part, when in ((normal, "in normal operation"), (failing, "with a failure")):
        if not part:
            continue
        worst = max(part, key=badness)
        bad = [x for x in part if Status.of(x[1].verdict, x[1].passed) is Status.FAILS]
        risky = [x for x in part if Status.of(x[1].verdict, x[1].passed) is Status.AT_RISK]
        w = worst[1]
        value = (
            "no data to judge"
            if w.judged_value is None
            else f"{w.judged_value:g}{f' {unit}' if unit else ''}"
        )
        parts.append(
            f"{when} {len(bad)} of {len(part)} {noun} SLOs do not hold and {len(risky)} "
            f"{'is' if len(risky) == 1 else 'are'} at risk (worst {value} in {worst[0].label}"
            + (f", a {window_text(w.window_s)} window" if w.window_s and w.judged_value else "")
            + ")"
        )
    ev = [_row(r, s) for r, s in rows]
    ev += [f"what-if (changes the design): {_row(r, s)}" for r, s in _slos(ctx.what_ifs, metric)]
    quote = QUOTES["p95"] if ctx.adr and metric == "latency" else None
    worst_all = max(rows, key=badness)[1]
    return Finding(
        metric,
        _worst_status(rows),
        f"{noun.capitalize()} SLOs ({_label(rows, unit)}): normal against failover",
        "; ".join(parts) + ". Each SLO is judged per window: it holds only if every window holds.",
        tuple(ev),
        slo_source([r for r, _ in rows], [s for _, s in rows], quote),
        worst_all.judged_value,
        worst_all.target,
        unit,
        higher_is_worse,
    )


def finding_latency(ctx: Context) -> Finding | None:
    """Latency SLOs in normal operation against runs with failures, judged per window."""
    return _slo_finding(ctx, "latency", "latency", "ms")


def finding_success(ctx: Context) -> Finding | None:
    """Success-ratio SLOs (requests answered in time) in normal operation against runs
    with failures, judged per window."""
    return _slo_finding(ctx, "success_ratio", "success-ratio", "")


def no_path(run: Run) -> list[tuple[FailoverRecord, str]]:
    """The run's failures that left a pair of its traffic with no path at all, each with
    the pairs for a reader: their gap is a partition lasting until the repair."""
    out = []
    for f in run.summary.failovers:
        lost = hit_by(run, f.record).no_path
        if lost:
            out.append((f.record, pairs_text(lost)))
    return out


def _cause(run: Run) -> str:
    """Why the run's gaps are what they are: the detection, or a partition."""
    cut = no_path(run)
    if cut:
        return "; ".join(
            f"a partition: {pairs} had no path while {rec.subject} was failed" for rec, pairs in cut
        )
    return f"detection {_methods(run)}"


def finding_failover(ctx: Context) -> Finding | None:
    """Failover gaps against the scenarios' failover targets; a gap during which a pair of
    the run had no path at all is a partition, and is said to be one."""
    rows = [(r, s) for r, s in _slos(ctx.mine, "failover_gap") if s.measured is not None]
    if not rows:
        return None
    ev = [
        f"{r.label}: longest gap {s.measured:.2f} s (target ≤ {s.target:g} s, {_cause(r)}): "
        f"{Status.of(s.verdict, s.passed).value}"
        for r, s in rows
    ]
    ev += [
        f"what-if (changes the design): {r.label}: longest gap {s.measured:.2f} s "
        f"({_cause(r)}): {Status.of(s.verdict, s.passed).value}"
        for r, s in _slos(ctx.what_ifs, "failover_gap")
        if s.measured is not None
    ]
    bad = [x for x in rows if not x[1].passed]
    cut = [x for x in bad if no_path(x[0])]
    slow = [x for x in bad if x not in cut]
    worst = max(rows, key=lambda x: x[1].measured or 0.0)
    source = slo_source([r for r, _ in rows], [s for _, s in rows], None)
    partition = ""
    if cut:
        c = max(cut, key=lambda x: x[1].measured or 0.0)
        partition = (
            f"{len(cut)} of {len(rows)} failure scenarios of the design exceed their failover "
            f"target because a failure leaves a pair with no path at all: worst "
            f"{c[1].measured:.1f} s in {c[0].label} ({_cause(c[0])}). That gap lasts until the "
            "repair: no detection timer shortens it, only another path does."
        )
    if not bad:
        text = (
            f"All {len(rows)} failure scenarios of the design fail over within their target "
            if len(rows) > 1
            else "The design's 1 failure scenario fails over within its target "
        ) + f"(longest {worst[1].measured:.2f} s in {worst[0].label})."
        title = "Failover gaps meet their target"
    elif not slow:
        text = partition
        title = "A failure leaves pairs with no path"
    else:
        w = max(slow, key=lambda x: x[1].measured or 0.0)
        text = (
            f"{len(slow)} of {len(rows)} failure scenarios of the design exceed their failover "
            f"target; worst {w[1].measured:.1f} s in {w[0].label} (detected by {_methods(w[0])})."
        )
        text += f" {partition}" if partition else ""
        title = "Some failovers are too slow"
    return Finding(
        "failover",
        Status.FAILS if bad else Status.HOLDS,
        title,
        text,
        tuple(ev),
        source,
        worst[1].measured,
        worst[1].target,
        "s",
    )


def _methods(run: Run) -> str:
    found = sorted(
        {
            f.record.detection.value if f.record.detection else "undetected"
            for f in run.summary.failovers
        }
    )
    return ", ".join(found) or "-"


def finding_bandwidth(ctx: Context) -> Finding | None:
    """The ADR's "10+ Gbps sustained": the bottleneck of each pair's preferred path, and of
    its fallback when that path fails (from the topology's capacities)."""
    topo = ctx.topology
    if topo is None or not ctx.adr or ctx.claims is None:
        return None
    need = ctx.claims.bandwidth_bps
    ends = topo.endpoints_of()
    rows = []
    for i, a in enumerate(ends):
        for b in ends[i + 1 :]:
            path = best_path(topo, a, b, frozenset())
            if not path:
                continue
            normal = min(topo.link(x).capacity for x in path)
            backup = best_path(topo, a, b, frozenset(path))
            fallback = min((topo.link(x).capacity for x in backup), default=0.0) if backup else 0.0
            rows.append((a, b, normal, fallback))
    if not rows:
        return None
    low_normal = min(r[2] for r in rows)
    low_fallback = min(r[3] for r in rows)
    ev = [
        f"{a}↔{b}: preferred path bottleneck {fmt_bps(n)}, fallback bottleneck {fmt_bps(f)}"
        for a, b, n, f in rows
    ]
    vpn = [x for x in topo.routed_links if x.kind is LinkKind.VPN]
    average = ctx.claims.replication_tb_month * 8e12 / (DAYS_PER_MONTH * 86400)
    ev.append(
        f"the ADR's own load: {ctx.claims.replication_tb_month:g} TB/month of replication is "
        f"{average / 1e6:.0f} Mbit/s on average, {average / need:.1%} of {fmt_bps(need)}"
    )
    ok_normal = low_normal >= need
    text = (
        f"In normal operation every pair's path sustains {fmt_bps(low_normal)}"
        + (" (the claim holds)" if ok_normal else f", short of {fmt_bps(need)}")
        + f"; after a failure the fallback sustains {fmt_bps(low_fallback)}"
        + (f" ({len(vpn)} VPN tunnels)" if vpn else "")
        + ("." if low_fallback >= need else f": {fmt_bps(need)} does not hold during failover.")
    )
    return Finding(
        "bandwidth",
        Status.HOLDS if ok_normal and low_fallback >= need else Status.FAILS,
        "10+ Gbps sustained: normal and during failover",
        text,
        tuple(ev),
        Source(SourceKind.ADR, f'"{QUOTES["bandwidth"]}"'),
        low_fallback / 1e9,
        need / 1e9,
        "Gbit/s",
        higher_is_worse=False,
    )


__all__ = [
    "FallbackLoad",
    "fallback_load",
    "finding_bandwidth",
    "finding_failover",
    "finding_fallback",
    "finding_latency",
    "no_path",
    "window_rate",
]

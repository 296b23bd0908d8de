"""The report's tables as plain data: caption, headers, rows of cells (text and CSS class).

Every cell is formatted here so the template only prints. Verdicts are the report's one
vocabulary (holds, does not hold, at risk: :class:`~netsim.report.vocab.Status`) with a
CSS class for colour. A long table is printed as several (:meth:`Table.chunks`), each with
its header, so none is split across pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.graph import downtime_minutes_per_year
from netsim.analysis.results import Bound
from netsim.analysis.verdicts import window_text
from netsim.report.style import fmt_bps, fmt_usd
from netsim.report.vocab import Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.results import SloVerdict
    from netsim.model.topology import Topology
    from netsim.report.alternatives import DesignRow
    from netsim.report.costing import CostModel
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    cls: str = ""  # CSS class: num, verdict, pass, fail, ...


@dataclass(frozen=True, slots=True)
class Row:
    cells: list[Cell]
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[Row]

    def chunks(self, size: int = 16) -> list[Table]:
        """The table cut into tables of at most ``size`` rows (captions say which part)."""
        if len(self.rows) <= size:
            return [self]
        count = -(-len(self.rows) // size)
        return [
            Table(
                f"{self.caption} ({i + 1} of {count})",
                self.headers,
                self.rows[i * size : (i + 1) * size],
            )
            for i in range(count)
        ]


def _cell(text: object, cls: str = "") -> Cell:
    return Cell(str(text), cls)


def _num(value: float | None, fmt: str = "{:.4g}", unit: str = "") -> Cell:
    if value is None:
        return _cell("-", "num")
    return _cell(fmt.format(value) + (f" {unit}" if unit else ""), "num")


def _row(cells: list[Cell], cls: str = "") -> Row:
    return Row(cells, cls)


def table(caption: str, headers: Sequence[str], rows: list[Row]) -> Table:
    return Table(caption, list(headers), rows)


def links_table(topology: Topology) -> Table:
    rows = []
    for link in topology.links:
        detect = (
            ([f"BFD {link.bfd.detection:g} s"] if link.bfd else [])
            + ([f"DPD {link.dpd.timeout:g} s"] if link.dpd else [])
            + [f"hold {link.bgp.hold:g} s"]
        )
        rows.append(
            _row(
                [
                    _cell(link.name),
                    _cell(link.kind.value),
                    _cell(" – ".join(link.endpoints)),
                    _cell(fmt_bps(link.capacity)),
                    _num(link.preference, "{:d}"),
                    _cell(", ".join(detect)),
                    _num(link.cost.monthly, "${:,.0f}"),
                    _num(link.cost.per_gb, "${:.3f}"),
                ]
            )
        )
    return table(
        f"Links of {topology.name}",
        ("link", "kind", "endpoints", "capacity", "preference", "detection", "monthly", "per GB"),
        rows,
    )


def _target(s: SloVerdict) -> str:
    bound = "≤" if s.bound is Bound.MAX else "≥"
    quantile = f"P{s.quantile * 100:g} " if s.quantile else ""
    return f"{quantile}{bound} {s.target:g} {s.unit}".strip()


def _status_cell(status: Status, text: str | None = None) -> Cell:
    return _cell(text or status.value, f"verdict {status.css}")


def _judged(s: SloVerdict) -> str:
    if s.month is not None:
        m = s.month
        if m.measured is None:
            return f"month: {m.note}"
        return f"{m.measured:.6g} {s.unit} over a month ({m.failure_min:.3g} min failed)".strip()
    w = s.worst_window
    if w is not None and s.window_s:
        return (
            f"{w.measured:.6g} {s.unit} worst {window_text(s.window_s)} window "
            f"({w.start_s:.0f}-{w.end_s:.0f} s)"
        ).replace(" worst", " in the worst")
    return "-" if s.measured is None else f"{s.measured:.6g} {s.unit}".strip()


def slo_table(runs: Sequence[Run], *, full: bool = False) -> Table:
    """One row per SLO of each run: the target, the figure the verdict rests on (the
    worst window, the month), the whole run, the verdict; ``full`` adds the interval,
    the sentence and the run's notes."""
    rows = []
    for run in runs:
        notes = "; ".join(run.notes)
        for i, s in enumerate(run.summary.slos):
            lo, hi = s.ci
            status = Status.of(s.verdict, s.passed)
            cells = [
                _cell(run.label),
                _cell(s.name),
                _cell(_target(s)),
                _cell(_judged(s), "num"),
                _cell("-" if s.measured is None else f"{s.measured:.6g} {s.unit}".strip(), "num"),
                _status_cell(status, s.verdict.value if s.verdict is not None else None),
            ]
            if full:
                cells += [
                    _cell("-" if lo is None or hi is None else f"[{lo:.6g}, {hi:.6g}]", "num"),
                    _cell(s.text),
                    _cell(notes if i == 0 else ""),
                ]
            rows.append(_row(cells, status.css))
    headers = ["scenario", "SLO", "target", "judged on", "whole run", "verdict"]
    if full:
        headers += ["95% CI (whole run)", "in plain words", "run notes"]
    return table(
        "SLO verdicts per scenario: latency and success SLOs hold only if every window "
        "holds (at risk: the 95% interval straddles the target)",
        headers,
        rows,
    )


def _after(at: float, t: float | None) -> str:
    return "-" if t is None else f"+{t - at:.2f} s"


def failover_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        for f in run.summary.failovers[:12]:
            rec = f.record
            at = rec.failed_at_s
            rows.append(
                _row(
                    [
                        _cell(run.label),
                        _cell(rec.subject),
                        _cell(rec.mode),
                        _cell(rec.detection.value if rec.detection else "undetected"),
                        _num(at, "{:.1f} s"),
                        _cell(_after(at, rec.detected_at_s), "num"),
                        _cell(_after(at, rec.switched_at_s), "num"),
                        _num(f.gap_s, "{:.2f} s"),
                        _num(f.lost, "{:d}"),
                    ]
                )
            )
        extra = len(run.summary.failovers) - 12
        if extra > 0:
            rows.append(
                _row(
                    [_cell(run.label), _cell(f"... {extra} more in summary.json")] + [_cell("")] * 7
                )
            )
    return table(
        "Failovers (times relative to the failure; gap measured from the data plane)",
        ("scenario", "subject", "mode", "detection", "at", "detected", "switched", "gap", "lost"),
        rows,
    )


def availability_table(avail: AvailabilityData, claim: float | None = None) -> Table:
    rows = []
    for p in avail.pairs:
        sim, ci = p.simulated, p.ci
        status = (
            Status.NOTE if claim is None else Status.HOLDS if p.primary >= claim else Status.FAILS
        )
        rows.append(
            _row(
                [
                    _cell(f"{p.a} ↔ {p.b}"),
                    _num(sim, "{:.7f}"),
                    _cell("-" if not ci else f"[{ci[0]:.7f}, {ci[1]:.7f}]", "num"),
                    _num(p.closed_form, "{:.7f}"),
                    _num(p.downtime_min_per_year.mean, "{:.2f}", "min/yr"),
                    _num(p.downtime_min_per_year.p95, "{:.2f}", "min/yr"),
                    _num(p.primary, "{:.5f}"),
                    _cell(" › ".join(p.primary_elements)),
                    *(
                        []
                        if claim is None
                        else [_num(p.claimed_series, "{:.5f}"), _status_cell(status)]
                    ),
                ],
                status.css,
            )
        )
    what = (
        ""
        if claim is None
        else f"; ADR claim {claim:.2%} = {downtime_minutes_per_year(claim):.1f} min/yr"
    )
    return table(
        f"Availability per pair ({avail.years or 'no'} simulated years{what})",
        (
            "pair",
            "Monte Carlo",
            "95% CI",
            "closed form",
            "downtime mean",
            "downtime p95",
            "preferred path alone",
            "its elements in series",
            *([] if claim is None else [f"path at {claim:.2%} each", "ADR claim"]),
        ),
        rows,
    )


def cost_table(cost: CostModel) -> Table:
    """The bill per element, its total and the egress it is compared with; an element
    without a cost model has a row that says so, and the total says it leaves it out."""
    rows = []
    unknown = _cell("no cost model", "num")
    names = set(cost.fixed) | set(cost.per_gb) | set(cost.billed_gb_month) | set(cost.unpriced)
    for name in sorted(names):
        priced = name not in cost.unpriced
        rows.append(
            _row(
                [
                    _cell(name),
                    _cell(cost.kinds.get(name, "")),
                    _num(cost.fixed.get(name), "${:,.0f}") if priced else unknown,
                    _num(cost.billed_gb_month.get(name), "{:,.0f} GB"),
                    _num(cost.per_gb.get(name), "${:,.0f}") if priced else unknown,
                ]
            )
        )
    lo, hi = cost.egress_prices
    rows.append(
        _row(
            [
                _cell("total" if cost.complete else f"total without {', '.join(cost.unpriced)}"),
                _cell(""),
                _num(cost.fixed_total, "${:,.0f}"),
                _num(cost.load_gb_month, "{:,.0f} GB of load"),
                _num(cost.per_gb_total, "${:,.0f}"),
            ],
            "total",
        )
    )
    for price in (lo, hi):
        be = cost.break_even_gb(price)
        rows.append(
            _row(
                [
                    _cell(f"internet egress at ${price:g}/GB"),
                    _cell("comparison"),
                    _cell("-"),
                    _cell("break-even " + (f"{be / 1e3:,.0f} TB/month" if be else "never"), "num"),
                    _cell(fmt_usd(cost.egress_cost(price)), "num"),
                ]
            )
        )
    return table(
        f"Monthly cost of {cost.design}: {'' if cost.complete else 'at least '}"
        f"{fmt_usd(cost.total)} (fixed {fmt_usd(cost.fixed_total)} + per-GB "
        f"{fmt_usd(cost.per_gb_total)}"
        + ("" if cost.complete else f"; leaves out {cost.leaves_out()}")
        + f"); volumes: {cost.basis}",
        ("element", "kind", "fixed / month", "volume / month", "per-GB / month"),
        rows,
    )


def alternatives_table(rows_in: Sequence[DesignRow]) -> Table:
    rows = []
    for r in rows_in:
        met = r.slos_met == r.slos_total
        status = Status.HOLDS if met else Status.FAILS
        rows.append(
            _row(
                [
                    _cell(f"{r.design}: {r.label}"),
                    _num(r.cost.total, "${:,.0f}" if r.cost.complete else "at least ${:,.0f}"),
                    _num(r.normal_p95_ms, "{:.1f} ms"),
                    _cell(r.failure_subject),
                    _num(r.failure_p95_ms, "{:.1f} ms"),
                    _num(r.gap_s, "{:.2f} s"),
                    _num(r.lost, "{:d}"),
                    _num(r.bulk_mbps, "{:,.0f} Mbit/s"),
                    _cell(f"{r.slos_met}/{r.slos_total} hold", f"verdict {status.css}"),
                    _num(r.availability, "{:.6f}", f"({r.pair[0]}↔{r.pair[1]})"),
                    _num(r.downtime_min, "{:.2f} min/yr"),
                    _cell(", ".join(r.spofs) or "none"),
                ]
            )
        )
    return table(
        "Designs on the same load, each with the link its own traffic uses failed (P95: the "
        "worst window)",
        (
            "design",
            "monthly cost",
            "P95 normal",
            "link failed",
            "P95 with failure",
            "failover gap",
            "requests lost",
            "bulk throughput",
            "SLOs",
            "availability (least available pair)",
            "downtime",
            "single points of failure",
        ),
        rows,
    )


__all__ = [
    "alternatives_table",
    "availability_table",
    "cost_table",
    "failover_table",
    "links_table",
    "slo_table",
    "table",
]

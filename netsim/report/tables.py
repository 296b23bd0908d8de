"""The report's tables as plain data: caption, headers, rows of ``{text, cls}`` cells.

Every cell is formatted here so the template only prints. Verdicts are plain words
("met", "VIOLATED") with a CSS class for colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsim.analysis.graph import downtime_minutes_per_year
from netsim.report.adr import ADR_003
from netsim.report.style import fmt_bps, fmt_usd

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.topology import Topology
    from netsim.report.alternatives import DesignRow
    from netsim.report.costing import CostModel
    from netsim.report.data import Run

Table = dict[str, Any]


def _cell(text: object, cls: str = "") -> dict[str, str]:
    return {"text": str(text), "cls": cls}


def _num(value: float | None, fmt: str = "{:.4g}", unit: str = "") -> dict[str, str]:
    if value is None:
        return _cell("-", "num")
    return _cell(fmt.format(value) + (f" {unit}" if unit else ""), "num")


def _row(cells: list[dict[str, str]], cls: str = "") -> dict[str, Any]:
    return {"cells": cells, "cls": cls}


def table(caption: str, headers: Sequence[str], rows: list[dict[str, Any]]) -> Table:
    return {"caption": caption, "headers": list(headers), "rows": rows}


def links_table(topology: Topology) -> Table:
    rows = []
    for link in topology.links:
        detect = ([f"BFD {link.bfd.detection:g} s"] if link.bfd else []) + (
            [f"DPD {link.dpd.timeout:g} s"] if link.dpd else []) + [
            f"hold {link.bgp.hold:g} s"]
        rows.append(_row([_cell(link.name), _cell(link.kind.value),
                          _cell(" – ".join(link.endpoints)), _cell(fmt_bps(link.capacity)),
                          _num(link.preference, "{:d}"), _cell(", ".join(detect)),
                          _num(link.cost.monthly, "${:,.0f}"),
                          _num(link.cost.per_gb, "${:.3f}")]))
    return table(f"Links of {topology.name}", ("link", "kind", "endpoints", "capacity",
                                                "preference", "detection", "monthly",
                                                "per GB"), rows)


def _target(s: dict[str, Any]) -> str:
    bound = "≤" if s.get("bound") == "max" else "≥"
    quantile = f"P{s['quantile'] * 100:g} " if s.get("quantile") else ""
    return f"{quantile}{bound} {s['target']:g} {s.get('unit', '')}".strip()


def slo_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        notes = "; ".join(run.notes)
        for i, s in enumerate(run.summary.get("slos", [])):
            ci = s.get("ci") or [None, None]
            ci_txt = "-" if None in ci else f"[{ci[0]:.6g}, {ci[1]:.6g}]"
            measured = "-" if s.get("measured") is None else f"{s['measured']:.6g} {s['unit']}"
            verdict = "met" if s["pass"] else "VIOLATED"
            rows.append(_row([_cell(run.label), _cell(s["name"]), _cell(_target(s)),
                              _cell(measured.strip(), "num"), _cell(ci_txt, "num"),
                              _cell(verdict, "verdict"), _cell(s.get("text", "")),
                              _cell(notes if i == 0 else "")], "pass" if s["pass"] else "fail"))
        if not run.summary.get("slos"):
            rows.append(_row([_cell(run.label), _cell("-"), _cell("-"), _cell("-"), _cell("-"),
                              _cell("no SLOs"), _cell(""), _cell(notes)]))
    return table("SLO verdicts per scenario (95% confidence intervals)",
                 ("scenario", "SLO", "target", "measured", "95% CI", "verdict",
                  "in plain words", "run notes"), rows)


def failover_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        for f in run.summary.get("failovers", [])[:12]:
            at = f["failed_at_s"]

            def rel(key: str, f: dict[str, Any] = f, at: float = at) -> str:
                return "-" if f.get(key) is None else f"+{f[key] - at:.2f} s"
            rows.append(_row([_cell(run.label), _cell(f["subject"]), _cell(f["mode"]),
                              _cell(f.get("detection") or "undetected"), _num(at, "{:.1f} s"),
                              _cell(rel("detected_at_s"), "num"),
                              _cell(rel("switched_at_s"), "num"),
                              _num(f.get("gap_s"), "{:.2f} s"), _num(f.get("lost"), "{:d}")]))
        extra = len(run.summary.get("failovers", [])) - 12
        if extra > 0:
            rows.append(_row([_cell(run.label), _cell(f"... {extra} more in summary.json")]
                             + [_cell("")] * 7))
    return table("Failovers (times relative to the failure; gap measured from the data plane)",
                 ("scenario", "subject", "mode", "detection", "at", "detected", "switched",
                  "gap", "lost"), rows)


def availability_table(avail: dict[str, Any]) -> Table:
    rows = []
    claim = ADR_003.link_availability
    for p in avail["pairs"]:
        sim = p.get("simulated")
        ci = p.get("ci")
        value = sim if sim is not None else p["closed_form"]
        ok = value >= claim
        rows.append(_row([
            _cell(f"{p['a']} ↔ {p['b']}"), _num(sim, "{:.7f}"),
            _cell("-" if not ci else f"[{ci[0]:.7f}, {ci[1]:.7f}]", "num"),
            _num(p["closed_form"], "{:.7f}"),
            _num(p["downtime_min_per_year"]["mean"], "{:.2f}", "min/yr"),
            _num(p["downtime_min_per_year"].get("p95"), "{:.2f}", "min/yr"),
            _num(p["primary"], "{:.5f}"), _cell(" › ".join(p["primary_elements"])),
            _num(p["claimed_series"], "{:.5f}"),
            _cell("meets" if ok else "misses", "verdict")], "pass" if ok else "fail"))
    return table(f"Availability per pair ({avail['years']} simulated years; ADR claim "
                 f"{claim:.2%} = {downtime_minutes_per_year(claim):.1f} min/yr)",
                 ("pair", "Monte Carlo", "95% CI", "closed form", "downtime mean",
                  "downtime p95", "preferred path alone", "its elements in series",
                  f"same at {claim:.2%} each", "ADR claim"), rows)


def cost_table(cost: CostModel) -> Table:
    rows = []
    for name in sorted(set(cost.fixed) | set(cost.per_gb) | set(cost.billed_gb_month)):
        rows.append(_row([_cell(name), _cell(cost.kinds.get(name, "")),
                          _num(cost.fixed.get(name), "${:,.0f}"),
                          _num(cost.billed_gb_month.get(name), "{:,.0f} GB"),
                          _num(cost.per_gb.get(name), "${:,.0f}")]))
    lo, hi = cost.egress_prices
    rows.append(_row([_cell("total"), _cell(""), _num(cost.fixed_total, "${:,.0f}"),
                      _num(cost.load_gb_month, "{:,.0f} GB of load"),
                      _num(cost.per_gb_total, "${:,.0f}")], "total"))
    for price in (lo, hi):
        be = cost.break_even_gb(price)
        rows.append(_row([_cell(f"internet egress at ${price:g}/GB"), _cell("comparison"),
                          _cell("-"), _cell("break-even " + (f"{be / 1e3:,.0f} TB/month"
                                                             if be else "never"), "num"),
                          _cell(fmt_usd(cost.egress_cost(price)), "num")]))
    return table(f"Monthly cost of {cost.design}: {fmt_usd(cost.total)} (fixed "
                 f"{fmt_usd(cost.fixed_total)} + per-GB {fmt_usd(cost.per_gb_total)})",
                 ("element", "kind", "fixed / month", "volume / month", "per-GB / month"),
                 rows)


def alternatives_table(rows_in: Sequence[DesignRow]) -> Table:
    rows = []
    for r in rows_in:
        met = r.slos_met == r.slos_total
        rows.append(_row([
            _cell(f"{r.design}: {r.label}"), _num(r.cost.total, "${:,.0f}"),
            _num(r.normal_p95_ms, "{:.1f} ms"),
            _cell(r.failure_subject), _num(r.failure_p95_ms, "{:.1f} ms"),
            _num(r.gap_s, "{:.2f} s"), _num(r.lost, "{:d}"), _num(r.bulk_mbps, "{:,.0f} Mbit/s"),
            _cell(f"{r.slos_met}/{r.slos_total}", "pass" if met else "fail"),
            _num(r.availability, "{:.6f}"), _num(r.downtime_min, "{:.2f} min/yr"),
            _cell(", ".join(r.spofs) or "none")]))
    return table("Designs on the same load and failure", (
        "design", "monthly cost", "P95 normal", "link failed", "P95 with failure",
        "failover gap", "requests lost", "bulk throughput", "SLOs met",
        f"availability {rows_in[0].pair[0]}↔{rows_in[0].pair[1]}" if rows_in else "availability",
        "downtime", "single points of failure"), rows)


__all__ = ["alternatives_table", "availability_table", "cost_table", "failover_table",
           "links_table", "slo_table", "table"]

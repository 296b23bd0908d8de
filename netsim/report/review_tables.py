"""The tables of the review's judgement: claims, recommendations, assumptions, sensitivity.

Like :mod:`netsim.report.tables`, every cell is formatted here and the template only
prints; verdicts use the one vocabulary (:class:`~netsim.report.vocab.Status`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.report.sensitivity import RANGE
from netsim.report.tables import Cell, Row, Table, table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.report.assumptions import Assumption
    from netsim.report.claims import Claim
    from netsim.report.sensitivity import Sensitivity
    from netsim.report.verification import Verified
    from netsim.report.vocab import Status


def _status(status: Status) -> Cell:
    return Cell(status.value, f"verdict {status.css}")


def claims_table(claims: Sequence[Claim]) -> Table:
    rows = [
        Row(
            [Cell(f"“{c.quote}”"), Cell(c.computed), _status(c.status), Cell(c.basis)], c.status.css
        )
        for c in claims
    ]
    return table(
        "Every quantitative claim of ADR-003, computed",
        ("ADR-003 says", "computed", "verdict", "from"),
        rows,
    )


def checks_table(v: Verified) -> Table:
    """Before and after one recommendation (claimed checks marked)."""
    rows = [
        Row(
            [
                Cell(c.run),
                Cell(c.what + (" *" if c.claimed else "")),
                Cell(c.target),
                Cell(c.before, "num"),
                _status(c.status_before),
                Cell(c.after, "num"),
                _status(c.status_after),
            ]
        )
        for c in v.checks
    ]
    met = {True: "met", False: "NOT met", None: "nothing re-simulated"}[v.met]
    return table(
        f"{v.rec.title}: before and after (* what it promises: {met})",
        ("run", "figure", "target", "before", "", "after", ""),
        rows,
    )


def assumptions_table(assumptions: Sequence[Assumption]) -> Table:
    kinds = {
        "assumption": "ASSUMPTION",
        "default": "netsim default",
        "uncited": "no citation",
    }
    rows = [
        Row(
            [
                Cell(", ".join(a.elements)),
                Cell(f"{a.link_kind} {a.key}".strip()),
                Cell(a.value, "num"),
                Cell(kinds[a.kind], f"verdict {'risk' if a.kind == 'assumption' else 'info'}"),
                Cell(a.source),
            ]
        )
        for a in assumptions
    ]
    return table(
        "Every value with no published figure behind it: marked ASSUMPTION in the topology, "
        "filled in by netsim, or left without a citation",
        ("elements", "key", "value", "kind", "source"),
        rows,
    )


def _figure(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    return f"{x:.4g} {unit}".strip()


def sensitivity_table(items: Sequence[Sensitivity]) -> Table:
    rows = []
    for s in items:
        if not s.effects:
            rows.append(
                Row(
                    [
                        Cell(s.group.label),
                        Cell(s.how),
                        Cell("no finding moves"),
                        Cell(""),
                        Cell(""),
                        Cell(""),
                    ]
                )
            )
            continue
        for i, e in enumerate(s.effects):
            flips = e.flips
            rows.append(
                Row(
                    [
                        Cell(s.group.label if i == 0 else ""),
                        Cell(s.how if i == 0 else ""),
                        Cell(e.finding),
                        Cell(f"{_figure(e.low, e.unit)} … {_figure(e.high, e.unit)}", "num"),
                        Cell(f"{e.status_low.value} … {e.status_high.value}"),
                        Cell(
                            "flips" if flips else "same", f"verdict {'fails' if flips else 'holds'}"
                        ),
                    ],
                    "flip" if flips else "",
                )
            )
    lo, hi = RANGE
    return table(
        f"Each assumption group at ×{lo:g} and ×{hi:g} of its value: the findings it moves",
        (
            "assumption",
            "evaluated by",
            "finding",
            f"figure at ×{lo:g} … ×{hi:g}",
            "verdict at the ends",
            "verdict",
        ),
        rows,
    )


__all__ = ["assumptions_table", "checks_table", "claims_table", "sensitivity_table"]

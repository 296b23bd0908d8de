"""Tables of ``netsim check``: every combination's outcome per pair, and gap bounds.

:func:`outcome_row` is one combination's outcome for every pair it applies to (``--all``);
:func:`gap_table` the worst-case failover gap of every single failure over the pairs it hits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.verify.search import Combo, FailureSpace, Outcome


@dataclass(frozen=True)
class CombinationRow:
    """One combination's outcome for every pair it applies to (``--all``), by "a-b"."""

    elements: tuple[str, ...]
    outcomes: dict[str, Outcome]

    def to_json(self) -> dict[str, object]:
        def gap(s: float) -> float | None:
            return None if math.isinf(s) else round(s, 3)

        return {
            "elements": list(self.elements),
            "pairs": {
                p: {
                    "status": o.status,
                    "path": list(o.path or ()),
                    "gap_s": gap(o.gap_s),
                    "gap_down_s": gap(o.gap_down_s),
                }
                for p, o in self.outcomes.items()
            },
        }


def outcome_row(space: FailureSpace, combo: Combo) -> CombinationRow:
    """One combination's outcome for every pair it applies to (``--all``)."""
    return CombinationRow(
        tuple(str(e) for e in sorted(combo)),
        {f"{p[0]}-{p[1]}": space.outcome(combo, p) for p in space.pairs if space.applies(combo, p)},
    )


# ---- output ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GapRow:
    """The worst-case failover gap of one single failure over the pairs it hits."""

    element: str
    pair: tuple[str, str]
    blackhole_s: float
    down_s: float

    def to_json(self) -> dict[str, object]:
        return {
            "element": self.element,
            "pair": list(self.pair),
            "blackhole_s": self.blackhole_s,
            "down_s": self.down_s,
        }


def gap_table(space: FailureSpace) -> list[GapRow]:
    """Worst-case failover gap of every single failure over the pairs it hits."""
    rows = []
    for e in space.elements:
        combo = frozenset({e})
        outs = [space.outcome(combo, p) for p in space.pairs if space.applies(combo, p)]
        hit = [o for o in outs if o.status in ("rerouted", "degraded")]
        if hit:
            worst = max(hit, key=lambda o: o.gap_s)
            rows.append(
                GapRow(
                    str(e),
                    worst.pair,
                    round(worst.gap_s, 3),
                    round(max(o.gap_down_s for o in hit), 3),
                )
            )
    return rows


__all__ = ["CombinationRow", "GapRow", "gap_table", "outcome_row"]

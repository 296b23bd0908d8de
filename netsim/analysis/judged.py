"""What a windowed or monthly SLO verdict rests on, as plain values: the worst window, the
window counts, and the composed month (:mod:`netsim.analysis.windows` and
:mod:`netsim.analysis.monthly` compute them; :class:`~netsim.analysis.verdicts.SloVerdict`
carries them, so they live apart from both to keep the imports one-way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.units import DAYS_PER_MONTH
from netsim.trace.fields import Fields

if TYPE_CHECKING:
    from netsim.analysis.traffic import Interval

MONTH_MIN = DAYS_PER_MONTH * 24 * 60.0


@dataclass(frozen=True, slots=True)
class WorstWindow:
    """The window with the worst estimate: its bounds (run time), estimate and interval."""

    start_s: float
    end_s: float
    measured: float | None
    ci: Interval

    def to_json(self) -> dict[str, object]:
        lo, hi = self.ci
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "measured": self.measured,
            "ci": [lo, hi],
        }

    @classmethod
    def from_json(cls, doc: object) -> WorstWindow:
        f = Fields.of(doc)
        return cls(
            f.number("start_s"), f.number("end_s"), f.opt_number("measured"), f.interval("ci")
        )


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """How many windows were judged, how many do not hold and how many are at risk."""

    count: int
    failing: int
    at_risk: int = 0

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "failing": self.failing, "at_risk": self.at_risk}

    @classmethod
    def from_json(cls, doc: object) -> WindowCounts:
        f = Fields.of(doc)
        return cls(f.integer("count"), f.integer("failing"), f.opt_integer("at_risk") or 0)


@dataclass(frozen=True, slots=True)
class MonthFigure:
    """The composed monthly figure of one SLO (module docstring)."""

    measured: float | None
    ci: Interval
    failure_fraction: float  # expected share of the month in the failure state
    normal_samples: int
    failure_samples: int
    path: tuple[str, ...]  # the elements whose availability gives the fraction
    note: str = ""

    @property
    def failure_min(self) -> float:
        """Expected minutes per month in the failure state."""
        return self.failure_fraction * MONTH_MIN

    def to_json(self) -> dict[str, object]:
        return {
            "measured": self.measured,
            "ci": list(self.ci),
            "failure_fraction": round(self.failure_fraction, 9),
            "failure_min_per_month": round(self.failure_min, 3),
            "normal_samples": self.normal_samples,
            "failure_samples": self.failure_samples,
            "path_elements": list(self.path),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, doc: object) -> MonthFigure:
        f = Fields.of(doc)
        return cls(
            f.opt_number("measured"),
            f.interval("ci"),
            f.number("failure_fraction"),
            f.integer("normal_samples"),
            f.integer("failure_samples"),
            f.texts("path_elements"),
            f.opt_text("note") or "",
        )


__all__ = ["MONTH_MIN", "MonthFigure", "WindowCounts", "WorstWindow"]

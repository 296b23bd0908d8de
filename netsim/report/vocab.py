"""The one vocabulary of verdicts, and where each threshold comes from.

Every verdict the report shows is :class:`Status`: ``holds``, ``does not hold`` or
``at risk`` (the words of :class:`netsim.analysis.verdicts.Verdict`: an SLO whose interval
straddles its target, statistically inconclusive, is *at risk*), or a ``note`` that
judges nothing. Every finding names the source of its threshold (:class:`Source`): a
claim of the ADR under review (quoted), an SLO of a scenario (file and name), or a
netsim default (with its citation, or marked as uncited).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netsim.analysis.verdicts import Verdict


class Status(enum.Enum):
    """A finding's or claim's verdict, in the report's words."""

    FAILS = "does not hold"
    AT_RISK = "at risk"
    HOLDS = "holds"
    NOTE = "note"

    @property
    def css(self) -> str:
        """The CSS class of the verdict (colour)."""
        return {"does not hold": "fails", "at risk": "risk", "holds": "holds"}.get(
            self.value, "info"
        )

    @property
    def rank(self) -> int:
        """Worst first: does not hold, at risk, note, holds."""
        return {"does not hold": 0, "at risk": 1, "note": 2, "holds": 3}[self.value]

    @staticmethod
    def of(verdict: Verdict | None, passed: bool = True) -> Status:
        """The report's word for an SLO verdict (older runs: from ``"pass"``)."""
        if verdict is None:
            return Status.HOLDS if passed else Status.FAILS
        return {
            Verdict.HOLDS: Status.HOLDS,
            Verdict.FAILS: Status.FAILS,
            Verdict.AT_RISK: Status.AT_RISK,
        }.get(verdict, Status.NOTE)

    @staticmethod
    def worst(statuses: list[Status]) -> Status:
        judged = [s for s in statuses if s is not Status.NOTE]
        return min(judged, key=lambda s: s.rank) if judged else Status.NOTE


class SourceKind(enum.Enum):
    ADR = "ADR claim"
    SLO = "scenario SLO"
    DEFAULT = "netsim default"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a threshold comes from: ``text`` is the quote, the SLO, or the default and
    its citation (``cited`` False: a default with no published figure behind it)."""

    kind: SourceKind
    text: str
    cited: bool = True

    def __str__(self) -> str:
        mark = "" if self.cited or self.kind is not SourceKind.DEFAULT else " (uncited)"
        return f"{self.kind.value}: {self.text}{mark}"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "text": self.text, "cited": self.cited}


__all__ = ["Source", "SourceKind", "Status"]

"""A finding of ``netsim check``: one minimal failing combination, for one pair or the
scenario, with the failure schedule that reproduces it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.verify.search import Combo


@dataclass(frozen=True, slots=True)
class Finding:
    """One minimal failing combination for one pair (or for the whole scenario)."""

    kind: str  # partition | degraded | gap | slo | model
    combo: Combo
    pair: tuple[str, str] | None
    detail: str
    violation: bool
    mode: str = "down"
    at: float = 0.0
    duration: float | None = None

    def schedule(self) -> list[str]:
        dur = None if self.duration is None else f"{self.duration:g}s"
        return [e.yaml(f"{self.at:g}s", self.mode, dur) for e in sorted(self.combo)]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "violation": self.violation,
            "pair": list(self.pair) if self.pair else None,
            "elements": [str(e) for e in sorted(self.combo)],
            "detail": self.detail,
            "schedule": self.schedule(),
        }


__all__ = ["Finding"]

"""What a recommendation is: the :class:`Change` it makes to the YAML of a topology or a
scenario (dotted keys as ``--set`` takes them, duplicated nodes and links), and the
:class:`Recommendation` carrying it with its reasons and the runs that test it.
:mod:`netsim.report.recommend` derives them from the numbers; :func:`combined` joins
the design changes of several (the design with every recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netsim.report.edits import edit_scenario, edit_topology, set_keys, twin_node

if TYPE_CHECKING:
    from netsim.model.source import YamlMap


@dataclass(frozen=True)
class Change:
    """What a recommendation changes: dotted topology keys (as ``--set topology.KEY``),
    node or link duplicates, and dotted scenario keys (as ``--set KEY``)."""

    topology: tuple[tuple[str, Any], ...] = ()
    twins: tuple[tuple[str, str], ...] = ()  # (node or link, its duplicate)
    scenario: tuple[tuple[str, Any], ...] = ()

    @property
    def design(self) -> bool:
        """Whether it changes the design (not only the traffic)."""
        return bool(self.topology or self.twins)

    def apply_topology(self, text: str, why: str) -> str:
        if not self.design:
            return text
        edits = [twin_node(name, twin, f"duplicate of {name}: {why}") for name, twin in self.twins]

        def transform(data: YamlMap) -> None:
            for edit in edits:
                edit(data)

        return edit_topology(text, self.topology, why=why, transform=transform)

    def apply_scenario(self, text: str) -> str:
        if not self.scenario:
            return text
        return edit_scenario(text, lambda data: set_keys(data, self.scenario))

    def merged(self, other: Change) -> Change:
        return Change(
            self.topology + other.topology,
            self.twins + other.twins,
            self.scenario + other.scenario,
        )


@dataclass(frozen=True)
class Recommendation:
    """One concrete change, why, what it fixes, and the runs that test it."""

    key: str
    title: str
    text: str
    fixes: tuple[str, ...]  # finding keys
    change: Change | None = None
    rerun: tuple[str, ...] = ()  # names of the runs to simulate again with the change
    evidence: tuple[str, ...] = ()
    restated: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    # (what, as claimed, as computed) for a recommendation that restates a requirement

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "text": self.text,
            "fixes": list(self.fixes),
            "rerun": list(self.rerun),
            "evidence": list(self.evidence),
            "restated": [list(r) for r in self.restated],
            "change": None
            if self.change is None
            else {
                "topology": [[k, v] for k, v in self.change.topology],
                "twins": [list(t) for t in self.change.twins],
                "scenario": [[k, v] for k, v in self.change.scenario],
            },
        }


def combined(recs: list[Recommendation]) -> Change | None:
    """The design changes of every recommendation together (one per element: sizing the
    fallback wins over capping the traffic, which is not a design change)."""
    out = Change()
    for rec in recs:
        if rec.change is not None and rec.change.design:
            out = out.merged(Change(rec.change.topology, rec.change.twins))
    return out if out.design else None


__all__ = ["Change", "Recommendation", "combined"]

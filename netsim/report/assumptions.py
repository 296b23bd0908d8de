"""Every value a review rests on that no published figure backs, with where it comes from.

:func:`topology_assumptions` reads the topology's YAML with its comments
(:mod:`netsim.model.provenance`) and lists, grouped by key and value:

- ``assumption``: values the file marks ``ASSUMPTION`` (no public figure; numbers.md
  "Not found");
- ``uncited``: quantities with no comment at all, so no citation;
- ``default``: keys the file leaves out, which netsim fills in (:data:`LINK_DEFAULTS`),
  each with its citation or marked as uncited.

:func:`scenario_defaults` adds the scenario-side defaults a verdict rests on (the SLO
window). :func:`scaled` multiplies a value of any of these shapes (a number, a number with
a unit, a distribution, a cost, timers) by a factor, for the sensitivity analysis.

Examples
--------
>>> scaled("12MB", 0.5), scaled({"dist": "lognorm", "s": 0.8, "scale": "4h"}, 2.0)
('6MB', {'dist': 'lognorm', 's': 0.8, 'scale': '8h'})
>>> scaled({"interval": "1s", "multiplier": 5}, 2.0)
{'interval': '2s', 'multiplier': 5}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netsim.model.load_topology import DEFAULT_REESTABLISH, KIND_DEFAULTS
from netsim.model.provenance import _flow, read_provenance
from netsim.model.scenario import DEFAULT_SLO_WINDOW
from netsim.model.source import parse_yaml
from netsim.model.topology import LinkKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.scenario import Scenario
    from netsim.model.source import KeyPath

#: Keys whose value is a quantity a verdict can rest on.
QUANTITIES = (
    "capacity",
    "delay",
    "buffer",
    "mtbf",
    "mttr",
    "bfd",
    "bgp",
    "dpd",
    "convergence",
    "preference",
    "overhead",
    "cost",
)
#: What netsim fills in for a link that leaves a key out: (key, kind -> value, source).
UNCITED = "netsim default, uncited"
LINK_DEFAULTS: tuple[tuple[str, dict[LinkKind, str], str], ...] = (
    (
        "bgp.reestablish",
        {k: f"{DEFAULT_REESTABLISH:g}s" for k in LinkKind},
        f"{UNCITED} (architecture section 4: 'a few seconds')",
    ),
    (
        "convergence",
        {k: f"{v['convergence']:g}s" for k, v in KIND_DEFAULTS.items()},
        UNCITED,
    ),
    (
        "preference",
        {k: str(v["preference"]) for k, v in KIND_DEFAULTS.items()},
        f"{UNCITED} (interconnect over VPN over internet)",
    ),
    (
        "bgp",
        {
            k: f"{{keepalive: {v['keepalive']:g}s, hold: {v['hold']:g}s}}"
            for k, v in KIND_DEFAULTS.items()
        },
        'netsim default: numbers.md s3 "AWS DX default BGP hold / keepalive" (interconnect, '
        "internet), AWS VPN tunnel defaults (vpn)",
    ),
    (
        "buffer",
        {k: "none (no drop at the link)" for k in LinkKind},
        f"{UNCITED}: an unbounded queue",
    ),
)
GROUP = {"links": "link", "nodes": "node", "groups": "group"}


@dataclass(frozen=True)
class Assumption:
    """One value (or one value shared by several elements) and where it comes from."""

    elements: tuple[str, ...]
    key: str
    value: str
    source: str
    kind: str  # "assumption" | "uncited" | "default"
    paths: tuple[KeyPath, ...] = ()  # where in the topology YAML (empty: a default)
    raw: Any = None  # the YAML value (for scaling)
    link_kind: str = ""  # interconnect | vpn | internet | "" (node, group)

    @property
    def label(self) -> str:
        where = f"{self.link_kind} " if self.link_kind else ""
        return f"{where}{self.key} ({len(self.elements)}: {', '.join(self.elements)})"

    def to_json(self) -> dict[str, object]:
        return {
            "elements": list(self.elements),
            "key": self.key,
            "value": self.value,
            "source": self.source,
            "kind": self.kind,
        }


def _element(path: KeyPath, data: Any) -> tuple[str, str, str] | None:
    """(element name, key, link kind) of a key path two or more levels deep."""
    if len(path) < 3 or path[0] not in GROUP:  # noqa: PLR2004
        return None
    if path[0] == "links":
        link = data["links"][path[1]]
        return (
            f"{GROUP['links']} {link.get('name')}",
            ".".join(map(str, path[2:])),
            str(link.get("kind", "interconnect")),
        )
    return f"{GROUP[str(path[0])]} {path[1]}", ".".join(map(str, path[2:])), ""


def topology_assumptions(text: str) -> list[Assumption]:
    """Every assumption, uncited quantity and default of a topology (module docstring)."""
    doc = parse_yaml(text, "topology")
    data = doc.data or {}
    marks = read_provenance(text, doc)
    rows: dict[tuple[str, str, str, str, str], list[tuple[str, KeyPath, Any]]] = {}

    def add(row: tuple[str, str, str, str, str], name: str, path: KeyPath, raw: Any) -> None:
        """``row``: (kind, key, value, source, link kind), shared by grouped elements."""
        rows.setdefault(row, []).append((name, path, raw))

    for path in sorted(doc.lines, key=lambda p: doc.lines[p]):
        found = _element(path, data)
        if found is None or len(path) != 3:  # noqa: PLR2004
            continue
        name, key, lk = found
        raw: Any = data
        for part in path:
            raw = raw[part]
        mark = marks.get(path)
        if mark is not None and mark.assumption:
            add(("assumption", key, _flow(raw), mark.text, lk), name, path, raw)
        elif mark is None and key in QUANTITIES:
            add(("uncited", key, _flow(raw), "no citation in the file", lk), name, path, raw)
    for i, link in enumerate(data.get("links") or []):
        link_kind = LinkKind(link.get("kind", "interconnect"))
        for key, values, source in LINK_DEFAULTS:
            top, _, sub = key.partition(".")
            present = top in link and (not sub or sub in (link.get(top) or {}))
            if present:
                continue
            row = ("default", key, values[link_kind], source, link_kind.value)
            add(row, f"link {link.get('name')}", ("links", i, top), None)
    out = []
    for (kind, key, value, source, lk), members in rows.items():
        out.append(
            Assumption(
                tuple(m[0].split(" ", 1)[1] for m in members),
                key,
                value,
                source,
                kind,
                tuple(m[1] for m in members),
                members[0][2],
                lk,
            )
        )
    order = {"assumption": 0, "default": 1, "uncited": 2}
    return sorted(out, key=lambda a: (order[a.kind], a.key, a.link_kind))


def scenario_defaults(scenarios: Sequence[Scenario]) -> list[Assumption]:
    """The SLO window default, where a scenario's SLO relies on it."""
    names = sorted(
        {
            f"{sc.name}:{s.name}"
            for sc in scenarios
            for s in sc.slos
            if s.window == DEFAULT_SLO_WINDOW and not s.monthly
        }
    )
    if not names:
        return []
    return [
        Assumption(
            tuple(names),
            "slo.window",
            f"{DEFAULT_SLO_WINDOW / 60:g}m",
            f"{UNCITED} (the usual alerting window of latency SLOs); set window: in the SLO",
            "default",
        )
    ]


_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([A-Za-z/%]*)\s*$")
#: Fields of a mapping value that scale (distribution location and scale, timers, costs).
SCALED_FIELDS = {
    "scale",
    "loc",
    "interval",
    "keepalive",
    "hold",
    "delay",
    "timeout",
    "monthly",
    "per_gb",
    "reestablish",
}


def scaled(value: Any, factor: float) -> Any:
    """``value`` times ``factor``, keeping its unit and shape (module docstring)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(value * factor, 6)
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m is None:
            return value
        return f"{float(m.group(1)) * factor:.6g}{m.group(2)}"
    if isinstance(value, dict):
        return {k: scaled(v, factor) if k in SCALED_FIELDS else v for k, v in value.items()}
    return value


def numeric(a: Assumption) -> bool:
    """Whether the assumption's value scales (sensitivity varies only those)."""
    return a.raw is not None and scaled(a.raw, 2.0) != a.raw


__all__ = [
    "LINK_DEFAULTS",
    "Assumption",
    "numeric",
    "scaled",
    "scenario_defaults",
    "topology_assumptions",
]

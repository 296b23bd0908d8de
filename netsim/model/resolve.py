"""The files a run really used: its scenario and topology with every override applied.

``netsim run`` (and ``netsim review``) keeps them in the run directory as
``scenario.yaml`` and ``topology.yaml``, so that ``netsim report`` can rebuild the design
and the declared load of any run later, whatever ``--set`` or ``topology_overrides:``
changed. :func:`resolve_files` returns their text: the topology keeps every comment of
its file (the citations and ``ASSUMPTION`` marks, :mod:`netsim.model.provenance`), and a
value that an override replaced says so in its comment. The scenario names
``topology.yaml`` beside it, so the pair loads with
:func:`netsim.model.load_scenario.load_scenario` as they are.

Examples
--------
>>> files = resolve_files("scenarios/interconnect-cut.yaml",
...                       ["topology.links.aws-mcr.capacity=5Gbps", "duration=3m"])
>>> line = next(x for x in files.topology.splitlines() if "capacity: 5Gbps" in x)
>>> line.split("# ")[1][:62]
'set by --set topology.links.aws-mcr.capacity=5Gbps; the file h'
>>> "the file had 10Gbps (ADR-003" in line
True
>>> "topology: topology.yaml" in files.scenario, "duration: 3m" in files.scenario
(True, True)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.model.overrides import apply_override, apply_overrides, parse_override
from netsim.model.provenance import _flow, annotated_dump, read_provenance
from netsim.model.source import load_yaml

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.source import Document, KeyPath

TOPOLOGY_FILE = "topology.yaml"
SCENARIO_FILE = "scenario.yaml"


@dataclass(frozen=True, slots=True)
class ResolvedFiles:
    """The YAML text of a run's scenario and topology, overrides applied."""

    scenario: str
    topology: str

    def files(self) -> dict[str, str]:
        """File name in a run directory -> text (topology first: the scenario names it)."""
        return {TOPOLOGY_FILE: self.topology, SCENARIO_FILE: self.scenario}


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _notes(original: Document, text: str, changed: Document) -> dict[KeyPath, str]:
    """Each key's comment, and for a key an override replaced, what it replaced."""
    notes = {path: p.text for path, p in read_provenance(text, original).items()}
    for path, (where, line) in changed.overridden.items():
        source = where if not line else f"{where}:{line}"
        try:
            before = f"the file had {_flow(_get(original.data, path))}"
        except (KeyError, IndexError, TypeError):
            before = "not in the file"
        cited = notes.get(path)
        notes[path] = f"set by {source}; {before}" + (f" ({cited})" if cited else "")
    return notes


def resolve_topology(
    path: str | Path, overrides: Sequence[tuple[str, Any, tuple[str, int]]] = ()
) -> str:
    """A topology file's text with ``(key, value, origin)`` overrides applied, comments kept."""
    text = Path(path).read_text(encoding="utf-8")
    original = load_yaml(path)
    changed = load_yaml(path)
    changed.data = copy.deepcopy(original.data)
    for key, value, origin in overrides:
        apply_override(changed, key, value, origin)
    head = f"# The topology this run used: {path}"
    if overrides:
        head += " with " + ", ".join(dict.fromkeys(o[0] for _, _, o in overrides))
    head += ".\n# Comments are the file's own (citations, ASSUMPTION marks).\n"
    return head + annotated_dump(changed.data, _notes(original, text, changed))


def resolve_files(scenario_path: str | Path, overrides: Sequence[str] = ()) -> ResolvedFiles:
    """The scenario and topology a run of ``scenario_path`` with ``--set overrides`` uses.

    Call it after :func:`~netsim.model.load_scenario.load_scenario` accepted the same
    inputs: it assumes they are valid.
    """
    scenario_path = Path(scenario_path)
    doc = load_yaml(scenario_path)
    parsed = [parse_override(o) for o in overrides]
    origins = [(f"--set {o.strip()}", 0) for o in overrides]
    mine = [i for i, (k, _) in enumerate(parsed) if not k.startswith("topology.")]
    apply_overrides(doc, [parsed[i] for i in mine], [origins[i] for i in mine])
    data = dict(doc.data)
    topology_path = scenario_path.parent / str(data["topology"])
    topo: list[tuple[str, Any, tuple[str, int]]] = [
        (key, value, (str(scenario_path), doc.line(("topology_overrides", key))))
        for key, value in (data.pop("topology_overrides", None) or {}).items()
    ]
    topo += [
        (parsed[i][0][len("topology.") :], parsed[i][1], origins[i])
        for i, (k, _) in enumerate(parsed)
        if k.startswith("topology.")
    ]
    data["topology"] = TOPOLOGY_FILE
    notes = {
        path: p.text
        for path, p in read_provenance(scenario_path.read_text(encoding="utf-8"), doc).items()
    }
    notes.update({path: f"set by {where}" for path, (where, _) in doc.overridden.items()})
    head = f"# The scenario this run used: {scenario_path}"
    head += (" with " + ", ".join(o[0] for o in origins)) if origins else ""
    return ResolvedFiles(
        head + ".\n" + annotated_dump(data, notes), resolve_topology(topology_path, topo)
    )


__all__ = [
    "SCENARIO_FILE",
    "TOPOLOGY_FILE",
    "ResolvedFiles",
    "resolve_files",
    "resolve_topology",
]

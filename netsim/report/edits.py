"""Changes to a design or a scenario, made on their YAML so every run stays reproducible.

The review derives runs from the shipped files (the peak hour of the baseline, a failure
moved to another link, a design without its VPN, a recommendation applied): each
derivation is an edit of the YAML text, so the run directory's ``scenario.yaml`` and
``topology.yaml`` are what ran, and ``netsim run`` on them repeats it. Topology edits keep
the file's comments (citations, ``ASSUMPTION``) on every value they do not touch, and say
``set by ...`` on the values they change (:mod:`netsim.model.provenance`).

Examples
--------
>>> text = "name: t\\nlinks:\\n  - name: a\\n    capacity: 1Gbps  # s4 tunnel\\n"
>>> print(edit_topology(text, [("links.a.capacity", "2.5Gbps")], why="a test"), end="")
name: t
links:
  - name: a
    capacity: 2.5Gbps  # set by a test; the file had 1Gbps (s4 tunnel)
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import yaml

from netsim.model.overrides import apply_override
from netsim.model.provenance import _flow, annotated_dump, read_provenance
from netsim.model.source import YamlMap, parse_yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netsim.model.source import KeyPath

Data = YamlMap  # a parsed YAML document, edited in place by a transform


def _by_name(path: KeyPath, data: Data) -> KeyPath:
    """``("links", 3, "delay")`` -> ``("links", "aws-mcr", "delay")``: stable under edits."""
    if len(path) >= 2 and path[0] == "links" and isinstance(path[1], int):  # noqa: PLR2004
        links = data.get("links") or []
        if path[1] < len(links) and isinstance(links[path[1]], dict):
            return ("links", str(links[path[1]].get("name")), *path[2:])
    return path


def _by_index(notes: dict[KeyPath, str], data: Data) -> dict[KeyPath, str]:
    index = {str(x.get("name")): i for i, x in enumerate(data.get("links") or [])}
    out = {}
    for named, note in notes.items():
        path = named
        if len(named) >= 2 and named[0] == "links" and isinstance(named[1], str):  # noqa: PLR2004
            if named[1] not in index:
                continue
            path = ("links", index[named[1]], *named[2:])
        out[path] = note
    return out


def edit_topology(
    text: str,
    changes: Sequence[tuple[str, Any]] = (),
    *,
    why: str,
    transform: Callable[[Data], None] | None = None,
) -> str:
    """``text`` with dotted ``changes`` (as ``--set topology.KEY=VALUE``) and then
    ``transform`` applied; comments kept, changed values annotated with ``why``."""
    original = parse_yaml(text, "topology")
    doc = parse_yaml(text, "topology")
    doc.data = copy.deepcopy(original.data)
    for key, value in changes:
        apply_override(doc, key, value, (why, 0))
    notes = {
        _by_name(path, original.data): p.text for path, p in read_provenance(text, original).items()
    }
    for path in doc.overridden:
        try:
            before: Any = original.data
            for part in path:
                before = before[part]
            had = f"the file had {_flow(before)}"
        except (KeyError, IndexError, TypeError):
            had = "not in the file"
        named = _by_name(path, doc.data)
        cited = notes.get(named)
        notes[named] = f"set by {why}; {had}" + (f" ({cited})" if cited else "")
    if transform is not None:
        transform(doc.data)
    return annotated_dump(doc.data, _by_index(notes, doc.data))


def edit_scenario(text: str, transform: Callable[[Data], None]) -> str:
    """The scenario YAML ``text`` after ``transform`` edited its data (comments dropped:
    the scenario's own file keeps them)."""
    data = yaml.safe_load(text) or {}
    transform(data)
    return str(yaml.safe_dump(data, sort_keys=False, width=100))


def set_keys(data: Data, changes: Sequence[tuple[str, Any]]) -> None:
    """Dotted keys set in scenario data (as ``--set``)."""
    doc = parse_yaml("{}", "scenario")
    doc.data = data
    for key, value in changes:
        apply_override(doc, key, value, ("edit", 0))


def twin_node(name: str, twin: str, description: str) -> Callable[[Data], None]:
    """A transform adding ``twin``: a copy of node ``name`` with a copy of each of its
    links (named with ``twin`` in place of ``name``) and of the groups they are in."""

    def edit(data: Data) -> None:
        nodes = data.setdefault("nodes", {})
        node = copy.deepcopy(nodes[name]) if isinstance(nodes.get(name), dict) else {}
        node["description"] = description
        nodes[twin] = node
        renamed = {}
        for link in list(data.get("links") or []):
            ends = list(link.get("endpoints") or ())
            if name not in ends:
                continue
            copy_ = copy.deepcopy(link)
            copy_["name"] = _renamed(str(link["name"]), name, twin)
            copy_["endpoints"] = [twin if e == name else e for e in ends]
            renamed[str(link["name"])] = copy_["name"]
            data["links"].append(copy_)
        for gname, group in list((data.get("groups") or {}).items()):
            members = list(group.get("members") or ())
            if name in members or any(m in renamed for m in members):
                twin_group = copy.deepcopy(group)
                twin_group["members"] = [
                    twin if m == name else renamed.get(m, m)
                    for m in members
                    if m == name or m in renamed
                ]
                data["groups"][_renamed(gname, name, twin)] = twin_group

    return edit


def _renamed(text: str, old: str, new: str) -> str:
    return text.replace(old, new) if old in text else f"{text}-{new}"


def without_fallback(data: Data) -> None:
    """A transform removing every VPN tunnel and the internet links only they used."""
    links = data.get("links") or []
    vpns = [x for x in links if x.get("kind") == "vpn"]
    under = {u for x in vpns for u in x.get("underlay") or ()}
    data["links"] = [x for x in links if x not in vpns and x.get("name") not in under]
    data["name"] = f"{data.get('name', 'design')}-no-vpn"
    data["description"] = "the design with no VPN fallback (interconnects only)"
    used = {e for x in data["links"] for e in x.get("endpoints", ())}
    data["nodes"] = {k: v for k, v in (data.get("nodes") or {}).items() if k in used}


__all__ = [
    "edit_scenario",
    "edit_topology",
    "set_keys",
    "twin_node",
    "without_fallback",
]

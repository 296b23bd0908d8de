"""``--set KEY=VALUE`` and ``topology_overrides:``: dotted keys set in a parsed YAML document.

Overrides are applied before validation, so an overridden value is checked like any other;
the document remembers which key paths each override set (``Document.overridden``), so a
bad value is reported as ``--set KEY=VALUE: ...`` (or against the scenario line of its
``topology_overrides:`` entry), never against the line of the file it replaced. List items
are addressed by their ``name`` or index, and ``*`` means every item.

Examples
--------
>>> parse_override("traffic.api.rate=2000000/day")
('traffic.api.rate', '2000000/day')
>>> from netsim.model.source import parse_yaml
>>> doc = parse_yaml("duration: 10m\\nlinks: [{name: a, capacity: 1Gbps}]", "s.yaml")
>>> apply_overrides(doc, [("links.a.capacity", "2Gbps")])
>>> doc.data["links"][0]["capacity"], doc.overridden
('2Gbps', {('links', 0, 'capacity'): ('--set links.a.capacity=2Gbps', 0)})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsim.errors import InputError, UsageError
from netsim.model.source import load_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.source import Document, KeyPath

#: Where an override came from: ``(where, line)`` (line 0: the command line).
Origin = tuple[str, int]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    import yaml

    return (
        str(yaml.safe_dump(value, default_flow_style=True, width=10**6))
        .strip()
        .removesuffix("\n...")
    )


def apply_overrides(
    doc: Document,
    overrides: Sequence[tuple[str, Any]],
    origins: Sequence[Origin] | None = None,
) -> None:
    """Set dotted keys in ``doc.data`` in place; raise UsageError for paths that do not exist.

    List items are addressed by ``name`` or index, and ``*`` means every item
    (``links.*.convergence``) or, in a mapping, every entry (``nodes.*.mtbf``). ``origins``
    (one per override) say where each came from; default ``--set KEY=VALUE``.
    """
    for i, (key, value) in enumerate(overrides):
        origin = origins[i] if origins is not None else (f"--set {key}={_text(value)}", 0)
        try:
            apply_override(doc, key, value, origin)
        except KeyError as exc:
            raise UsageError(f"{origin[0]}: {exc.args[0]}") from None


def apply_override(doc: Document, key: str, value: Any, origin: Origin) -> None:
    """One override; a key path that does not exist raises ``KeyError(problem)``."""
    _set(doc, (value, origin), key.split("."), doc.data, ())


def _set(
    doc: Document, change: tuple[Any, Origin], parts: list[str], node: Any, path: KeyPath
) -> None:
    """Set ``change`` (value, origin) at the dotted ``parts`` below ``node`` (at ``path``)."""
    value, origin = change
    part, rest = parts[0], parts[1:]
    for index in _indices(doc, part, bool(rest), node):
        here: KeyPath = (*path, index)
        if not rest:
            node[index] = value
            doc.overridden[here] = origin
        else:
            if node[index] is None and isinstance(node, dict):
                node[index] = {}
            _set(doc, change, rest, node[index], here)


def _indices(doc: Document, part: str, deeper: bool, node: Any) -> list[Any]:
    """The items of ``node`` that one dotted ``part`` of an override addresses."""
    if isinstance(node, list):
        if part == "*":
            return list(range(len(node)))
        match = [
            i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == part
        ]
        if match:
            return match[:1]
        if part.isdigit() and int(part) < len(node):
            return [int(part)]
        raise KeyError(f"no item named {part!r}")
    if isinstance(node, dict):
        if part == "*":
            return list(node)
        if deeper and part not in node:
            raise KeyError(f"{part!r} is not in {doc.path}")
        return [part]
    raise KeyError(f"{part!r} is below a plain value")


def parse_override(text: str) -> tuple[str, Any]:
    """``"traffic.api.rate=2000000/day"`` -> ``("traffic.api.rate", "2000000/day")``.

    The value is read as YAML (``{dist: expon, scale: 1ms}`` is a mapping), except that a
    time of day such as ``14:00`` stays text.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise UsageError(f"--set expects KEY=VALUE, got {text!r}")
    if not raw.strip():
        return key.strip(), ""
    try:
        return key.strip(), load_value(raw)
    except InputError as exc:
        problem = exc.errors[0].message if exc.errors else str(exc)
        raise UsageError(f"--set {text}: {problem}") from None


__all__ = ["Origin", "apply_override", "apply_overrides", "parse_override"]

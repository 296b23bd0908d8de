"""``--set KEY=VALUE`` and ``topology_overrides:``: dotted keys set in a parsed YAML document.

Overrides are applied before validation, so an overridden value is checked like any other.
List items are addressed by their ``name`` or index, and ``*`` means every item.

Examples
--------
>>> parse_override("traffic.api.rate=2000000/day")
('traffic.api.rate', '2000000/day')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from netsim.errors import UsageError

if TYPE_CHECKING:
    from netsim.model.source import Document


def apply_overrides(doc: Document, overrides: list[tuple[str, Any]]) -> None:
    """Set dotted keys in ``doc.data`` in place; raise UsageError for paths that do not exist.

    List items are addressed by ``name`` or index, and ``*`` means every item
    (``links.*.convergence``) or, in a mapping, every entry (``nodes.*.mtbf``).
    """
    for key, value in overrides:
        _set(doc, key, key.split("."), doc.data, value)


def _set(doc: Document, key: str, parts: list[str], node: Any, value: Any) -> None:
    part, rest = parts[0], parts[1:]
    for index in _indices(doc, key, part, bool(rest), node):
        if not rest:
            node[index] = value
        elif node[index] is None and isinstance(node, dict):
            node[index] = {}
            _set(doc, key, rest, node[index], value)
        else:
            _set(doc, key, rest, node[index], value)


def _indices(doc: Document, key: str, part: str, deeper: bool, node: Any) -> list[Any]:
    """The items of ``node`` that one dotted ``part`` of ``key`` addresses."""
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
        raise UsageError(f"--set {key}: no item named {part!r}")
    if isinstance(node, dict):
        if part == "*":
            return list(node)
        if deeper and part not in node:
            raise UsageError(f"--set {key}: {part!r} is not in {doc.path}")
        return [part]
    raise UsageError(f"--set {key}: {part!r} is below a plain value")


def parse_override(text: str) -> tuple[str, Any]:
    """``"traffic.api.rate=2000000/day"`` -> ``("traffic.api.rate", "2000000/day")``."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise UsageError(f"--set expects KEY=VALUE, got {text!r}")
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


__all__ = ["apply_overrides", "parse_override"]

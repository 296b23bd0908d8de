"""A reader for strongSwan's settings syntax (``strongswan.conf``, ``swanctl.conf``).

strongSwan has no offline check for its configuration files, so the lab reads them itself
before starting charon: sections ``name {`` ... ``}``, ``key = value`` lines, ``#`` comments
and quoted values. :func:`parse_settings` returns nested dicts and raises
:class:`SettingsError` with the line of the first syntax error. :func:`inline_includes`
replaces ``include PATTERN`` statements by the text of the files they name (relative to the
including file, as strongSwan reads them), so that a node's configuration can be copied
into the lab as one file; ``include`` lines left in a parsed text are kept as keys.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path, PurePosixPath

_SECTION = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\s*:\s*[A-Za-z0-9_.\-, ]+)?\s*\{$")
_KEY = re.compile(r"^([A-Za-z0-9_.\-]+)\s*=\s*(.*)$")
_INCLUDE = re.compile(r"^include\s+\S+")
_INCLUDE_LINE = re.compile(r"^(\s*)include\s+(\S+)\s*(?:#.*)?$")
MAX_INCLUDE_DEPTH = 8


class SettingsError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


def _strip_comment(line: str) -> str:
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:i]
    return line


def _statements(text: str) -> list[tuple[int, str]]:
    """Split into (line, statement); braces on a line become statements of their own."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        while line:
            if line.startswith("}"):
                out.append((number, "}"))
                line = line[1:].strip()
                continue
            key = _KEY.match(line)
            if key:  # a value runs to the end of the line, or to a closing brace
                rest = key.group(2)
                if rest.startswith('"') and '"' in rest[1:]:
                    end = rest.index('"', 1) + 1
                    value, remainder = rest[:end], rest[end:]
                else:
                    value, brace, remainder = rest.partition("}")
                    remainder = brace + remainder
                out.append((number, f"{key.group(1)} = {value.strip()}"))
                line = remainder.strip()
                continue
            if "{" in line:
                head, _, rest = line.partition("{")
                out.append((number, head.strip() + " {"))
                line = rest.strip()
                continue
            out.append((number, line))
            break
    return out


#: A settings tree: each value is a string or a nested section.
Settings = dict[str, "str | Settings"]


def parse_settings(text: str) -> Settings:
    """Parse strongSwan settings text into nested dicts (values are strings)."""
    root: Settings = {}
    stack: list[tuple[int, Settings]] = [(0, root)]
    for number, statement in _statements(text):
        current = stack[-1][1]
        if statement == "}":
            if len(stack) == 1:
                raise SettingsError(number, "'}' without an open section")
            stack.pop()
            continue
        opened = _SECTION.match(statement)
        if opened:
            child = current.setdefault(opened.group(1), {})
            if not isinstance(child, dict):
                raise SettingsError(number, f"{opened.group(1)} is both a value and a section")
            stack.append((number, child))
            continue
        key = _KEY.match(statement)
        if key:
            current[key.group(1)] = key.group(2).strip().strip('"')
            continue
        if _INCLUDE.match(statement):
            current[statement] = ""
            continue
        raise SettingsError(number, f"expected 'key = value' or 'name {{', got {statement!r}")
    if len(stack) > 1:
        raise SettingsError(stack[-1][0], "section is never closed")
    return root


def section(settings: Settings, name: str) -> Settings:
    """The section ``name`` of ``settings`` (empty if missing or a plain value)."""
    value = settings.get(name)
    return value if isinstance(value, dict) else {}


def lookup(settings: Settings, dotted: str, default: str = "") -> str:
    """A value by dotted path (``charon.plugins.vici.socket``), or ``default``."""
    node: str | Settings = settings
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node if isinstance(node, str) else default


def inline_includes(
    text: str,
    here: PurePosixPath,
    lookup: Callable[[str], list[Path]],
    depth: int = 0,
) -> str:
    """``text`` with each ``include PATTERN`` replaced by the files it names.

    ``here`` is the directory the text's file has inside the node (relative patterns are
    relative to it); ``lookup`` maps an absolute pattern inside the node to the host files
    that match it (through the node's binds). A pattern nothing matches is dropped, as
    strongSwan drops a glob that matches nothing.
    """
    if depth > MAX_INCLUDE_DEPTH:
        raise SettingsError(0, "includes nested too deeply")
    out = []
    for raw in text.splitlines():
        match = _INCLUDE_LINE.match(raw)
        if not match:
            out.append(raw)
            continue
        pattern = here / match.group(2)
        out.append(f"{match.group(1)}# {raw.strip()}")
        for path in lookup(str(pattern)):
            nested = inline_includes(path.read_text(), pattern.parent, lookup, depth + 1)
            out.append(nested)
    return "\n".join(out) + "\n"

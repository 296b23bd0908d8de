"""Containerlab topology files: YAML with line numbers, and the schema check.

:func:`read_yaml` parses a file into plain Python data plus a map from each key path
(``("topology", "links", 1, "vars")``) to its 1-based line, so every problem can be reported as
``file:line: key: message``. :func:`schema_errors` checks the data against containerlab's own
JSON schema (shipped in ``schema/``; Python's ``re`` cannot compile its ``[\\p{N}\\p{L}]``
classes, which are replaced by the equivalent ``[^\\W_]`` in memory). The schema checks links
with ``anyOf``; a failing link is re-checked against the one link form it is written in, so the
message names the actual problem instead of "not valid under any of the given schemas".
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from netsim.errors import InputError, ModelError

KeyPath = tuple[str | int, ...]
SCHEMA_ENV = "NETSIM_CLAB_SCHEMA"
#: Containerlab expands ``${VAR}`` and ``${VAR:=default}`` before it parses a file.
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}")
_LINK_FORMS = {
    None: "link-config-short",
    "veth": "link-type-veth",
    "mgmt-net": "link-type-mgmt-net",
    "macvlan": "link-type-macvlan",
    "host": "link-type-host",
    "vxlan": "link-type-vxlan",
    "vxlan-stitch": "link-type-vxlan-stitched",
    "dummy": "link-type-dummy",
}


def format_key(path: KeyPath) -> str:
    """``("topology", "links", 1, "vars")`` -> ``topology.links[1].vars``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Positions:
    """Line numbers of every key path in a YAML document."""

    def __init__(self, lines: dict[KeyPath, int]) -> None:
        self._lines = lines

    def line(self, path: KeyPath) -> int:
        """Line of ``path``, or of its nearest ancestor that has one (0 for the file)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return 0


def expand_env(text: str) -> str:
    """Expand ``${VAR}``/``${VAR:=default}`` the way containerlab does before parsing."""

    def value(match: re.Match[str]) -> str:
        return os.environ.get(match.group(1), match.group(2) or "")

    return _ENV_REF.sub(value, text)


def read_yaml(path: Path) -> tuple[Any, Positions]:
    """Load ``path`` into plain data and the line of every key; InputError on bad YAML."""
    try:
        text = expand_env(path.read_text())
    except OSError as exc:
        raise InputError([ModelError(str(path), 0, "", f"cannot read: {exc.strerror}")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([ModelError(str(path), line, "", f"invalid YAML: {problem}")]) from None
    lines: dict[KeyPath, int] = {}
    loader = yaml.SafeLoader("")
    data = _build(loader, node, (), lines) if node is not None else None
    return data, Positions(lines)


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """Containerlab's schema with its ``\\p{..}`` classes made readable by ``re``."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        text = Path(override).read_text()
    else:
        text = resources.files("netsim.lab").joinpath("schema/clab.schema.json").read_text()
    # In JSON text the class is written with escaped backslashes.
    schema: dict[str, Any] = json.loads(text.replace(r"[\\p{N}\\p{L}]", r"[^\\W_]"))
    return schema


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema)


def schema_errors(data: Any, positions: Positions, file: str) -> list[ModelError]:
    """Every schema violation of ``data`` as a located :class:`ModelError`."""
    schema = load_schema()
    errors: list[ModelError] = []
    for error in _validator(schema).iter_errors(data):
        path: KeyPath = tuple(error.absolute_path)
        if (
            error.validator == "anyOf"
            and len(path) == 3
            and path[:2] == ("topology", "links")
            and isinstance(error.instance, dict)
        ):
            errors.extend(_link_errors(schema, error.instance, path, positions, file))
            continue
        errors.append(ModelError(file, positions.line(path), format_key(path), error.message))
    return errors


def _link_errors(
    schema: dict[str, Any], link: dict[str, Any], path: KeyPath, positions: Positions, file: str
) -> list[ModelError]:
    form = _LINK_FORMS.get(link.get("type"))
    if form is None:
        return [
            ModelError(
                file,
                positions.line((*path, "type")),
                format_key((*path, "type")),
                f"unknown link type {link.get('type')!r}",
            )
        ]
    sub = {"definitions": schema["definitions"], **schema["definitions"][form]}
    out = []
    for error in _validator(sub).iter_errors(link):
        full: KeyPath = (*path, *error.absolute_path)
        out.append(ModelError(file, positions.line(full), format_key(full), error.message))
    return out or [
        ModelError(file, positions.line(path), format_key(path), "not a valid link")
    ]

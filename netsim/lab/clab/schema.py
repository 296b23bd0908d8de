"""Containerlab topology files: reading them with line numbers, and the schema check.

:func:`read_clab_yaml` parses a file with the model's YAML reader
(:func:`netsim.model.source.parse_yaml`, which keeps the line of every key path) after
expanding ``${VAR}`` references as containerlab does. :func:`schema_errors` checks the data
against containerlab's own JSON schema (shipped in ``upstream/``; Python's ``re`` cannot compile
its ``[\\p{N}\\p{L}]`` classes, which are replaced by the equivalent ``[^\\W_]`` in memory).
The schema checks links with ``anyOf``; a failing link is re-checked against the one link form
it is written in, so the message names the actual problem instead of "not valid under any of
the given schemas". Any other ``oneOf``/``anyOf`` failure (a node is ``null`` or a node
config) is explained by the alternative that comes closest: the one whose own checks fail
below the value rather than on its type (:func:`_closest`).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from netsim.errors import InputError, ModelError
from netsim.lab.clab.gotemplate import TemplateError, render_topology
from netsim.model.source import Document, KeyPath, format_path, parse_yaml

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SCHEMA_ENV = "NETSIM_CLAB_SCHEMA"
#: containerlab expands environment references before it parses a file: ``$$`` is a ``$``,
#: ``${VAR}`` and ``$VAR`` the variable (left as written when it is not set), and
#: ``${VAR:=default}`` / ``${VAR:-default}`` the default when it is unset or empty.
_ENV_REF = re.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)
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


def expand_env(text: str) -> str:
    """Expand environment references the way containerlab does before it parses a file.

    >>> import os; os.environ["NETSIM_DOC_X"] = "x"
    >>> expand_env("$NETSIM_DOC_X ${NETSIM_DOC_X} $$HOME ${NETSIM_NOT_SET} ${NETSIM_NOT_SET:=d}")
    'x x $HOME ${NETSIM_NOT_SET} d'
    """

    def value(match: re.Match[str]) -> str:
        whole, braced, operator, default, bare = match.group(0), *match.groups()
        if whole == "$$":
            return "$"
        name = braced or bare
        current = os.environ.get(name)
        if operator is None:
            return whole if current is None else current
        unset = current is None or (operator.startswith(":") and not current)
        return default if unset else str(current)

    return _ENV_REF.sub(value, text)


def read_clab_yaml(path: Path, vars_files: Sequence[Path] = ()) -> Document:
    """Read a containerlab file with its line numbers, as containerlab reads it: rendered as
    a Go template (:mod:`netsim.lab.clab.gotemplate`), then environment references
    expanded. The lines of a rendered file are the template lines that wrote them;
    ``vars_files`` are the template's variables (``--vars``; default: found by name)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([ModelError(str(path), 0, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([ModelError(str(path), 0, "", f"cannot read: {exc}")]) from None
    try:
        text, sources = render_topology(path, text, vars_files)
    except TemplateError as exc:
        # A problem of the template itself says so; one of a variables or sub-template file
        # is named by that file.
        where, what = (
            (exc.name, exc.message) if exc.name else (str(path), f"template: {exc.message}")
        )
        raise InputError([ModelError(where, exc.line, "", what)]) from None
    doc = parse_yaml(expand_env(text), str(path))
    if sources is None:
        return doc

    def source(line: int) -> int:
        return sources[line - 1] if 0 < line <= len(sources) else line

    return dataclasses.replace(
        doc,
        lines={key: source(line) for key, line in doc.lines.items()},
        errors=[dataclasses.replace(e, line=source(e.line)) for e in doc.errors],
    )


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:  # a JSON Schema, handed to jsonschema as it is
    """Containerlab's schema with its ``\\p{..}`` classes made readable by ``re``."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        text = Path(override).read_text()
    else:
        text = resources.files("netsim.lab.clab").joinpath("upstream/clab.schema.json").read_text()
    # In JSON text the class is written with escaped backslashes.
    schema = json.loads(text.replace(r"[\\p{N}\\p{L}]", r"[^\\W_]"))
    if not isinstance(schema, dict):
        raise TypeError("the containerlab schema is not a JSON object")
    return schema


def _validator(schema: Mapping[str, object]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema)


def schema_errors(doc: Document) -> list[ModelError]:
    """Every schema violation of the document as a located :class:`ModelError` (after
    numbers and booleans where the schema wants a string are made strings, as containerlab's
    YAML decoder stores them: ``type: 5132`` is ``"5132"``)."""
    schema = load_schema()
    validator = _validator(schema)
    found = list(validator.iter_errors(doc.data))
    if _strings_as_go_reads_them(found, doc.data):
        found = list(validator.iter_errors(doc.data))  # what the strings leave
    errors: list[ModelError] = []
    for error in found:
        path: KeyPath = tuple(error.absolute_path)
        if (
            error.validator == "anyOf"
            and path[:-1] == ("topology", "links")  # one item of the links list
            and isinstance(error.instance, dict)
        ):
            errors.extend(_link_errors(schema, error.instance, path, doc))
            continue
        for e in _closest(error):
            where: KeyPath = tuple(e.absolute_path)
            if e.validator == "enum" and isinstance(e.instance, str):
                if where[-1:] == ("kind",):
                    # The reader names every kind netsim cannot run, in one problem; the
                    # schema's list is not containerlab's either (it deploys cumulus_cvx).
                    continue
                if e.instance.lower() in {str(v).lower() for v in e.validator_value}:
                    continue  # containerlab's node types ignore case ('SR-7' in its examples)
            errors.append(ModelError(doc.path, doc.line(where), format_path(where), _message(e)))
    return errors


def _strings_as_go_reads_them(errors: list[jsonschema.ValidationError], data: Any) -> bool:
    """containerlab decodes its files with Go's yaml.v2, which puts any scalar into a string
    field as written: a number or boolean where the schema wants a string (one of
    ``errors``) is made that string in ``data``. True if any was."""
    changed = False
    for error in _with_context(errors):
        wanted = error.validator_value
        wants_string = wanted == "string" or (isinstance(wanted, list) and "string" in wanted)
        scalar = error.instance
        if error.validator != "type" or not wants_string or not error.absolute_path:
            continue
        if not isinstance(scalar, (bool, int, float)):
            continue
        text = ("true" if scalar else "false") if isinstance(scalar, bool) else str(scalar)
        *outer, last = error.absolute_path
        holder = data
        for key in outer:
            holder = holder[key]
        holder[last] = text
        changed = True
    return changed


def _with_context(
    errors: list[jsonschema.ValidationError],
) -> list[jsonschema.ValidationError]:
    """The errors and those of every alternative inside them (``anyOf``/``oneOf``)."""
    out = []
    for error in errors:
        out.append(error)
        out.extend(_with_context(list(error.context or [])))
    return out


#: An enum longer than this is named by its size and the values closest to the one given,
#: not listed (containerlab's node kinds are sixty).
LONG_ENUM = 8


def _message(error: jsonschema.ValidationError) -> str:
    """The error's message, with a long list of allowed values cut to the closest ones.

    >>> v = jsonschema.Draft7Validator({"enum": [f"k{i}" for i in range(20)] + ["nokia_srl"]})
    >>> _message(next(v.iter_errors("srl"))).split(" values ")
    ["'srl' is not one of the 21", "containerlab's schema allows here (closest: nokia_srl)"]
    """
    allowed = error.validator_value
    if error.validator != "enum" or not isinstance(allowed, list) or len(allowed) <= LONG_ENUM:
        return str(error.message)
    names = [str(a) for a in allowed]
    lowered = {name.lower(): name for name in reversed(names)}
    close = [
        lowered[c]
        for c in difflib.get_close_matches(str(error.instance).lower(), list(lowered), 3, 0.5)
    ]
    hint = f"closest: {', '.join(close)}" if close else f"e.g. {', '.join(names[:3])}"
    return (
        f"{error.instance!r} is not one of the {len(names)} values containerlab's schema "
        f"allows here ({hint})"
    )


def _closest(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that explain ``error``: itself, or for a ``oneOf``/``anyOf`` the errors of
    the alternative the value comes closest to (recursively). An alternative that rejects
    the value's type outright (``{"type": "null"}`` for a node written as a mapping) is
    not the one meant; of the others, the one with the fewest errors is.

    >>> v = jsonschema.Draft7Validator(
    ...     {"oneOf": [{"type": "null"}, {"properties": {"mtu": {"type": "integer"}}}]})
    >>> [e.message for e in _closest(next(v.iter_errors({"mtu": "x"})))]
    ["'x' is not of type 'integer'"]
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    meant = [
        subs
        for subs in branches.values()
        if not any(not s.relative_path and s.validator in ("type", "const") for s in subs)
    ]
    if not meant:
        return [error]
    best = min(meant, key=len)
    return [e for sub in best for e in _closest(sub)]


def _link_errors(
    schema: dict[str, Any],  # the JSON Schema as load_schema() read it
    link: Mapping[str, object],
    path: KeyPath,
    doc: Document,
) -> list[ModelError]:
    kind = link.get("type")
    form = _LINK_FORMS.get(kind) if kind is None or isinstance(kind, str) else None
    if form is None:
        key = (*path, "type")
        return [
            ModelError(
                doc.path, doc.line(key), format_path(key), f"unknown link type {link.get('type')!r}"
            )
        ]
    sub = {"definitions": schema["definitions"], **schema["definitions"][form]}
    out = []
    for error in _validator(sub).iter_errors(link):
        full: KeyPath = (*path, *error.absolute_path)
        out.append(ModelError(doc.path, doc.line(full), format_path(full), error.message))
    return out or [ModelError(doc.path, doc.line(path), format_path(path), "not a valid link")]

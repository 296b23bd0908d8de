"""YAML documents that remember where each value came from.

:func:`load_yaml` parses a file into plain Python values plus a table from *key paths*
(tuples of mapping keys and list indices) to 1-based line numbers, so that validation can
say ``megaport-hub.yaml:23: links[1].capacity: ...``. :class:`Reader` wraps one document and
collects :class:`~netsim.errors.ModelError` items instead of raising on the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import yaml

from netsim.errors import InputError, ModelError
from netsim.model.units import UnitError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

T = TypeVar("T")
KeyPath = tuple[str | int, ...]
#: A YAML mapping as parsed: its values are whatever the file holds until a :class:`Reader`
#: checks each one (and reports a bad one with its file, line and key).
YamlMap: TypeAlias = dict[str, Any]


def format_path(path: KeyPath) -> str:
    """``("links", 1, "capacity")`` -> ``"links[1].capacity"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every key path.

    ``overridden`` maps the key paths that ``--set`` or ``topology_overrides:`` replaced
    to where the value really came from (``--set duration=4x``, or the scenario file and
    line), so that a bad value is reported there and not against this file's line.
    """

    path: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    errors: list[ModelError] = field(default_factory=list)  # found while parsing
    overridden: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def origin(self, path: KeyPath) -> tuple[str, int] | None:
        """(where, line) of the override that set ``path`` or one of its ancestors."""
        while True:
            if path in self.overridden:
                return self.overridden[path]
            if not path:
                return None
            path = path[:-1]

    def line(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def _convert(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, doc: Document, errors: list[ModelError]
) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: YamlMap = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            key = str(key)
            sub = (*path, key)
            if key in out:
                errors.append(
                    ModelError(
                        doc.path, key_node.start_mark.line + 1, format_path(sub), "duplicate key"
                    )
                )
            doc.lines[sub] = key_node.start_mark.line + 1
            out[key] = _convert(loader, value_node, sub, doc, errors)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, i), doc, errors) for i, item in enumerate(node.value)
        ]
    if _sexagesimal(node):
        return node.value
    return loader.construct_object(node)


def _sexagesimal(node: yaml.Node) -> bool:
    """YAML 1.1 reads ``14:00`` as the base-60 number 840; YAML 1.2 dropped that, and in
    netsim's files ``14:00`` is a time of day, so such scalars stay text."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        and ":" in node.value
    )


def load_value(text: str) -> Any:
    """One YAML value as netsim's files read it (``14:00`` stays text), for ``--set``.

    >>> load_value("14:00"), load_value("2.5"), load_value("{a: 1}")
    ('14:00', 2.5, {'a': 1})
    """
    return parse_yaml(text, "--set").data


def load_yaml(path: str | Path, label: str | None = None) -> Document:
    """Parse ``path``; raise :class:`InputError` if it is missing or is not YAML."""
    shown = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a path under a file
        raise InputError([ModelError(shown, 0, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([ModelError(shown, 0, "", f"cannot read: {exc}")]) from None
    return parse_yaml(text, shown)


def parse_yaml(text: str, label: str) -> Document:
    """Parse YAML text (named ``label`` in errors) into a :class:`Document`.

    libyaml's parser (``CSafeLoader``, about ten times faster: a review parses hundreds
    of variants) when PyYAML has it; text it refuses is parsed again with PyYAML's own
    parser, whose messages the error cases are written in.
    """
    if _FAST_LOADER is not yaml.SafeLoader:
        try:
            return _parse_yaml(text, label, _FAST_LOADER)
        except InputError:
            pass
    return _parse_yaml(text, label, yaml.SafeLoader)


_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str, label: str, loader_type: type[yaml.SafeLoader]) -> Document:
    doc = Document(label, None)
    errors: list[ModelError] = []
    loader = loader_type(text)
    try:
        node = loader.get_single_node()
        doc.data = {} if node is None else _convert(loader, node, (), doc, errors)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([ModelError(label, line, "", f"not valid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    doc.errors = errors  # reported with the checks of the content (Reader)
    return doc


@dataclass
class Reader:
    """Reads typed values out of a :class:`Document`, collecting every problem.

    Each ``get`` call either returns the parsed value or records a :class:`ModelError`
    (file, line, key path, message) and returns ``default``; callers carry on so that one
    run reports every error of a file.
    """

    doc: Document
    errors: list[ModelError] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.errors.extend(self.doc.errors)

    def error(self, path: KeyPath, message: str) -> None:
        origin = self.doc.origin(path)
        where, line = origin if origin is not None else (self.doc.path, self.doc.line(path))
        self.errors.append(ModelError(where, line, format_path(path), message))

    def mapping(self, value: Any, path: KeyPath, allowed: Iterable[str]) -> YamlMap:
        """Check ``value`` is a mapping with only ``allowed`` keys; return it (or {}).

        Its values are still raw YAML: each is parsed by :meth:`get`."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {type(value).__name__}")
            return {}
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = _closest(key, allowed)
                self.error(
                    (*path, key),
                    "unknown key"
                    + (
                        f" (did you mean {hint!r}?)" if hint else f"; allowed: {', '.join(allowed)}"
                    ),
                )
        return value

    def get(
        self,
        where: YamlMap,
        path: KeyPath,
        key: str,  # where: raw YAML mapping
        parse: Callable[[Any], T],
        default: T | None = None,
        *,
        required: bool = False,
    ) -> T | None:
        """Parse ``where[key]`` with ``parse`` (which raises ``UnitError``/``ValueError``)."""
        if key not in where or where[key] is None:
            if required:
                self.error((*path, key) if path else (key,), "required key is missing")
            return default
        try:
            return parse(where[key])
        except (UnitError, ValueError, TypeError) as exc:
            self.error((*path, key), str(exc))
            return default

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.errors)


def _closest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
    return matches[0] if matches else None

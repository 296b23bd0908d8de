"""Where each value of a YAML file comes from: the comments next to it.

netsim's topologies cite a row of ``numbers.md`` beside every default, or say
``ASSUMPTION`` where no public figure exists. :func:`read_provenance` maps each key path
of a parsed :class:`~netsim.model.source.Document` to those comments: the comment at the
end of its line, and the comment lines directly above it (inside ``nodes``, ``links`` and
``groups``; the file's own header is not a key's). A flow mapping on one line
(``delay: {dist: norm, loc: 1ms}  # why``) has its comment on the key that opens the
line. :func:`annotated_dump` writes data back as YAML with those comments in place, so a
run directory's ``topology.yaml`` keeps its citations after ``--set`` changed a value.

Examples
--------
>>> from netsim.model.source import parse_yaml
>>> text = "links:\\n  - name: a\\n    # s1 fibre\\n    delay: 1ms   # ASSUMPTION: metro\\n"
>>> marks = read_provenance(text, parse_yaml(text, "t.yaml"))
>>> marks[("links", 0, "delay")].text, marks[("links", 0, "delay")].assumption
('s1 fibre; ASSUMPTION: metro', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Mapping

    from netsim.model.source import Document, KeyPath

ASSUMPTION = "ASSUMPTION"
#: Key paths this shallow get no lead comments (a file's header is about the file).
MIN_LEAD_DEPTH = 2


@dataclass(frozen=True, slots=True)
class Provenance:
    """The comments of one key: on its line (``inline``) and just above it (``lead``)."""

    line: int
    inline: str = ""
    lead: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "; ".join(x for x in (" ".join(self.lead), self.inline) if x)

    @property
    def assumption(self) -> bool:
        return ASSUMPTION in self.text


def comment_of(line: str) -> str | None:
    """The comment of one YAML line (None: none), outside quotes.

    >>> comment_of("  x: '#1'  # why"), comment_of("x: 1"), comment_of("# only")
    ('why', None, 'only')
    """
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1 :].strip()
    return None


def read_provenance(text: str, doc: Document) -> dict[KeyPath, Provenance]:
    """The comments of every key path of ``doc`` (parsed from ``text``)."""
    lines = text.splitlines()
    by_line: dict[int, KeyPath] = {}
    for path, line in doc.lines.items():
        if not path or not isinstance(path[-1], str):
            continue
        if line not in by_line or len(path) < len(by_line[line]):
            by_line[line] = path
    out: dict[KeyPath, Provenance] = {}
    for line, path in sorted(by_line.items()):
        raw = lines[line - 1] if 0 < line <= len(lines) else ""
        inline = comment_of(raw) or ""
        lead: list[str] = []
        k = line - 2
        while len(path) >= MIN_LEAD_DEPTH and k >= 0 and lines[k].lstrip().startswith("#"):
            lead.insert(0, lines[k].strip().lstrip("#").strip())
            k -= 1
        # Section dividers ("# --- primary links ---") head a group of keys, not this one.
        kept = tuple(x for x in lead if x and not x.startswith("-"))
        if inline or kept:
            out[path] = Provenance(line, inline, kept)
    return out


def _flow(value: Any) -> str:
    """One value as flow-style YAML on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return str(text).strip().removesuffix("...").strip()


def _deeper(path: KeyPath, notes: Mapping[KeyPath, str]) -> bool:
    return any(len(p) > len(path) and p[: len(path)] == path for p in notes)


def annotated_dump(data: Any, notes: Mapping[KeyPath, str]) -> str:
    """``data`` as block YAML with ``notes[path]`` as the comment of each key path.

    A mapping or list is written in flow style on its key's line unless something inside
    it has a note of its own; lists of mappings are always written item by item.

    >>> print(annotated_dump({"links": [{"name": "a", "delay": {"loc": "1ms"}}]},
    ...                      {("links", 0, "delay"): "s1"}), end="")
    links:
      - name: a
        delay: {loc: 1ms}  # s1
    """
    out: list[str] = []
    _emit(data, (), 0, notes, out)
    return "\n".join(out) + "\n"


def _line(prefix: str, path: KeyPath, notes: Mapping[KeyPath, str]) -> str:
    note = notes.get(path)
    return f"{prefix}  # {note}" if note else prefix


def _emit(
    data: Any, path: KeyPath, indent: int, notes: Mapping[KeyPath, str], out: list[str]
) -> None:
    pad = " " * indent
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            head = f"{pad}{_flow(key)}:"
            if _block(value, here, notes):
                out.append(_line(head, here, notes))
                _emit(value, here, indent + 2, notes, out)
            else:
                out.append(_line(f"{head} {_flow(value)}", here, notes))
        return
    for i, item in enumerate(data):
        here = (*path, i)
        if isinstance(item, dict) and item:
            sub: list[str] = []
            _emit(item, here, indent + 2, notes, sub)
            out.append(f"{pad}- " + sub[0][indent + 2 :])
            out.extend(sub[1:])
        else:
            out.append(_line(f"{pad}- {_flow(item)}", here, notes))


def _block(value: Any, path: KeyPath, notes: Mapping[KeyPath, str]) -> bool:
    if isinstance(value, list):
        return any(isinstance(x, dict) for x in value) or _deeper(path, notes)
    return (
        isinstance(value, dict)
        and bool(value)
        and (_deeper(path, notes) or any(isinstance(v, dict | list) for v in value.values()))
    )


__all__ = ["ASSUMPTION", "Provenance", "annotated_dump", "comment_of", "read_provenance"]

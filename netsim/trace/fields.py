"""Reading parsed JSON back into typed values, one checked field at a time.

Run directories (``summary.json``, ``trace.json``) are read by the ``from_json`` methods of
the typed records (:mod:`netsim.trace.records`, :mod:`netsim.analysis.results`). They do
not index a ``dict`` of unknown values: they ask a :class:`Fields` for a number, a string
or a nested object, and a file that does not hold what it should is reported as an
:class:`~netsim.errors.InputError` naming the file and the key path
(``summary.json: failovers[0].gap_s: expected a number, got str``), like the YAML loaders.

Numbers are returned as written (an ``int`` stays an ``int``), so a document read back and
written again gives the same bytes.

Examples
--------
>>> f = Fields.of({"gap_s": 1.5, "links": ["a", "b"], "lost": None}, "x.json")
>>> f.number("gap_s"), f.texts("links"), f.opt_integer("lost")
(1.5, ('a', 'b'), None)
>>> f.number("links")
Traceback (most recent call last):
...
netsim.errors.InputError: x.json: links: expected a number, got list
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from netsim.errors import InputError, ModelError
from netsim.model.source import KeyPath, format_path

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

E = TypeVar("E", bound=enum.Enum)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True, slots=True)
class Fields:
    """One JSON object being read: its members, the file it came from, and where in it."""

    data: Mapping[str, object]
    source: str = ""
    path: KeyPath = ()

    @classmethod
    def of(cls, doc: object, source: str = "") -> Fields:
        """``doc`` (a parsed JSON object, or already a :class:`Fields`) ready to read."""
        if isinstance(doc, Fields):
            return doc
        if not isinstance(doc, dict):
            raise InputError([ModelError(source, 0, "", f"expected an object, got {_kind(doc)}")])
        return cls(doc, source)

    def fail(self, key: str | int, message: str) -> InputError:
        """The error to raise for ``key`` of this object."""
        return InputError([ModelError(self.source, 0, format_path((*self.path, key)), message)])

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def raw(self, key: str) -> object:
        """The value as parsed (None when missing): for values written as is."""
        return self.data.get(key)

    def _get(self, key: str, required: bool = True) -> object:
        if key not in self.data:
            if required:
                raise self.fail(key, "required key is missing")
            return None
        return self.data[key]

    # ---- scalars ----------------------------------------------------------------------
    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {_kind(value)}")
        return value

    def opt_number(self, key: str) -> float | None:
        """A number or null (a missing key counts as null)."""
        return None if self.data.get(key) is None else self.number(key)

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {_kind(value)}")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_kind(value)}")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def member(self, key: str, kind: type[E]) -> E:
        """The member of the enum ``kind`` whose value is the string at ``key``."""
        value = self.text(key)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in kind)
            raise self.fail(key, f"unknown value {value!r} (expected {allowed})") from None

    def opt_member(self, key: str, kind: type[E]) -> E | None:
        return None if self.data.get(key) is None else self.member(key, kind)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    # ---- containers -------------------------------------------------------------------
    def items(self, key: str) -> list[object]:
        """A list (a missing key or null counts as empty)."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        return list(value)

    def texts(self, key: str) -> tuple[str, ...]:
        out = []
        for i, value in enumerate(self.items(key)):
            if not isinstance(value, str):
                raise self.fail(key, f"item {i}: expected a string, got {_kind(value)}")
            out.append(value)
        return tuple(out)

    def interval(self, key: str) -> tuple[float | None, float | None]:
        """A ``[low, high]`` pair of numbers or nulls (missing: both null)."""
        values = self.items(key) or [None, None]
        if len(values) != 2 or any(  # noqa: PLR2004 (a pair)
            v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
            for v in values
        ):
            raise self.fail(key, "expected [low, high]")
        low, high = values
        return (
            low if isinstance(low, int | float) else None,
            high if isinstance(high, int | float) else None,
        )

    def obj(self, key: str) -> Fields:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"expected an object, got {_kind(value)}")
        return Fields(value, self.source, (*self.path, key))

    def opt_obj(self, key: str) -> Fields | None:
        return None if self.data.get(key) is None else self.obj(key)

    def objs(self, key: str) -> list[Fields]:
        """A list of objects (a missing key counts as empty)."""
        out = []
        for i, value in enumerate(self.items(key)):
            if not isinstance(value, dict):
                raise self.fail(key, f"item {i}: expected an object, got {_kind(value)}")
            out.append(Fields(value, self.source, (*self.path, key, i)))
        return out

    def members(self, key: str) -> Iterator[tuple[str, Fields]]:
        """(name, object) of a mapping of objects, in file order (missing: none)."""
        inner = self.opt_obj(key)
        if inner is None:
            return
        for name in inner:
            yield name, inner.obj(name)

    def counts(self, key: str) -> dict[str, int]:
        """A mapping of names to integers, in file order (missing: empty)."""
        inner = self.opt_obj(key)
        return {} if inner is None else {name: inner.integer(name) for name in inner}


__all__ = ["Fields"]

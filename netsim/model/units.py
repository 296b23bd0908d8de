"""Unit parsing for netsim input files (architecture section 3).

Durations, bit rates, sizes, event rates and money are written with units in YAML and
converted here to plain SI floats: seconds, bits per second, bytes, events per second and
USD. Every parser raises :class:`UnitError` with a short message on bad input; the loader
turns that into a :class:`~netsim.errors.ModelError` that names the file, line and key.

Examples
--------
>>> parse_duration("300ms")
0.3
>>> parse_bitrate("10Gbps")
10000000000.0
>>> parse_size("1.5KiB")
1536.0
>>> parse_event_rate("1000000/day")
11.574074074074074
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
BITRATE_UNITS = {"bps": 1.0, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}
SIZE_UNITS = {
    "B": 1.0,
    "KB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "TB": 1e12,
    "PB": 1e15,
    "KiB": 1024.0,
    "MiB": 1024.0**2,
    "GiB": 1024.0**3,
    "TiB": 1024.0**4,
}
DAYS_PER_MONTH = 365.25 / 12
PERIOD_UNITS = {
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "day": 86400.0,
    "d": 86400.0,
    "week": 7 * 86400.0,
    "month": DAYS_PER_MONTH * 86400.0,
    "year": 365.25 * 86400.0,
}

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")


class UnitError(ValueError):
    """A value that cannot be read in the expected unit family."""


def _split(text: str) -> tuple[float, str]:
    match = _NUMBER_UNIT.match(text)
    if match is None:
        raise UnitError(f"cannot read {text!r} as a number with a unit")
    return float(match.group(1)), match.group(2)


def _a(noun: str) -> str:
    """``noun`` with its indefinite article.

    >>> _a("event rate"), _a("size")
    ('an event rate', 'a size')
    """
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _parse(value: object, units: dict[str, float], family: str, bare_ok: bool) -> float:
    if isinstance(value, bool):
        raise UnitError(f"expected {_a(family)}, got a boolean")
    if isinstance(value, int | float):
        if not bare_ok:
            raise UnitError(f"{family} {value!r} needs a unit ({', '.join(units)})")
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected {_a(family)} such as '10{next(iter(units))}'")
    number, unit = _split(value)
    if unit == "":
        if bare_ok:
            return number
        raise UnitError(f"{family} {value!r} needs a unit ({', '.join(units)})")
    if unit not in units:
        raise UnitError(f"unknown unit {unit!r} (expected one of {', '.join(units)})")
    return number * units[unit]


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a string with ``us ms s m h d``."""
    return _parse(value, DURATION_UNITS, "duration", bare_ok=True)


def parse_target_duration(value: object) -> float:
    """Seconds from a string with a unit: an SLO's latency or gap target, where a bare
    ``80`` is far likelier meant as milliseconds than as the seconds it would read as.

    >>> parse_target_duration("80ms")
    0.08
    """
    return _parse(value, DURATION_UNITS, "target", bare_ok=False)


def parse_bitrate(value: object) -> float:
    """Bits per second from a string with ``bps Kbps Mbps Gbps``."""
    return _parse(value, BITRATE_UNITS, "bit rate", bare_ok=False)


def parse_size(value: object) -> float:
    """Bytes from a string with ``B KB MB GB TB`` (SI) or ``KiB MiB GiB TiB``."""
    return _parse(value, SIZE_UNITS, "size", bare_ok=False)


def parse_money(value: object) -> float:
    """USD from a plain number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitError("expected an amount in USD as a plain number")
    return float(value)


def _split_per(value: object, family: str, example: str = "1000/day") -> tuple[str, float]:
    if not isinstance(value, str) or "/" not in value:
        raise UnitError(f"expected {_a(family)} such as '{example}'")
    amount, _, period = value.partition("/")
    period = period.strip()
    if period not in PERIOD_UNITS:
        raise UnitError(f"unknown period {period!r} (expected one of {', '.join(PERIOD_UNITS)})")
    return amount.strip(), PERIOD_UNITS[period]


def parse_event_rate(value: object) -> float:
    """Events per second from ``"6667/s"``, ``"1000000/day"``, ``"40/min"``, ``"10/h"``."""
    amount, seconds = _split_per(value, "event rate")
    number, unit = _split(amount)
    if unit:
        raise UnitError(f"an event rate counts events; {amount!r} has a unit")
    return number / seconds


def parse_volume_rate(value: object) -> float:
    """Bytes per second from a volume per period such as ``"10TB/month"``."""
    amount, seconds = _split_per(value, "volume rate", "10TB/month")
    return parse_size(amount) / seconds


def positive(parse: Callable[[object], float]) -> Callable[[object], float]:
    """``parse``, then refuse zero and negative values (a loader's check of a key)."""

    def check(value: object) -> float:
        number = float(parse(value))
        if number <= 0:
            raise ValueError(f"must be positive, got {value!r}")
        return number

    return check


def non_negative(parse: Callable[[object], float]) -> Callable[[object], float]:
    """``parse``, then refuse negative values (a loader's check of a key)."""

    def check(value: object) -> float:
        number = float(parse(value))
        if number < 0:
            raise ValueError(f"must not be negative, got {value!r}")
        return number

    return check


def format_duration(seconds: float) -> str:
    """A short human form of a duration, for summaries.

    Seconds are used up to 2 minutes and minutes up to 2 hours: 90 minutes stay ``90 min``.

    >>> format_duration(0.0123)
    '12.3 ms'
    >>> format_duration(5400)
    '90 min'
    >>> format_duration(9000)
    '2.5 h'
    """
    if seconds < DURATION_UNITS["ms"]:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 2 * DURATION_UNITS["m"]:
        return f"{seconds:.3g} s"
    if seconds < 2 * DURATION_UNITS["h"]:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"

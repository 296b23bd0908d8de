"""Link impairment parameters carried in containerlab link ``vars``.

A link's ``vars`` hold netsim model data (section 3 of the architecture). The deployer uses
the part that shapes packets: one-way ``delay`` (a constant or a ``scipy.stats`` distribution),
``jitter`` (standard deviation added to a constant delay), ``loss`` (probability per packet),
``rate``/``capacity`` (bits per second per direction) and ``buffer`` (queue limit per
direction). Other keys (bfd, bgp, preference, cost...) ride along unchanged.

Parsing returns :class:`LinkParams` or a list of problems, each naming the offending key, so the
clab loader can report every problem of a file at once. Units follow the architecture: ``us ms
s m h d`` for durations, ``bps Kbps Mbps Gbps`` for rates, ``B KB MB GB TB KiB MiB GiB TiB``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
RATE_UNITS = {"bps": 1.0, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}
SIZE_UNITS = {
    "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
}  # fmt: skip
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
#: Probability of a negative sample above which a delay distribution is refused.
NEGATIVE_TOLERANCE = 1e-9
#: Parameters of scipy distributions that carry the variable's unit.
UNIT_PARAMS = ("loc", "scale")


class ParamError(ValueError):
    """A bad value; ``key`` is the dotted key below the link's ``vars``."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def parse_quantity(value: object, units: dict[str, float], key: str, default_unit: str) -> float:
    """Parse ``12ms``-style text (or a bare number in ``default_unit``) into base units."""
    if isinstance(value, bool):
        raise ParamError(key, f"expected a quantity, got {value!r}")
    if isinstance(value, int | float):
        return float(value) * units[default_unit]
    if not isinstance(value, str):
        raise ParamError(key, f"expected a quantity, got {value!r}")
    match = _QUANTITY.match(value)
    if not match:
        raise ParamError(key, f"cannot read quantity {value!r}")
    number, unit = match.groups()
    if not unit:
        return float(number) * units[default_unit]
    if unit not in units:
        raise ParamError(key, f"unknown unit {unit!r} (expected one of {', '.join(units)})")
    return float(number) * units[unit]


def parse_duration(value: object, key: str) -> float:
    """Seconds from ``300ms``, ``2h`` or a number of seconds."""
    return parse_quantity(value, DURATION_UNITS, key, "s")


@dataclass(frozen=True, slots=True)
class DelaySpec:
    """A one-way delay: ``dist`` is ``const`` or a ``scipy.stats`` continuous distribution.

    ``params`` are in seconds for ``loc``/``scale`` (and ``value`` for ``const``); shape
    parameters are plain numbers.
    """

    dist: str
    params: tuple[tuple[str, float], ...]

    @classmethod
    def constant(cls, seconds: float) -> DelaySpec:
        return cls("const", (("value", seconds),))

    def frozen(self) -> Any:
        """The frozen scipy distribution (``const`` has none)."""
        import scipy.stats

        return getattr(scipy.stats, self.dist)(**dict(self.params))

    def mean(self) -> float:
        if self.dist == "const":
            return dict(self.params)["value"]
        return float(self.frozen().mean())

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent samples in seconds."""
        if self.dist == "const":
            return np.full(size, dict(self.params)["value"])
        return np.asarray(self.frozen().rvs(size=size, random_state=rng), dtype=float)

    def to_json(self) -> dict[str, Any]:
        return {"dist": self.dist, **dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DelaySpec:
        rest = {k: float(v) for k, v in data.items() if k != "dist"}
        return cls(str(data["dist"]), tuple(sorted(rest.items())))


def parse_delay(value: object, key: str, jitter: float = 0.0) -> DelaySpec:
    """Parse a constant or a ``{dist: ..., loc: ..., scale: ...}`` delay and check it."""
    if isinstance(value, dict):
        spec = _parse_distribution(value, key)
        if jitter:
            raise ParamError(f"{key}", "jitter only combines with a constant delay")
    else:
        seconds = parse_duration(value, key)
        if seconds < 0:
            raise ParamError(key, "a delay cannot be negative")
        spec = DelaySpec("norm", (("loc", seconds), ("scale", jitter))) if jitter else (
            DelaySpec.constant(seconds))
    _check_non_negative(spec, key)
    return spec


def _parse_distribution(value: dict[str, Any], key: str) -> DelaySpec:
    import scipy.stats

    name = value.get("dist")
    dist = getattr(scipy.stats, str(name), None) if name else None
    if dist is None or not hasattr(dist, "rvs") or not hasattr(dist, "pdf"):
        raise ParamError(f"{key}.dist", f"not a continuous scipy.stats distribution: {name!r}")
    params: dict[str, float] = {}
    for pkey, pval in value.items():
        if pkey == "dist":
            continue
        if pkey in UNIT_PARAMS:
            params[pkey] = parse_duration(pval, f"{key}.{pkey}")
        elif isinstance(pval, int | float) and not isinstance(pval, bool):
            params[pkey] = float(pval)
        else:
            raise ParamError(f"{key}.{pkey}", f"shape parameter must be a number, got {pval!r}")
    spec = DelaySpec(str(name), tuple(sorted(params.items())))
    try:
        mean = spec.mean()
    except TypeError as exc:
        raise ParamError(key, f"bad parameters for {name}: {exc}") from None
    if not math.isfinite(mean):
        raise ParamError(key, f"{name} with these parameters has no finite mean")
    return spec


def _check_non_negative(spec: DelaySpec, key: str) -> None:
    if spec.dist == "const":
        return
    p_negative = float(spec.frozen().cdf(0.0))
    if p_negative > NEGATIVE_TOLERANCE:
        raise ParamError(
            key,
            f"{spec.dist} delay is negative with probability {p_negative:.3g}; "
            "use a distribution bounded at 0 (truncnorm, lognorm, gamma...)",
        )


@dataclass(frozen=True, slots=True)
class LinkParams:
    """What a link does to packets, per direction (both directions alike)."""

    delay: DelaySpec | None = None
    loss: float = 0.0
    rate_bps: float | None = None
    buffer_bytes: int | None = None
    vars: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def impaired(self) -> bool:
        """True if packets need shaping (delay, loss or a rate limit)."""
        has_delay = self.delay is not None and self.delay.mean() > 0
        return has_delay or self.loss > 0 or self.rate_bps is not None

    def mean_delay(self) -> float:
        return self.delay.mean() if self.delay else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "delay": self.delay.to_json() if self.delay else None,
            "loss": self.loss,
            "rate_bps": self.rate_bps,
            "buffer_bytes": self.buffer_bytes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkParams:
        delay = DelaySpec.from_json(data["delay"]) if data.get("delay") else None
        return cls(delay, float(data["loss"]), data["rate_bps"], data["buffer_bytes"])


def parse_link_params(vars_: dict[str, Any]) -> tuple[LinkParams, list[ParamError]]:
    """Read the impairment keys of a link's ``vars``; collect every problem."""
    errors: list[ParamError] = []
    jitter = 0.0
    delay: DelaySpec | None = None
    loss = 0.0
    rate: float | None = None
    buffer: int | None = None
    try:
        if "jitter" in vars_:
            jitter = parse_duration(vars_["jitter"], "jitter")
    except ParamError as exc:
        errors.append(exc)
    try:
        if "delay" in vars_:
            delay = parse_delay(vars_["delay"], "delay", jitter)
        elif jitter:
            delay = parse_delay(0, "delay", jitter)
    except ParamError as exc:
        errors.append(exc)
    raw_loss = vars_.get("loss", 0)
    if isinstance(raw_loss, bool) or not isinstance(raw_loss, int | float) or not (
        0 <= raw_loss <= 1
    ):
        errors.append(ParamError("loss", f"must be a probability between 0 and 1, got {raw_loss!r}"))
    else:
        loss = float(raw_loss)
    rate_key = "rate" if "rate" in vars_ else "capacity"
    try:
        if rate_key in vars_:
            rate = parse_quantity(vars_[rate_key], RATE_UNITS, rate_key, "bps")
            if rate <= 0:
                raise ParamError(rate_key, "must be positive")
    except ParamError as exc:
        errors.append(exc)
    try:
        if "buffer" in vars_:
            buffer = int(parse_quantity(vars_["buffer"], SIZE_UNITS, "buffer", "B"))
    except ParamError as exc:
        errors.append(exc)
    return LinkParams(delay, loss, rate, buffer, dict(vars_)), errors

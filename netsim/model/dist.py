"""Random quantities of the model: a constant or any continuous ``scipy.stats`` distribution.

A :class:`Dist` is a frozen description (distribution name and SI-valued parameters);
it builds the scipy object only when asked to sample, so model objects stay hashable and
free of state. All sampling takes an explicit ``numpy.random.Generator``.

Examples
--------
>>> import numpy as np
>>> d = parse_dist({"dist": "expon", "scale": "1500B"}, parse_size_value)
>>> d.mean()
1500.0
>>> Dist.constant(0.005).sample(np.random.default_rng(1), 2).tolist()
[0.005, 0.005]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.stats

from netsim.model.units import UnitError, parse_duration, parse_size

if TYPE_CHECKING:
    from collections.abc import Callable

UNIT_PARAMS = ("loc", "scale")
# Above this probability of a negative draw, a non-negative quantity is an input error.
NEGATIVE_TOLERANCE = 1e-9


def parse_size_value(value: object) -> float:
    """Bytes; sizes must carry a unit."""
    return parse_size(value)


@dataclass(frozen=True, slots=True)
class Dist:
    """A constant (``name == "constant"``) or a named scipy.stats continuous distribution."""

    name: str
    params: tuple[tuple[str, float], ...]

    @staticmethod
    def constant(value: float) -> Dist:
        return Dist("constant", (("value", float(value)),))

    @property
    def is_constant(self) -> bool:
        return self.name == "constant"

    def frozen(self) -> Any:
        """The frozen scipy distribution (not for constants)."""
        return getattr(scipy.stats, self.name)(**dict(self.params))

    def mean(self) -> float:
        if self.is_constant:
            return self.params[0][1]
        return float(self.frozen().mean())

    def ppf(self, q: float) -> float:
        if self.is_constant:
            return self.params[0][1]
        return float(self.frozen().ppf(q))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws; draws below zero are redrawn (their probability is < 1e-9, see load)."""
        if self.is_constant:
            return np.full(n, self.params[0][1])
        frozen = self.frozen()
        out = np.asarray(frozen.rvs(size=n, random_state=rng), dtype=float)
        bad = out < 0
        while bad.any():
            out[bad] = frozen.rvs(size=int(bad.sum()), random_state=rng)
            bad = out < 0
        return out

    def sample_one(self, rng: np.random.Generator) -> float:
        return float(self.sample(rng, 1)[0])

    def describe(self) -> str:
        if self.is_constant:
            return f"{self.params[0][1]:g}"
        args = ", ".join(f"{k}={v:g}" for k, v in self.params)
        return f"{self.name}({args})"


def _continuous_names() -> set[str]:
    return {name for name in dir(scipy.stats)
            if isinstance(getattr(scipy.stats, name), scipy.stats.rv_continuous)}


def parse_dist(value: object, parse_unit: Callable[[object], float],
               nonnegative: bool = True) -> Dist:
    """Read a constant or ``{dist: NAME, loc/scale with units, shape params}``.

    Raises :class:`UnitError` with a message fit for users on any problem.
    """
    if not isinstance(value, dict):
        constant = parse_unit(value)
        if nonnegative and constant < 0:
            raise UnitError(f"must not be negative, got {value!r}")
        return Dist.constant(constant)
    if "dist" not in value:
        raise UnitError("a distribution needs 'dist: <scipy.stats name>'")
    name = value["dist"]
    if not isinstance(name, str) or name not in _continuous_names():
        raise UnitError(f"scipy.stats has no continuous distribution {name!r}")
    params: dict[str, float] = {}
    for key, raw in value.items():
        if key == "dist":
            continue
        if key in UNIT_PARAMS:
            params[key] = parse_unit(raw)
        elif isinstance(raw, bool) or not isinstance(raw, int | float):
            raise UnitError(f"shape parameter {key!r} must be a plain number")
        else:
            params[key] = float(raw)
    dist = Dist(name, tuple(sorted(params.items())))
    try:
        frozen = dist.frozen()
        mean = float(frozen.mean())
        low = float(frozen.cdf(0.0))
    except TypeError as exc:
        raise UnitError(f"bad parameters for {name}: {exc}") from None
    if not np.isfinite(mean) and not np.isfinite(float(frozen.median())):
        raise UnitError(f"bad parameters for {name}: {dict(params)}")
    if nonnegative and low > NEGATIVE_TOLERANCE:
        raise UnitError(f"{name} with these parameters is negative with probability {low:.2g}; "
                        "use a non-negative distribution (lognorm, gamma, truncnorm with a=0)")
    return dist


def parse_duration_dist(value: object) -> Dist:
    return parse_dist(value, parse_duration)


def parse_size_dist(value: object) -> Dist:
    return parse_dist(value, parse_size)

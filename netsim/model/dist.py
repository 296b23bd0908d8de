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

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netsim.model.units import UnitError, parse_duration, parse_size

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

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
        """The frozen scipy distribution (not for constants); one per law and parameters
        (making one costs about 0.1 ms, and the control plane samples one draw at a time;
        draws pass their own ``random_state``, so sharing it shares no state)."""
        return _frozen(self.name, self.params)

    def mean(self) -> float:
        if self.is_constant:
            return self.params[0][1]
        quick = _quick_mean(self.name, dict(self.params))
        return quick if quick is not None else float(self.frozen().mean())

    def ppf(self, q: float) -> float:
        if self.is_constant:
            return self.params[0][1]
        return float(self.frozen().ppf(q))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws; draws below zero are redrawn (their probability is < 1e-9, see load)."""
        import numpy as np  # the model itself needs no numpy: loading and checking stay light

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
    import scipy.stats

    return {
        name
        for name in dir(scipy.stats)
        if isinstance(getattr(scipy.stats, name), scipy.stats.rv_continuous)
    }


#: Families whose validity and lower tail are known in closed form: ``name -> (shape
#: parameters, lowest value of the support for loc = 0, scale = 1)``. Loading a file that
#: uses only these needs no scipy import (which takes ~0.7 s), so ``netsim validate`` starts
#: at once; anything unusual (other families, odd parameters, an error to report) goes
#: through scipy. tests/model/test_dist.py holds each entry against scipy.stats.
QUICK_FAMILIES: dict[str, tuple[tuple[str, ...], float]] = {
    "norm": ((), -math.inf),
    "lognorm": (("s",), 0.0),
    "expon": ((), 0.0),
    "gamma": (("a",), 0.0),
    "weibull_min": (("c",), 0.0),
    "uniform": ((), 0.0),
    "pareto": (("b",), 1.0),
}


def _quick_mean(name: str, p: dict[str, float]) -> float | None:
    """The mean of the common families in closed form (None: ask scipy). Every simulation
    asks for a mean or two; importing scipy.stats for it would cost most of a second.
    tests/model/test_dist.py holds each one to scipy.stats."""
    loc, scale = p.get("loc", 0.0), p.get("scale", 1.0)
    standard = {  # the mean of the family with loc 0 and scale 1
        "norm": lambda: 0.0,
        "lognorm": lambda: math.exp(p["s"] ** 2 / 2),
        "expon": lambda: 1.0,
        "uniform": lambda: 0.5,
        "gamma": lambda: p["a"],
        "weibull_min": lambda: math.gamma(1 + 1 / p["c"]),
    }.get(name)
    return None if standard is None else loc + scale * standard()


def _quick_check(name: str, params: dict[str, float], nonnegative: bool) -> bool:
    """True when ``params`` are certainly valid for ``name`` (see ``QUICK_FAMILIES``)."""
    if name not in QUICK_FAMILIES:
        return False
    shapes, low = QUICK_FAMILIES[name]
    if set(params) - {"loc", "scale", *shapes} or not set(shapes) <= set(params):
        return False
    loc, scale = params.get("loc", 0.0), params.get("scale", 1.0)
    if (
        not all(math.isfinite(v) for v in params.values())
        or scale <= 0
        or any(params[k] <= 0 for k in shapes)
    ):
        return False
    if not nonnegative:
        return True
    if name == "norm":  # P(X < 0) for X ~ N(loc, scale)
        return 0.5 * math.erfc(loc / (scale * math.sqrt(2.0))) <= NEGATIVE_TOLERANCE
    return loc + scale * low >= 0.0


def parse_dist(
    value: object, parse_unit: Callable[[object], float], nonnegative: bool = True
) -> Dist:
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
    if not isinstance(name, str) or (
        name not in QUICK_FAMILIES and name not in _continuous_names()
    ):
        raise UnitError(f"scipy.stats has no continuous distribution {name!r}")
    params = _params(value, parse_unit)
    dist = Dist(name, tuple(sorted(params.items())))
    if not _quick_check(name, params, nonnegative):
        _check_with_scipy(dist, nonnegative)
    return dist


def _params(value: dict[object, object], parse_unit: Callable[[object], float]) -> dict[str, float]:
    """The parameters of a distribution mapping: ``loc``/``scale`` with units, shapes plain."""
    params: dict[str, float] = {}
    for key, raw in value.items():
        if key == "dist":
            continue
        if key in UNIT_PARAMS:
            params[str(key)] = parse_unit(raw)
        elif isinstance(raw, bool) or not isinstance(raw, int | float):
            raise UnitError(f"shape parameter {key!r} must be a plain number")
        else:
            params[str(key)] = float(raw)
    return params


@functools.lru_cache(maxsize=1024)
def _frozen(name: str, params: tuple[tuple[str, float], ...]) -> Any:
    import scipy.stats  # ~0.7 s: only when a distribution is sampled or checked

    return getattr(scipy.stats, name)(**dict(params))


def _check_with_scipy(dist: Dist, nonnegative: bool) -> None:
    """Parameters scipy accepts, a finite centre, and (if asked) no negative draws."""
    name, params = dist.name, dict(dist.params)
    try:
        frozen = dist.frozen()
        mean = float(frozen.mean())
        low = float(frozen.cdf(0.0))
    except TypeError as exc:
        raise UnitError(f"bad parameters for {name}: {exc}") from None
    if not math.isfinite(mean) and not math.isfinite(float(frozen.median())):
        raise UnitError(f"bad parameters for {name}: {dict(params)}")
    if nonnegative and low > NEGATIVE_TOLERANCE:
        raise UnitError(
            f"{name} with these parameters is negative with probability {low:.2g}; "
            "use a non-negative distribution (lognorm, gamma, truncnorm with a=0)"
        )


def parse_duration_dist(value: object) -> Dist:
    return parse_dist(value, parse_duration)


def parse_size_dist(value: object) -> Dist:
    return parse_dist(value, parse_size)

"""The closed-form fast path of distribution checking against scipy.stats itself.

Oracle: scipy.stats (the library whose distributions the input format names). For each
family netsim checks without importing scipy (``QUICK_FAMILIES``), the support's lowest
point and the parameter names must be scipy's, and for parameters the fast path accepts,
scipy must agree that they are valid and, for non-negative quantities, that a negative
draw has probability at most ``NEGATIVE_TOLERANCE``.
"""

from __future__ import annotations

import math

import pytest
import scipy.stats

from netsim.model.dist import NEGATIVE_TOLERANCE, QUICK_FAMILIES, _quick_check, parse_dist
from netsim.model.units import parse_duration


@pytest.mark.parametrize("name", sorted(QUICK_FAMILIES))
def test_family_matches_scipy(name: str) -> None:
    shapes, low = QUICK_FAMILIES[name]
    family = getattr(scipy.stats, name)
    assert (
        tuple((family.shapes or "").replace(" ", "").split(",") if family.shapes else ()) == shapes
    )
    args = dict.fromkeys(shapes, 1.5)
    assert family(**args).support()[0] == pytest.approx(low)


CASES = [
    ("norm", {"loc": 0.001, "scale": 50e-6}),
    ("norm", {"loc": 0.001, "scale": 0.001}),
    ("norm", {"loc": -1.0, "scale": 1.0}),
    ("lognorm", {"s": 0.3, "scale": 0.012}),
    ("lognorm", {"s": 0.3, "loc": -0.001, "scale": 0.012}),
    ("expon", {"scale": 1500.0}),
    ("gamma", {"a": 2.0, "scale": 3.0}),
    ("weibull_min", {"c": 1.5, "scale": 4.0}),
    ("uniform", {"loc": 1.0, "scale": 2.0}),
    ("uniform", {"loc": -1.0, "scale": 2.0}),
    ("pareto", {"b": 2.5, "scale": 1.0}),
    ("lognorm", {"s": -1.0, "scale": 1.0}),
    ("gamma", {"scale": 1.0}),
    ("expon", {"scale": 1.0, "bogus": 2.0}),
]


@pytest.mark.parametrize(("name", "params"), CASES)
def test_quick_acceptance_implies_scipy_acceptance(name: str, params: dict[str, float]) -> None:
    if not _quick_check(name, params, nonnegative=True):
        return  # scipy decides: nothing to hold the fast path to
    frozen = getattr(scipy.stats, name)(**params)
    assert math.isfinite(frozen.median())
    assert frozen.cdf(0.0) <= NEGATIVE_TOLERANCE


def test_rejections_still_come_from_scipy() -> None:
    """What the fast path cannot vouch for gets scipy's message (golden-tested elsewhere)."""
    with pytest.raises(ValueError, match="negative with probability"):
        parse_dist({"dist": "norm", "loc": "1ms", "scale": "1ms"}, parse_duration)
    with pytest.raises(ValueError, match="bad parameters for lognorm"):
        parse_dist({"dist": "lognorm", "scale": "1ms"}, parse_duration)


@pytest.mark.parametrize(("name", "params"), CASES[:11])
def test_closed_form_mean_is_scipys(name: str, params: dict[str, float]) -> None:
    """The closed-form means (a simulation asks for them without importing scipy.stats)
    equal scipy's, where scipy accepts the parameters."""
    from netsim.model.dist import Dist

    frozen = getattr(scipy.stats, name)(**params)
    dist = Dist(name, tuple(sorted(params.items())))
    assert dist.mean() == pytest.approx(float(frozen.mean()), rel=1e-12)

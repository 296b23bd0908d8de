"""Estimators with confidence intervals, distribution-free where possible.

Examples
--------
>>> import numpy as np
>>> x = np.arange(1, 1001, dtype=float)
>>> q, (lo, hi) = quantile_ci(x, 0.5)
>>> q, lo <= 500.5 <= hi
(500.5, True)
>>> lo, hi = wilson(990, 1000)
>>> round(lo, 4), round(hi, 4)
(0.9817, 0.9946)
"""

from __future__ import annotations

import math

import numpy as np

from netsim.trace.sketch import binom_ppf

Z95 = 1.959963984540054


def quantile_ci(
    values: np.ndarray, q: float, level: float = 0.95
) -> tuple[float, tuple[float, float]]:
    """The q-quantile and its distribution-free CI from binomial order statistics.

    The interval ``[x_(l), x_(u)]`` has ``P(l <= B < u) >= level`` for ``B ~ Bin(n, q)``
    (Hahn & Meeker), so it holds for any continuous distribution of i.i.d. samples.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return math.nan, (math.nan, math.nan)
    point = float(np.quantile(x, q))
    alpha = 1.0 - level
    lo = binom_ppf(alpha / 2, n, q)  # scipy.stats.binom.ppf, without importing scipy.stats
    hi = binom_ppf(1 - alpha / 2, n, q) + 1
    return point, (float(x[max(lo - 1, 0)]), float(x[min(hi - 1, n - 1)]))


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return math.nan, math.nan
    from scipy.special import ndtri  # scipy.stats.norm.ppf, without importing scipy.stats

    z = float(ndtri(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)

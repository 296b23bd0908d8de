"""The fast engine's block normals (Box-Muller, :func:`netsim.sim.fast.queue.block_normals`)
are standard normal and independent.

Oracle: the standard normal law itself (scipy's CDF and survival function). Every test
draws from a fixed seed, so it is deterministic; each tolerance is a few standard errors
of the statistic at that sample size, so a correct generator passes with room and a wrong
one (an angle over half the circle, a radius without its factor 2, the two halves sharing
an angle) fails by many standard errors.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from netsim.sim.fast.queue import block_normals

N = 2_000_000


def test_block_normals_follow_the_standard_normal_law() -> None:
    z = block_normals(np.random.default_rng(2026), (N,))
    # Kolmogorov-Smirnov: the 0.999 quantile of sqrt(n) D is 1.95
    assert stats.kstest(z, "norm").statistic < 1.95 / np.sqrt(N)
    # moments: standard errors 1/sqrt(n), sqrt(2/n), sqrt(24/n) for mean, variance, kurtosis
    assert abs(z.mean()) < 5 / np.sqrt(N)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / N)
    # the tail beyond 4 standard deviations (binomial count, about 127 expected)
    p = 2 * stats.norm.sf(4.0)
    count = int(np.sum(np.abs(z) > 4.0))
    assert abs(count - N * p) < 5 * np.sqrt(N * p)


def test_both_halves_of_a_block_are_independent() -> None:
    """The first half holds ``r cos``, the second ``r sin`` of the same pairs: uncorrelated
    as values and as squares (a shared radius would correlate the squares), and each half
    standard normal on its own (an angle over half the circle would make sines positive)."""
    z = block_normals(np.random.default_rng(7), (2, N // 2))
    a, b = z[0], z[1]
    limit = 5 / np.sqrt(len(a))  # the correlation's standard error is 1/sqrt(n)
    assert abs(np.corrcoef(a, b)[0, 1]) < limit
    assert abs(np.corrcoef(a * a, b * b)[0, 1]) < limit
    for half in (a, b):
        assert stats.kstest(half, "norm").statistic < 1.95 / np.sqrt(len(half))


def test_block_normals_are_a_function_of_the_generator_and_the_shape() -> None:
    first = block_normals(np.random.default_rng(5), (3, 1001))
    again = block_normals(np.random.default_rng(5), (3, 1001))
    assert first.shape == (3, 1001)
    assert np.array_equal(first, again)
    assert np.all(np.isfinite(first))
    assert block_normals(np.random.default_rng(5), (0, 4)).shape == (0, 4)

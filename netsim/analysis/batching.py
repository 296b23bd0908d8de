"""Batch means: the variance of a ratio estimator from correlated output in time order.

Every interval netsim reports is, underneath, the interval of a ratio ``R = sum(a) /
sum(n)`` over samples in time order: the mean latency (``a`` = latency, ``n`` = 1 per
delivered request), a success ratio (``a`` = 1 if delivered, ``n`` = 1 per request) and
the empirical distribution function at a quantile's estimate (``a`` = 1 if the latency is
at most the estimate), whose interval :mod:`netsim.analysis.intervals` inverts into one
for the quantile. Packets behind the same queue are strongly correlated, so the variance
of ``R`` is estimated from *batches*: sums over stretches of time long enough to be nearly
independent of each other.

The method (non-overlapping batch means with the batch size chosen from the data, in the
spirit of Fishman and Yarberry's LBATCH rule, INFORMS J. Computing 9(3), 1997):

1. The run is cut into *strata* at the moments its configuration changes on purpose (a
   scripted failure, its detection, switch and restoration, a scripted transfer), because
   batch means assume a stationary process: the variance is estimated within each
   stratum around the stratum's own level, then added up.
2. A stratum is cut into ``K_MAX`` cells of equal time (fewer if it holds too few
   samples). Adjacent cells are merged in pairs, doubling the batch length, for as long as
   more than ``K_FINAL`` batches are left or von Neumann's ratio test (J. von Neumann,
   Ann. Math. Stat. 12, 1941) finds the batch sums positively lag-1 correlated at level
   ``TEST_LEVEL``. ``K_FINAL`` caps the batches at 20 because the test cannot see a
   small correlation among many short batches that still biases their variance low
   (measured: 10 % low at load 0.8 with 128 batches that passed the test). If fewer than
   ``2 * K_MIN`` batches are left and they are still correlated, the variance is inflated
   by the AR(1) factor ``(1 + r) / (1 - r)`` of their lag-1 correlation ``r`` and the
   stratum is marked as not independent: the run is too short for its correlation.
3. A stratum too short for ``K_MIN`` batches (a detection delay, a failover gap) counts its
   samples as independent.
4. The strata's variances (and third cumulants) add; the degrees of freedom of the sum
   follow Welch-Satterthwaite, and the interval uses Student's t with them, adjusted for
   skewness (:meth:`Spread.bounds`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> x = rng.normal(10.0, 1.0, 20_000)
>>> cells = Cells.of(x, np.arange(20_000.0), (0.0, 20_000.0), 256)
>>> est = stratum_variance(cells, float(x.mean()))
>>> est.batches >= K_MIN, est.independent
(True, True)
>>> 0.8 < est.var / 20_000 < 1.2   # i.i.d. unit variance: var(sum) ~ n
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.special  # norm.ppf and t.ppf are ndtri and stdtrit: scipy.stats costs ~1 s to import

if TYPE_CHECKING:
    from collections.abc import Sequence

K_MAX = 320  # cells a stratum starts from (halved: 160, 80, 40, 20, 10)
K_FINAL = 20  # most batches an interval rests on (Schmeiser: 10 to 30)
K_MIN = 10  # fewest batches a stratum is batched into (Schmeiser, Oper. Res. 30(3), 1982)
TEST_LEVEL = 0.10  # von Neumann test level; LBATCH's choice, on the side of larger batches
MAX_AR1 = 0.9  # the AR(1) inflation stops here (a factor of 19 on the variance)
MIN_SERIES = 3  # values a correlation or a third moment needs
NORMAL_DF = 1e6  # Student's t with more degrees of freedom than this is the normal
BETA_MAX = 0.25  # the skewness adjustment stops here (skewness 1.5 of the sum)


@dataclass(frozen=True, slots=True)
class Cells:
    """Per-cell sums of one stratum, in time order: ``sum(a)``, ``sum(a**2)``,
    ``sum(a**3)``, ``sum(n)``.

    ``span_s`` is the time the cells cover together (each cell covers an equal share,
    except sketch buckets, where it is only reported).
    """

    a: np.ndarray
    a2: np.ndarray
    a3: np.ndarray
    n: np.ndarray
    span_s: float

    @staticmethod
    def of(a: np.ndarray, times: np.ndarray, span: tuple[float, float], cells: int) -> Cells:
        """Sums of the samples ``a`` (one ``n`` each) whose time falls in each of ``cells``
        equal parts of ``span``; ``times`` in increasing order (vectorised: differences of
        cumulative sums at the cells' edges)."""
        lo, hi = span
        edges = lo + (hi - lo) * np.arange(1, cells) / cells
        ends = np.concatenate([np.searchsorted(times, edges, side="left"), [len(times)]])
        starts = np.concatenate([[0], ends[:-1]])

        def sums(x: np.ndarray) -> np.ndarray:
            cum = np.concatenate([[0.0], np.cumsum(x)])
            out: np.ndarray = cum[ends] - cum[starts]
            return out

        return Cells(sums(a), sums(a * a), sums(a * a * a), (ends - starts).astype(float), hi - lo)

    def total(self) -> Cells:
        """All cells summed into one."""
        a, a2, a3, n = (np.array([float(x.sum())]) for x in (self.a, self.a2, self.a3, self.n))
        return Cells(a, a2, a3, n, self.span_s)

    def merged(self) -> Cells:
        """Adjacent cells summed in pairs (an odd last cell joins the one before it)."""
        k = len(self.n) // 2

        def pairs(x: np.ndarray) -> np.ndarray:
            out: np.ndarray = x[: 2 * k].reshape(k, 2).sum(axis=1)
            if len(x) % 2:
                out[-1] += x[-1]
            return out

        return Cells(pairs(self.a), pairs(self.a2), pairs(self.a3), pairs(self.n), self.span_s)


@dataclass(frozen=True, slots=True)
class StratumVariance:
    """The variance (and third cumulant) of ``sum(a - R n)`` over one stratum and how they
    were estimated. ``batches`` is 0 when the samples were counted as independent.
    """

    var: float
    k3: float
    df: float
    batches: int
    batch_s: float | None
    independent: bool


def von_neumann_rejects(z: np.ndarray, level: float = TEST_LEVEL) -> bool:
    """Whether ``z`` is positively lag-1 correlated by von Neumann's ratio test.

    ``C = 1 - sum((z[i+1] - z[i])**2) / (2 sum((z - mean)**2))`` is about normal with mean
    0 and variance ``(k - 2) / ((k - 1)(k + 1))`` for independent ``z`` (Fishman 2001,
    *Discrete-Event Simulation*, section 6.6).

    >>> von_neumann_rejects(np.sin(np.arange(64) / 5.0)), von_neumann_rejects(np.arange(64) % 2)
    (True, False)
    """
    k = len(z)
    dev = z - z.mean()
    ss = float(np.dot(dev, dev))
    if k < MIN_SERIES or ss <= 0.0:
        return False
    c = 1.0 - float(np.sum(np.diff(z) ** 2)) / (2.0 * ss)
    sd = math.sqrt((k - 2) / ((k - 1) * (k + 1)))
    return c > float(scipy.special.ndtri(1.0 - level)) * sd


def lag1(z: np.ndarray) -> float:
    """The lag-1 autocorrelation of ``z`` (0 for fewer than three values)."""
    dev = z - z.mean()
    ss = float(np.dot(dev, dev))
    return 0.0 if len(z) < MIN_SERIES or ss <= 0.0 else float(np.dot(dev[1:], dev[:-1])) / ss


def iid_variance(cells: Cells, ratio: float) -> StratumVariance:
    """``sum(a - R n)``'s moments counting every sample as independent (``n`` = 1 each).

    Not centred on the stratum's own mean: with Poisson arrivals the number of samples
    in a short stratum is random too, and a failover gap in which everything is lost
    still varies by how many requests fell into it (compound Poisson cumulants).
    """
    count = float(cells.n.sum())
    if count < MIN_SERIES - 1:
        return StratumVariance(0.0, 0.0, 0.0, 0, None, True)
    r = ratio
    a, a2, a3 = float(cells.a.sum()), float(cells.a2.sum()), float(cells.a3.sum())
    var = max(a2 - 2 * r * a + r * r * count, 0.0)
    k3 = a3 - 3 * r * a2 + 3 * r * r * a - r**3 * count
    return StratumVariance(var, k3, count - 1, 0, None, True)


def stratum_variance(cells: Cells, ratio: float) -> StratumVariance:
    """Batch means over one stratum's cells (module docstring, steps 2 and 3)."""
    if len(cells.n) < K_MIN:
        return iid_variance(cells, ratio)
    current = cells
    independent = True
    while len(current.n) > K_FINAL or von_neumann_rejects(current.a - ratio * current.n):
        if len(current.n) < 2 * K_MIN:
            independent = False
            break
        current = current.merged()
    return batch_variance(current, ratio, independent=independent)


def batch_variance(cells: Cells, ratio: float, *, independent: bool = True) -> StratumVariance:
    """``sum(a - R n)``'s variance and third cumulant with each cell one batch (or one
    replication): ``k`` times the batch sums' sample moments about their own mean.

    Batches not ``independent`` get the AR(1) inflation of the module docstring.
    """
    z = cells.a - ratio * cells.n
    k = len(z)
    if k < 2:  # noqa: PLR2004 (a variance needs two)
        return StratumVariance(0.0, 0.0, 0.0, k, cells.span_s, independent)
    dev = z - z.mean()
    var = k * float(np.dot(dev, dev)) / (k - 1)
    k3 = k * k * float(np.sum(dev**3)) / ((k - 1) * (k - 2)) if k > 2 else 0.0  # noqa: PLR2004
    if not independent:
        r = min(max(lag1(z), 0.0), MAX_AR1)
        var *= (1 + r) / (1 - r)
    return StratumVariance(var, k3, k - 1, k, cells.span_s / k, independent)


@dataclass(frozen=True, slots=True)
class Spread:
    """The variance, third cumulant and degrees of freedom of a sum over strata."""

    var: float
    k3: float
    df: float

    def bounds(self, level: float, *, skew: bool = True) -> tuple[float, float]:
        """Multiples of the standard error below and above the estimate for ``level``.

        Student's t with the Welch-Satterthwaite degrees of freedom, adjusted for the
        skewness of the sum (Willink, Metrologia 42, 2005, as used by the Skart batch means
        procedure of Tafazzoli, Steiger and Wilson, IEEE TAC 56(2), 2011): a queue's
        latency average is skewed to the right (a long busy period pulls a run's mean up
        far more than a quiet one pulls it down), and a symmetric interval misses the
        truth mostly from below.
        """
        t = t_quantile(self.df, level)
        if self.var <= 0.0 or not skew:
            return t, t
        beta = self.k3 / self.var**1.5 / 6.0
        beta = max(-BETA_MAX, min(BETA_MAX, beta))
        return _willink(t, beta), -_willink(-t, beta)


def _willink(z: float, beta: float) -> float:
    """Willink's ``G(z)``: the t quantile ``z`` moved for skewness ``6 beta``."""
    if beta == 0.0:
        return z
    return (float(np.cbrt(1 + 6 * beta * (z - beta))) - 1) / (2 * beta)


def combine(parts: Sequence[StratumVariance]) -> Spread:
    """The moments of the sum over strata; Welch-Satterthwaite degrees of freedom."""
    total = sum(p.var for p in parts)
    denom = sum(p.var * p.var / p.df for p in parts if p.df > 0 and p.var > 0)
    df = total * total / denom if denom > 0 else math.inf
    return Spread(total, sum(p.k3 for p in parts), df)


def t_quantile(df: float, level: float) -> float:
    """Student's t quantile for a two-sided ``level`` interval (normal for huge ``df``)."""
    p = 0.5 + level / 2
    if not math.isfinite(df) or df > NORMAL_DF:
        return float(scipy.special.ndtri(p))
    return float(scipy.special.stdtrit(max(df, 1.0), p))

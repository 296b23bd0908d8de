"""Random streams: the one way any part of netsim turns the run's seed into random numbers.

Every purpose (arrivals of a class, delays of a link direction, a failure's hold-timer
draw, a window of the fast engine, a Monte Carlo year...) gets its own generator from
``numpy.random.SeedSequence([seed, purpose key, *index])``, so adding a class, a link or a
failure never shifts another's draws (common random numbers) and every draw comes from the
explicit seed (architecture section 4, determinism).

Examples
--------
>>> a = stream(7, "arrivals:api", 0).random()
>>> a == stream(7, "arrivals:api", 0).random(), a == stream(7, "arrivals:api", 1).random()
(True, False)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1024)  # a handful of purposes, asked for tens of thousands of times a run
def purpose_key(purpose: str) -> int:
    """A stable 31-bit integer for a purpose name (Python's ``hash`` is salted per process)."""
    return int(sum(ord(c) * 131**i for i, c in enumerate(purpose)) % (2**31))


def stream(seed: int, purpose: str, *index: int) -> np.random.Generator:
    """An explicit seeded generator for one purpose and index tuple."""
    return np.random.default_rng(np.random.SeedSequence([seed, purpose_key(purpose), *index]))


__all__ = ["purpose_key", "stream"]

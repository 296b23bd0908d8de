"""Hypothesis settings profiles for netsim's property tests (and yours).

- ``ci`` (the default): few examples, ``derandomize=True`` so every run of the suite
  explores the same examples and a failure reproduces by re-running the test; no example
  database (nothing to carry between CI machines).
- ``nightly``: many examples, random exploration, failures saved to the example database
  under ``.hypothesis/`` and replayed first on the next run.
- ``dev``: a handful of examples for quick local iteration.

All profiles have ``deadline=None`` (the simulator's run time is not a property) and
``print_blob=True``, so a failure prints ``@reproduce_failure(...)`` to paste onto the test.

Select one with the environment variable ``HYPOTHESIS_PROFILE`` (or hypothesis's own
``--hypothesis-profile`` pytest option). In a ``conftest.py``::

    from netsim.testing.profiles import load_profile
    load_profile()
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

ENV = "HYPOTHESIS_PROFILE"
DEFAULT = "ci"
#: max_examples of each profile; tests that need fewer scale from these (see :func:`scaled`).
EXAMPLES = {"dev": 5, "ci": 20, "nightly": 400}

_SLOW_OK = (HealthCheck.too_slow, HealthCheck.data_too_large)


def register_profiles() -> None:
    """Register ``dev``, ``ci`` and ``nightly`` (idempotent)."""
    settings.register_profile(
        "dev",
        max_examples=EXAMPLES["dev"],
        derandomize=True,
        database=None,
        stateful_step_count=30,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
    )
    settings.register_profile(
        "ci",
        max_examples=EXAMPLES["ci"],
        derandomize=True,
        database=None,
        stateful_step_count=50,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
    )
    settings.register_profile(
        "nightly",
        max_examples=EXAMPLES["nightly"],
        derandomize=False,
        database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
        stateful_step_count=100,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
    )


def load_profile(name: str | None = None) -> str:
    """Register the profiles and load ``name`` (default: ``$HYPOTHESIS_PROFILE`` or ci)."""
    register_profiles()
    chosen = name or os.environ.get(ENV) or DEFAULT
    if chosen not in EXAMPLES:
        raise ValueError(
            f"unknown hypothesis profile {chosen!r} (expected one of {', '.join(EXAMPLES)})"
        )
    settings.load_profile(chosen)
    return chosen


def scaled(fraction: float) -> int:
    """``fraction`` of the current profile's max_examples, at least 1 (for costly tests)."""
    return max(1, int(settings().max_examples * fraction))


__all__ = ["DEFAULT", "ENV", "EXAMPLES", "load_profile", "register_profiles", "scaled"]

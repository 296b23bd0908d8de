"""Hypothesis profiles for the property tests (``HYPOTHESIS_PROFILE=ci|nightly|dev``)."""

from __future__ import annotations

from netsim.testing.profiles import load_profile

load_profile()

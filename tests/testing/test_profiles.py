"""The hypothesis profiles: a fast reproducible default and a thorough nightly one."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from netsim.testing.profiles import load_profile, register_profiles, scaled


def test_ci_is_fast_and_derandomized() -> None:
    register_profiles()
    ci = settings.get_profile("ci")
    assert (ci.max_examples, ci.derandomize, ci.database, ci.deadline, ci.print_blob) == (
        20,
        True,
        None,
        None,
        True,
    )


def test_nightly_is_thorough_and_keeps_failures() -> None:
    register_profiles()
    nightly = settings.get_profile("nightly")
    assert nightly.max_examples == 400
    assert nightly.derandomize is False
    assert isinstance(nightly.database, DirectoryBasedExampleDatabase)
    assert nightly.print_blob is True


def test_environment_variable_selects_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    active = os.environ.get("HYPOTHESIS_PROFILE")  # the session's profile, restored below
    try:
        monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
        assert load_profile() == "dev"
        assert settings().max_examples == 5
        assert scaled(0.5) == 2
        monkeypatch.setenv("HYPOTHESIS_PROFILE", "weekly")
        with pytest.raises(ValueError, match="unknown hypothesis profile 'weekly'"):
            load_profile()
    finally:
        load_profile(active or "ci")

"""Shared fixtures and the three test tiers (STYLE habit 13).

- unit tests: fast, tiny fixtures;
- golden tests: generated artefacts and error messages, regenerated with --update-golden;
- ``@pytest.mark.lab`` tests: need root, FRR (vtysh) and strongSwan (swanctl); skipped
  elsewhere with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def lab_missing() -> str | None:
    """Why lab tests cannot run here, or None if they can."""
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, FRR and strongSwan daemons)"
    for tool, package in (
        ("vtysh", "frr"),
        ("swanctl", "strongswan-swanctl"),
        ("ip", "iproute2"),
        ("ping", "iputils-ping"),
    ):
        if shutil.which(tool) is None:
            return f"lab tests need {tool} (apt-get install {package})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_missing()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def root() -> Path:
    return ROOT

"""The code's own checks, run with the tests so CI runs them: ruff, ruff format, mypy.

Each is the tool's verdict on the whole tree with the configuration in ``pyproject.toml``
(the style guide's rule set; every ignore there says why). A failure prints the tool's own
report.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TREES = ["netsim", "tests", "benchmarks"]


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check() -> None:
    result = run([tool("ruff"), "check", *TREES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run([tool("ruff"), "format", "--check", *TREES])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    result = run([tool("mypy"), "--strict", "netsim"])
    assert result.returncode == 0, result.stdout + result.stderr

"""Naming a deployed lab by its name or by the file it came from (no root needed).

Labs are represented by their real state files in a private state root; nothing is
deployed, which is all :func:`find_lab` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netsim.errors import UsageError
from netsim.lab.host.state import ROOT_ENV, LabState
from netsim.lab.live.lab import find_lab
from tests.lab.conftest import TINY

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "labs"))
    return tmp_path


def deployed(name: str, clab: Path) -> None:
    LabState(name, str(clab.resolve())).save()


def test_by_name_by_relative_or_absolute_file_and_the_only_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed("tiny", TINY)
    assert find_lab("tiny") == "tiny"
    assert find_lab(str(TINY)) == "tiny"
    monkeypatch.chdir(TINY.parent)
    assert find_lab("tiny.clab.yml") == "tiny"
    assert find_lab("./tiny.clab.yml") == "tiny"
    assert find_lab(None) == "tiny"


def test_two_labs_from_one_file(root: Path) -> None:
    deployed("tiny", TINY)
    deployed("tiny-b", TINY)
    with pytest.raises(UsageError, match=r"several labs were deployed from .* \(tiny, tiny-b\)"):
        find_lab(str(TINY))
    with pytest.raises(UsageError, match="several labs are deployed"):
        find_lab(None)
    assert find_lab("tiny-b") == "tiny-b"


def test_nothing_deployed_is_an_error_never_a_silent_success(root: Path) -> None:
    with pytest.raises(UsageError, match="no lab is deployed"):
        find_lab(None)
    with pytest.raises(UsageError, match=r"no lab named 'tiny' is deployed \(no lab is deployed\)"):
        find_lab("tiny")
    with pytest.raises(UsageError, match=r"no lab deployed from .*tiny\.clab\.yml is running"):
        find_lab(str(TINY))
    with pytest.raises(UsageError, match="no such file"):
        find_lab(str(root / "gone.clab.yml"))
    with pytest.raises(UsageError, match="lab name"):
        find_lab("..")


def test_a_copy_of_the_file_names_the_lab_by_the_name_inside(root: Path) -> None:
    deployed("tiny", TINY)
    copy = root / "elsewhere.clab.yml"
    copy.write_text(TINY.read_text())
    assert find_lab(str(copy)) == "tiny"

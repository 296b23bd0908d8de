"""Live tests of teardown: nothing left behind, also after a SIGKILLed deploy (root)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host.state import STATE_FILE
from tests.lab.conftest import ADR003, snapshot

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.lab

DEPLOYER = "import sys; from netsim.lab.live.deploy import deploy; deploy(sys.argv[1])"


def settle(lab_root: Path, before: dict[str, list[str]], timeout: float = 10.0) -> None:
    """Wait until the system looks as before (init reaps orphans a little later)."""
    deadline = time.monotonic() + timeout
    while snapshot(lab_root) != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert snapshot(lab_root) == before


def test_destroy_removes_everything_and_nothing_else(lab_root: Path) -> None:
    before = snapshot(lab_root)
    with Lab(ADR003) as lab:
        during = snapshot(lab_root)
        assert len(during["netns"]) == len(before["netns"]) + 8
        assert len(during["processes"]) >= len(before["processes"]) + 6 + 3 + 16
        assert set(during["links"]) == set(before["links"])  # nothing in the host namespace
        state_dir = lab.state.directory
    assert not state_dir.exists()
    settle(lab_root, before)
    assert destroy("adr003") == []  # idempotent


@pytest.mark.parametrize("stage", ["links", "daemons"])
def test_destroy_after_sigkill_of_the_deployer(lab_root: Path, stage: str) -> None:
    before = snapshot(lab_root)
    deployer = subprocess.Popen(
        [sys.executable, "-c", DEPLOYER, str(ADR003)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    state_file = lab_root / "adr003" / STATE_FILE
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = json.loads(state_file.read_text()) if state_file.exists() else {}
            names = [p["name"] for p in state.get("processes", []) if p["pid"]]
            if (stage == "links" and len(names) >= 2) or (
                stage == "daemons" and sum(n.startswith("frr.") for n in names) >= 5
            ):
                break
            time.sleep(0.01)
        else:
            pytest.fail(f"deploy never reached stage {stage}")
        os.kill(deployer.pid, signal.SIGKILL)
        deployer.wait()
        assert snapshot(lab_root) != before
    finally:
        if deployer.poll() is None:
            os.kill(deployer.pid, signal.SIGKILL)
            deployer.wait()
        removed = destroy("adr003")
    assert removed
    settle(lab_root, before)

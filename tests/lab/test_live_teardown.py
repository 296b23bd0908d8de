"""Live tests of teardown: nothing left behind, also after a SIGKILLed deploy (root).

The deployer is killed at several points of a deploy (namespaces made, links with relays,
FRR starting, FRR being configured, waiting for routing); ``destroy`` from the state file
alone must leave the machine exactly as before: namespaces, host interfaces, lab processes,
mounts, files under /etc/frr, /run/frr, /run/netns and the state root.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host.state import STATE_FILE
from tests.lab.conftest import ADR003, ROOT, snapshot

OSPF3 = ROOT / "tests" / "lab" / "data" / "ospf3.clab.yml"

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


def reached(stage: str, state: dict[str, Any]) -> bool:
    """True once a deploy's journal shows it at ``stage``."""
    started = [p["name"] for p in state.get("processes", []) if p["pid"]]
    phase = state.get("phase")
    return {
        "namespaces": len(state.get("namespaces", {})) >= 2,
        "links": len(started) >= 2,
        "daemons": sum(n.startswith("frr.") for n in started) >= 5,
        "configure": phase == "configure",
        "commands": phase in ("commands", "waiting"),
        "waiting": phase == "waiting",
    }[stage]


# Deploy phases of the ADR-003 lab (relays, charon, FRR) and of a containerlab-style OSPF
# lab (OSPF's graceful-restart file under /run/frr, hosts configured by exec).
STAGES = [
    (ADR003, "adr003", "links"),
    (ADR003, "adr003", "daemons"),
    (OSPF3, "ospf3", "namespaces"),
    (OSPF3, "ospf3", "configure"),
    (OSPF3, "ospf3", "waiting"),
]


@pytest.mark.parametrize(("clab", "name", "stage"), STAGES, ids=[f"{n}-{s}" for _, n, s in STAGES])
def test_destroy_after_sigkill_of_the_deployer(
    lab_root: Path, clab: Path, name: str, stage: str
) -> None:
    before = snapshot(lab_root)
    deployer = subprocess.Popen(
        [sys.executable, "-c", DEPLOYER, str(clab)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    state_file = lab_root / name / STATE_FILE
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                state = json.loads(state_file.read_text()) if state_file.exists() else {}
            except ValueError:
                state = {}  # caught between write and rename
            if reached(stage, state):
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
        removed = destroy(name)
    assert removed
    settle(lab_root, before)


def test_sigterm_stops_a_deploy_as_ctrl_c_does(lab_root: Path) -> None:
    # `kill PID`, `timeout 60 netsim lab deploy ...` or a cancelled CI job: the deployer
    # destroys its half-made lab and exits as interrupted (Python's default for SIGTERM left
    # namespaces, relays and daemons running until the next deploy of the name).
    before = snapshot(lab_root)
    deployer = subprocess.Popen(
        [sys.executable, "-m", "netsim", "lab", "deploy", str(OSPF3)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    state_file = lab_root / "ospf3" / STATE_FILE
    try:
        deadline = time.monotonic() + 60
        while not reached("configure", _journal(state_file)):
            assert time.monotonic() < deadline, "deploy never reached stage configure"
            time.sleep(0.01)
        os.kill(deployer.pid, signal.SIGTERM)
        _, err = deployer.communicate(timeout=30)
        assert deployer.returncode == 130
        assert b"netsim: interrupted" in err
        settle(lab_root, before)
    finally:
        if deployer.poll() is None:
            os.kill(deployer.pid, signal.SIGKILL)
            deployer.wait()
        destroy("ospf3")


def _journal(state_file: Path) -> dict[str, Any]:
    try:
        return json.loads(state_file.read_text()) if state_file.exists() else {}
    except ValueError:
        return {}  # caught between write and rename

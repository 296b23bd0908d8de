"""Live tests of labs left behind by processes that died (root).

Seen in CI: a killed test session left the namespaces of a lab behind, its state under that
session's temporary directory, and every deploy of the same file in the next session failed.
Oracle: the machine itself. After the leftover is cleared the snapshot (namespaces, host
links, lab processes, files under /etc/frr, /run/frr, /run/netns, /run/netsim/labs) is
exactly what it was before the dead process started, and a lab nobody abandoned (deployed
from the command line, no holder) is never touched, only named with the command that
removes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_INPUT, LabError, UsageError
from netsim.lab import Lab, destroy
from netsim.lab.host import linux, registry
from netsim.lab.host.state import ROOT_ENV, LabState
from netsim.lab.live.lab import find_lab
from tests.lab.conftest import ROOT, TINY, snapshot, sweep_test_leftovers
from tests.lab.test_live_teardown import settle

pytestmark = pytest.mark.lab

OSPF3 = ROOT / "tests" / "lab" / "data" / "ospf3.clab.yml"
HOLDING_SESSION = (
    "import sys, time; from netsim.lab import Lab; Lab(sys.argv[1]).__enter__(); "
    "print('up', flush=True); time.sleep(600)"
)
CLI = "import sys; from netsim.cli.main import main; sys.exit(main(sys.argv[1:]))"


def env_of(root: Path, holder: int | None = None) -> dict[str, str]:
    """The environment of another session: its own lab root, and its own holder (or none)."""
    env = {k: v for k, v in os.environ.items() if k != registry.HOLDER_ENV}
    env[ROOT_ENV] = str(root)
    if holder is not None:
        env[registry.HOLDER_ENV] = str(holder)
    return env


def namespaces_of(lab: str) -> list[str]:
    return sorted(n for n in os.listdir(linux.NETNS_DIR) if n.startswith(f"clab-{lab}-"))


def cli(root: Path, *argv: str, holder: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *argv],
        env=env_of(root, holder),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_lab_of_a_killed_session_is_cleared_by_the_next_deploy(
    lab_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(lab_root)
    old_root = tmp_path / "killed-session"
    session = subprocess.Popen(
        [sys.executable, "-c", HOLDING_SESSION, str(OSPF3)],
        env=env_of(old_root),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert session.stdout is not None
        assert session.stdout.readline().strip() == "up"
    finally:
        os.kill(session.pid, signal.SIGKILL)
        session.wait()
    assert namespaces_of("ospf3")  # the killed session's lab is still there
    assert (old_root / "ospf3").is_dir()
    with Lab(OSPF3) as lab:  # this session, another root: the leftover goes first
        assert lab.status().phase == "up"
        assert not (old_root / "ospf3").exists()
    said = capsys.readouterr().err
    assert f"removed the leftovers of lab ospf3 (pid {session.pid} is gone" in said
    settle(lab_root, before)


def test_session_sweep_removes_dead_sessions_labs_only(lab_root: Path, tmp_path: Path) -> None:
    before = snapshot(lab_root)
    sessions = lab_root.parent.parent  # every pytest session's directory of this user
    holder = subprocess.Popen(["sleep", "600"])  # stands for a test session that will die
    test_root, user_root = tmp_path / "dead-session", tmp_path / "user"
    try:
        held = cli(test_root, "lab", "deploy", str(TINY), "--name", "tinyheld", holder=holder.pid)
        assert held.returncode == 0, held.stderr
        user = cli(user_root, "lab", "deploy", str(TINY))  # a user's lab: no holder
        assert user.returncode == 0, user.stderr
        assert sweep_test_leftovers(sessions) == []  # the holder is alive: nothing goes
        holder.kill()
        holder.wait()
        removed = sweep_test_leftovers(sessions)
        assert any("clab-tinyheld-r1" in item for item in removed)
        assert namespaces_of("tinyheld") == []
        assert namespaces_of("tiny") == ["clab-tiny-h1", "clab-tiny-h2", "clab-tiny-r1"]

        # Deploying the same name under this session's root names the exact command.
        with pytest.raises(LabError, match=rf"NETSIM_LAB_ROOT={user_root} netsim lab destroy"):
            Lab(TINY).__enter__()
        with pytest.raises(UsageError, match=rf"NETSIM_LAB_ROOT={user_root} netsim lab destroy"):
            find_lab("tiny")
        assert main(["lab", "destroy", "tiny"]) == EXIT_INPUT  # not under our root
        assert namespaces_of("tiny")
        gone = cli(user_root, "lab", "destroy", "tiny")  # the command the message names
        assert gone.returncode == 0, gone.stderr
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for name in ("tinyheld", "tiny"):
            state = LabState.registered(name)
            if state is not None and state.root != str(lab_root):
                cli(Path(state.root), "lab", "destroy", name)  # only after a failure above
        destroy("tiny")
    settle(lab_root, before)

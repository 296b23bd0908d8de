"""Lab state bookkeeping without a lab: socket paths short enough, and who abandoned a lab.

Oracles: the kernel (a unix socket really binds and connects at the short path, which the
107-byte ``sun_path`` refuses at the long one) and the process table (a process we started and
reaped is dead, our own process is alive).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from netsim.lab.host import registry, state
from netsim.lab.host.state import SUN_PATH_MAX, LabState
from netsim.lab.host.teardown import destroy_state


def test_a_deep_lab_directory_gets_a_short_socket_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_dir = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))  # as short as /run/netsim/s
    monkeypatch.setattr(state, "SHORT_DIR", short_dir)
    root = tmp_path / ("deep-" * 12)
    lab = LabState("generated-20-sites-2-hubs-ring", "x.clab.yml", root=str(root))
    long_path = lab.directory / "links" / "gcp-us-central1-mcr-dallas.sock"
    long_path.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as sock, pytest.raises(OSError, match="too long"):
        sock.bind(str(long_path))
    short = lab.short(long_path)
    assert len(os.fsencode(short)) <= SUN_PATH_MAX
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(short))
        server.listen()
        assert long_path.exists()  # the same file, reached through the lab's short name
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(short))
    assert lab.short(Path("/run/x.sock")) == Path("/run/x.sock")  # short enough already
    assert str(short.parent.parent) in lab.paths  # journaled, so destroy removes it
    destroy_state(lab)
    assert not short.parent.parent.is_symlink()
    assert not lab.directory.exists()
    short_dir.rmdir()  # empty again


def test_abandoned_by_holder_or_by_a_deploy_that_died() -> None:
    me = registry.identity(os.getpid())
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = [gone.pid, 1]
    assert registry.abandoned({"holder": dead, "deployer": me, "phase": "daemons"})
    assert not registry.abandoned({"holder": me, "deployer": dead, "phase": "up"})
    assert registry.abandoned({"deployer": dead, "phase": "links"})
    assert not registry.abandoned({"deployer": dead, "phase": "up"})  # a CLI lab: never
    assert not registry.abandoned({"deployer": me, "phase": "waiting"})  # still deploying


def test_forgetting_a_lab_removes_a_torn_registry_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployer killed between writing its registry copy and renaming it (the CI failure
    of ``test_destroy_after_sigkill_of_the_deployer``) leaves ``LAB.tmp``; destroy's
    ``forget`` removes it with the copy, and leaves other labs' files alone."""
    monkeypatch.setenv(registry.DIR_ENV, str(tmp_path))
    registry.mirror("lab1", {"root": "/r"})
    (tmp_path / "lab1.tmp").write_text('{"root": "/r", "pha')  # torn
    registry.mirror("lab2", {"root": "/r"})
    registry.forget("lab1", "/r")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab2.json"]

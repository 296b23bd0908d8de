"""``lab status`` of a lab that is not up: a deploy under way, or one killed half-way (no root).

The kernels are replaced by canned ``ip -j`` answers and the lab by a real state file in a
private root, so what is checked is how :func:`lab_status` reads a lab's state, not FRR.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from netsim.lab.clab.read import load_clab
from netsim.lab.host.state import ROOT_ENV, LabState
from netsim.lab.live import status
from tests.lab.conftest import ADR003, ROOT

if TYPE_CHECKING:
    from pathlib import Path

OSPF3 = ROOT / "tests" / "lab" / "data" / "ospf3.clab.yml"


@pytest.fixture
def no_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private state root, and namespaces that answer nothing (none exist yet)."""
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "labs"))

    def ip(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(["ip", "-n", netns, *args], 1, "", "")

    monkeypatch.setattr(status.netns, "ip", ip)


@pytest.mark.parametrize("phase", ["namespaces", "links"])
def test_a_lab_whose_daemons_have_not_started_has_no_sessions_yet(
    no_kernel: None, phase: str
) -> None:
    # Asked from another terminal while the deploy makes links, or after a SIGKILL of the
    # deployer there: strongSwan's swanctl.conf is not written yet (was FileNotFoundError).
    topology = load_clab(ADR003)
    state = LabState("adr003", str(ADR003), phase=phase)
    got = status.lab_status(topology, state)
    assert (got.phase, got.bgp, got.bfd, got.sas) == (phase, (), (), ())
    assert {n.name for n in got.nodes} == set(topology.nodes)


def test_hosts_addressed_by_exec_before_their_commands_ran(no_kernel: None) -> None:
    # ospf3's hosts get their addresses from exec: before it ran, no path has left its
    # source (was KeyError: PC1 has no IPv4 address on any link).
    got = status.lab_status(load_clab(OSPF3), LabState("ospf3", str(OSPF3), phase="links"))
    assert len(got.paths) == 6
    assert all(not p.complete and p.nodes == (p.src,) for p in got.paths)

"""``lab status`` of a lab that is not up: a deploy under way, or one killed half-way (no root).

The kernels are replaced by canned ``ip -j`` answers and the lab by a real state file in a
private root, so what is checked is how :func:`lab_status` reads a lab's state, not FRR.
"""

from __future__ import annotations

import json
import os
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


def test_a_failed_node_is_shown_failed_not_up(
    no_kernel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``lab fail mcr`` keeps mcr's namespace (its links are down, its daemons stopped): the
    # status said "up" because the namespace exists. A failed link leaves its nodes up.
    topology = load_clab(ADR003)
    monkeypatch.setattr(status.linux, "netns_path", lambda ns: ROOT)  # every namespace exists
    state = LabState("adr003", str(ADR003), phase="links")
    state.faults = [
        {"kind": "link-down", "target": "mcr", "mode": "down", "at": 1.0, "details": {}},
        {"kind": "daemons", "target": "mcr", "mode": "down", "at": 1.0, "details": {}},
        {"kind": "nft", "target": "aws-mcr", "mode": "blackhole", "at": 2.0, "details": {}},
    ]
    got = status.lab_status(topology, state)
    states = {n.name: n.state for n in got.nodes}
    assert states.pop("mcr") == "FAILED"
    assert set(states.values()) == {"up"}
    assert "node mcr          FAILED" in got.format()
    assert json.loads(got.to_json())["nodes"][0]["failed"] in (True, False)


def test_hosts_addressed_by_exec_before_their_commands_ran(no_kernel: None) -> None:
    # ospf3's hosts get their addresses from exec: before it ran, no path has left its
    # source (was KeyError: PC1 has no IPv4 address on any link).
    got = status.lab_status(load_clab(OSPF3), LabState("ospf3", str(OSPF3), phase="links"))
    assert len(got.paths) == 6
    assert all(not p.complete and p.nodes == (p.src,) for p in got.paths)


UNNUMBERED = """\
name: unnumbered
topology:
  defaults: {kind: linux}
  nodes:
    r1: {}
    r2: {}
    h1: {labels: {netsim-role: host}}
    h2: {labels: {netsim-role: host}}
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
    - endpoints: ["h1:eth1", "r1:eth2"]
      ipv4: [192.168.1.2/24, 192.168.1.1/24]
    - endpoints: ["h2:eth1", "r2:eth2"]
      ipv4: [192.168.2.2/24, 192.168.2.1/24]
"""
#: ``ip -j route get 192.168.2.2`` in each node, as the kernel answers with BGP unnumbered
#: between r1 and r2 (an IPv4 route over an IPv6 link-local next hop).
ROUTES = {
    "h1": '[{"dst":"192.168.2.2","gateway":"192.168.1.1","dev":"eth1"}]',
    "r1": '[{"dst":"192.168.2.2","via":{"family":"inet6","host":"fe80::2"},"dev":"eth1"}]',
    "r2": '[{"dst":"192.168.2.2","dev":"eth2"}]',
}
ADDRESSES = {"h1": "192.168.1.2", "r1": "192.168.1.1", "r2": "192.168.2.1", "h2": "192.168.2.2"}


def test_a_path_over_an_ipv6_link_local_next_hop_goes_to_the_link_s_other_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # containerlab's FRR labs often peer unnumbered (neighbor eth1 interface): the path
    # h1 -> h2 crosses r2, which the trace skipped (r1's route has no IPv4 gateway).
    clab = tmp_path / "unnumbered.clab.yml"
    clab.write_text(UNNUMBERED)
    topology = load_clab(clab)

    def ip(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        node = netns.removeprefix("clab-unnumbered-")
        if "addr" in args:
            info = [{"family": "inet", "local": ADDRESSES[node], "scope": "global"}]
            out = f'[{{"ifname":"eth1","addr_info":{json.dumps(info)}}}]'
        else:
            out = ROUTES[node]
        return subprocess.CompletedProcess(["ip", "-n", netns, *args], 0, out, "")

    monkeypatch.setattr(status.netns, "ip", ip)
    path = status.host_paths(topology)[0]
    assert (path.src, path.dst, path.complete) == ("h1", "h2", True)
    assert path.nodes == ("h1", "r1", "r2", "h2")
    assert path.via == ("h1-r1", "r1-r2", "h2-r2")


def test_a_lab_whose_deployer_died_says_so(no_kernel: None) -> None:
    """A deploy SIGKILLed while waiting leaves phase "waiting": status says the deployer is
    gone and how to remove the lab, instead of a lab that seems still on its way up."""
    from netsim.lab.host import registry

    dead = subprocess.Popen(["true"])
    dead.wait()
    topology = load_clab(ADR003)
    state = LabState("adr003", str(ADR003), phase="waiting")
    state.deployer = registry.identity(dead.pid) or [dead.pid, 1]
    got = status.lab_status(topology, state)
    assert got.phase.startswith("waiting (abandoned: its deployer, pid ")
    assert "netsim lab destroy adr003" in got.phase
    alive = LabState("adr003", str(ADR003), phase="waiting")
    alive.deployer = registry.identity(os.getpid())
    assert status.lab_status(topology, alive).phase == "waiting"

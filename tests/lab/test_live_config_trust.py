"""A configuration FRR does not fully take is bad input: exit 2, the line named, nothing left.

Before anything starts, ``vtysh --dryrun`` checks every frr.conf and netsim checks that every
section has its daemon and every enabled daemon exists on this host; after the daemons
start, what ``vtysh -b`` says while applying the file is read, because FRR also refuses lines
the dry run lets through (a route-map on a neighbour that has no remote-as). The oracle is
real FRR 8.4 on a real lab; each test compares the machine before and after (namespaces,
interfaces, processes, mounts, files under /run, /etc/frr and the state root).
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_INPUT
from tests.lab.conftest import ROOT, snapshot

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.lab

DATA = ROOT / "tests" / "lab" / "data"


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A private copy of the OSPF lab to break."""
    shutil.copy(DATA / "ospf3.clab.yml", tmp_path)
    shutil.copytree(DATA / "ospf3", tmp_path / "ospf3")
    return tmp_path / "ospf3.clab.yml"


def deploy_fails(lab_root: Path, clab: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Deploy ``clab``; it must exit 2 and leave the machine as it was. The error text."""
    before = snapshot(lab_root)
    assert main(["lab", "deploy", str(clab), "--name", "trust"]) == EXIT_INPUT
    assert snapshot(lab_root) == before
    assert not (lab_root / "trust").exists()
    return capsys.readouterr().err


def append(path: Path, text: str) -> int:
    """Append ``text`` to a file; the line number of its first line."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, *text.splitlines()]) + "\n")
    return len(lines) + 1


def test_a_line_the_dry_run_refuses(
    lab_root: Path, lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = lab_copy.parent / "ospf3" / "r2" / "frr.conf"
    line = append(conf, "router ospf\n area 0.0.0.0 bogus-option\n")
    err = deploy_fails(lab_root, lab_copy, capsys)
    assert f"{conf}:{line + 1}: r2: FRR rejects `area 0.0.0.0 bogus-option`: Unknown command" in err


def test_a_line_the_running_daemon_refuses(
    lab_root: Path, lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    daemons = lab_copy.parent / "ospf3" / "daemons"
    daemons.write_text(daemons.read_text().replace("bgpd=no", "bgpd=yes"))
    conf = lab_copy.parent / "ospf3" / "r1" / "frr.conf"
    # vtysh --dryrun lets this through; bgpd refuses it: 192.168.9.9 has no remote-as
    line = append(
        conf,
        "router bgp 65001\n neighbor 192.168.1.2 remote-as 65002\n"
        " neighbor 192.168.9.9 route-map NOPE in\n",
    )
    err = deploy_fails(lab_root, lab_copy, capsys)
    assert f"{conf}:{line + 2}: r1: FRR rejects `neighbor 192.168.9.9 route-map NOPE in`" in err
    assert "Specify remote-as or peer-group commands first" in err


def test_a_section_without_its_daemon_and_a_daemon_this_host_lacks(
    lab_root: Path, lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = lab_copy.parent / "ospf3" / "r3" / "frr.conf"
    line = append(conf, "router bgp 65003\n")
    daemons = lab_copy.parent / "ospf3" / "daemons"
    daemons.write_text(daemons.read_text() + "pim6d=yes\n")
    err = deploy_fails(lab_root, lab_copy, capsys)
    assert f"{conf}:{line}: r3: `router bgp 65003` configures bgpd" in err
    assert "the daemons file enables pim6d, which FRR 8.4" in err


def test_kinds_netsim_cannot_run(
    lab_root: Path, lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lab_copy.read_text().replace(
        "    r3:\n      group: routers", "    r3:\n      kind: nokia_srlinux"
    )
    lab_copy.write_text(text)
    err = deploy_fails(lab_root, lab_copy, capsys)
    assert "kinds netsim cannot run (nokia_srlinux: r3)" in err


def test_a_failing_command_is_named_with_its_line(
    lab_root: Path, lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Like every other problem of a file, `file:line: key: message` (the line was 0).
    text = lab_copy.read_text()
    good = "ip route add 192.168.0.0/16 via 192.168.13.1 dev eth1"
    bad = "ip route add 192.168.0.0/16 via 192.168.99.1 dev eth1"
    lab_copy.write_text(text.replace(good, bad))
    line = text.splitlines().index(f"        - {good}") + 1
    err = deploy_fails(lab_root, lab_copy, capsys)
    assert f"{lab_copy}:{line}: topology.nodes.PC3.exec[1]: exec command '{bad}' failed" in err

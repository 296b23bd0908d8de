"""Fixtures of the lab tests: an isolated state root, a deployed ADR-003 lab, snapshots.

Live fixtures tear down in their finalizers (the :class:`~netsim.lab.Lab` context manager,
then an unconditional ``destroy`` in case the deploy itself failed half-way).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host import linux
from netsim.lab.host.state import ROOT_ENV

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent.parent
ADR003 = ROOT / "topologies" / "adr003.clab.yml"
TINY = Path(__file__).resolve().parent / "data" / "tiny.clab.yml"
#: Directories outside a lab's own directory that a deploy writes into.
WATCHED_DIRS = (Path("/etc/frr"), Path("/run/frr"), Path("/run/netns"), Path("/var/lib/netsim"))


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep lab state of the tests away from the default /var/lib/netsim/lab."""
    root = tmp_path_factory.mktemp("labroot")
    old = os.environ.get(ROOT_ENV)
    os.environ[ROOT_ENV] = str(root)
    yield root
    if old is None:
        os.environ.pop(ROOT_ENV, None)
    else:
        os.environ[ROOT_ENV] = old


@pytest.fixture(scope="module")
def adr003(lab_root: Path) -> Iterator[Lab]:
    """The ADR-003 lab, deployed once per module and always destroyed."""
    try:
        with Lab(ADR003) as lab:
            yield lab
    finally:
        destroy("adr003")


def snapshot(lab_root: Path) -> dict[str, list[str]]:
    """What exists outside lab directories: namespaces, host links, processes, mounts, files."""
    links = json.loads(
        subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout
    )
    lab_procs = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or linux.proc_start_time(int(entry.name)) is None:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(
            word in cmdline
            for word in (
                "/usr/lib/frr/",
                "/usr/lib/ipsec/charon",
                "netsim.lab.host.relay",
                "netsim.lab.live.probes",
            )
        ):
            lab_procs.append(f"{entry.name} {cmdline}")
    files = []
    for directory in WATCHED_DIRS:
        if directory.is_dir():
            files += [str(p) for p in directory.iterdir()]
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return {
        "netns": sorted(os.listdir(linux.NETNS_DIR)) if linux.NETNS_DIR.is_dir() else [],
        "links": sorted(link["ifname"] for link in links),
        "processes": sorted(lab_procs),
        "mounts": sorted(mounts),
        "files": sorted(files),
    }

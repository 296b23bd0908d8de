"""A templated containerlab file, deployed for real (root): the ring of tests/lab/data.

``ring.clab.gotmpl`` is a Go template as containerlab renders it (``ring.clab_vars.yaml``
gives four routers; ``clab_templates/ospf.gotmpl`` the OSPF interface settings). The oracle
is what the rendered file does under containerlab: eight namespaces, the routers configured
by their ``vtysh`` commands into one OSPF area, every host reaching every other over the
ring, the shortest way round; destroying it leaves nothing behind.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_OK
from netsim.lab import Lab, destroy
from tests.lab.conftest import ROOT, deployed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.lab

RING = ROOT / "tests" / "lab" / "data" / "ring.clab.gotmpl"
HOSTS = ("PC1", "PC2", "PC3", "PC4")


@pytest.fixture(scope="module")
def ring(lab_root: Path) -> Iterator[Lab]:
    yield from deployed(RING, "ring")


def test_the_rendered_ring_deploys_and_every_host_reaches_every_other(
    ring: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    print(f"\nring deployed in {ring.deploy_seconds:.1f} s")
    assert sorted(ring.topology.nodes) == sorted([*HOSTS, "r1", "r2", "r3", "r4"])
    capsys.readouterr()
    command = ["vtysh", "-c", "show ip ospf neighbor"]
    assert main(["lab", "exec", "--lab", "ring", "--json", "r1", *command]) == EXIT_OK
    ospf = json.loads(capsys.readouterr().out)["stdout"]
    assert ospf.count("Full") == 2, ospf  # its two ring neighbours
    runs = {
        (a, b): ring.start_probe(a, b, rate=50, duration=1.0)
        for a, b in itertools.permutations(HOSTS, 2)
    }
    got = {pair: float((~run.wait().lost).mean()) for pair, run in runs.items()}
    assert got == dict.fromkeys(got, 1.0), got
    # Neighbours on the ring are one hop apart, the shortest way round.
    assert ring.status().path("PC1", "PC2").nodes == ("PC1", "r1", "r2", "PC2")
    assert ring.status().path("PC1", "PC4").nodes == ("PC1", "r1", "r4", "PC4")


def test_a_ring_deployed_with_vars_keeps_them_for_status_and_destroy(
    lab_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``netsim lab deploy ring.clab.gotmpl --vars three.yaml`` (as ``clab deploy --vars``)
    deploys the three-router ring the variables describe, and the lab's later commands
    (status, exec, destroy) read the file with the same variables, not the default ones."""
    three = tmp_path / "three.yaml"
    three.write_text("name: ring3\nprefix: r\nrouters: 3\nhosts: {net: 192.168.0.0/16}\n")
    try:
        assert main(["lab", "deploy", str(RING), "--vars", str(three), "--quiet"]) == EXIT_OK
        capsys.readouterr()
        assert main(["lab", "status", "ring3", "--json"]) == EXIT_OK
        status = json.loads(capsys.readouterr().out)
        assert sorted(n["name"] for n in status["nodes"]) == ["PC1", "PC2", "PC3", "r1", "r2", "r3"]
        paths = {(p["src"], p["dst"]): p["nodes"] for p in status["paths"]}
        assert paths["PC1", "PC3"] == ["PC1", "r1", "r3", "PC3"]  # the ring closes at 3
        assert main(["lab", "destroy", "ring3", "--quiet"]) == EXIT_OK
    finally:
        destroy("ring3")

"""A containerlab user's own file, deployed for real (root): groups, exec, OSPF, parallel links.

``tests/lab/data/ospf3.clab.yml`` is written the way containerlab's own examples are
(lab-examples/frr01): routers and hosts from groups, routers' addresses in frr.conf, hosts
configured by ``exec`` (one through ``sh -c`` and the node's env), no ``vars`` and no
``ipv4`` on any link, two parallel links between r1 and r2. The oracle is what the same
file does under containerlab on a Docker host: every host reaches every other (routers
forward, as a Docker host's containers do), OSPF routes around a cut link, and a second lab
from the same file (``--name``) runs beside the first without touching it.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_INPUT, EXIT_OK
from netsim.lab import Lab
from netsim.lab.host import netns
from tests.lab.conftest import ROOT, deployed, snapshot, stall_rate, unmeasurable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.lab

OSPF3 = ROOT / "tests" / "lab" / "data" / "ospf3.clab.yml"
HOSTS = ("PC1", "PC2", "PC3")
REROUTE_S = 10.0  # carrier loss: OSPF sees the interface go down at once
#: Back after a restore: the adjacency forms within a dead interval (4 s), r1 and r3 may
#: originate their router-LSAs again only 5 s after they did for the cut (MinLSInterval,
#: RFC 2328 appendix B; FRR's `timers throttle lsa all`), and FRR's SPF hold may have grown
#: to its 5 s maximum (`timers throttle spf 0 50 5000`): 14 s at most.
RESTORE_S = 15.0


@pytest.fixture(scope="module")
def ospf3(lab_root: Path) -> Iterator[Lab]:
    yield from deployed(OSPF3, "ospf3")


def reachable(lab: Lab) -> dict[tuple[str, str], float]:
    """Fraction of 1 s of probes each ordered pair of hosts got through."""
    runs = {
        (a, b): lab.start_probe(a, b, rate=50, duration=1.0)
        for a, b in itertools.permutations(HOSTS, 2)
    }
    return {pair: float((~run.wait().lost).mean()) for pair, run in runs.items()}


def path_of(lab: Lab, src: str, dst: str) -> tuple[str, ...]:
    return lab.status().path(src, dst).nodes


def wait_for(
    lab: Lab, src: str, dst: str, nodes: tuple[str, ...], within: float = REROUTE_S
) -> float:
    """Seconds until ``src``'s path to ``dst`` is ``nodes``; fails after ``within`` (skips
    if the host stalled too often meanwhile: OSPF's timers ran slow with it)."""
    start, wall = time.monotonic(), time.time()
    while path_of(lab, src, dst) != nodes:
        if time.monotonic() - start >= within:
            what = f"{src} -> {dst} not via {' > '.join(nodes)} after {within:.0f} s"
            unmeasurable(what, stall_rate(lab, wall))
            raise AssertionError(f"{what}: {lab.status().paths}")
        time.sleep(0.2)
    return time.monotonic() - start


def test_every_host_reaches_every_other_through_forwarding_routers(ospf3: Lab) -> None:
    print(f"\nospf3 deployed in {ospf3.deploy_seconds:.1f} s")
    for node in ("r1", "r2", "r3"):
        out = netns.run(["cat", "/proc/sys/net/ipv4/ip_forward"], ospf3.namespace(node))
        assert out.stdout.strip() == "1"  # as on a Docker host
    got = reachable(ospf3)
    assert got == dict.fromkeys(got, 1.0), got
    assert path_of(ospf3, "PC1", "PC3") == ("PC1", "r1", "r3", "PC3")


def test_a_cut_link_is_routed_around_and_back(ospf3: Lab) -> None:
    changes = ospf3.fail_link("r1-r3", "down")
    try:
        took = wait_for(ospf3, "PC1", "PC3", ("PC1", "r1", "r2", "r3", "PC3"))
        print(f"\nrerouted around r1-r3 in {took:.2f} s")
        got = reachable(ospf3)
        assert got == dict.fromkeys(got, 1.0), got
    finally:
        ospf3.restore(changes)
    took = wait_for(ospf3, "PC1", "PC3", ("PC1", "r1", "r3", "PC3"), within=RESTORE_S)
    print(f"back through r1-r3 {took:.2f} s after the restore")


def test_one_of_two_parallel_links_cut(ospf3: Lab) -> None:
    before = ospf3.status().path("PC1", "PC2")
    assert before.nodes == ("PC1", "r1", "r2", "PC2")
    # fail the parallel link the path uses, named by its interface
    used = next(v for v in before.via if v.startswith("r1:"))
    changes = ospf3.fail_link(used.split("-")[0], "down")
    try:
        deadline = time.monotonic() + REROUTE_S
        while ospf3.status().path("PC1", "PC2").via == before.via:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        after = ospf3.status().path("PC1", "PC2")
        assert after.nodes == before.nodes  # still the direct way, over the other link
        assert reachable(ospf3)[("PC1", "PC2")] == 1.0
    finally:
        ospf3.restore(changes)


def test_a_second_lab_from_the_same_file_runs_beside_the_first(
    ospf3: Lab, lab_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(lab_root)
    try:
        assert main(["lab", "deploy", str(OSPF3), "--name", "ospf3-b"]) == EXIT_OK
        assert "lab ospf3-b is up" in capsys.readouterr().out
        spaces = snapshot(lab_root)["netns"]
        assert {f"clab-ospf3-b-{n}" for n in ("r1", "PC1")} <= set(spaces)
        assert {f"clab-ospf3-{n}" for n in ("r1", "PC1")} <= set(spaces)
        # by file is ambiguous now: an error naming both, never a guess
        assert main(["lab", "status", str(OSPF3)]) == EXIT_INPUT
        assert "(ospf3, ospf3-b)" in capsys.readouterr().err
        assert main(["lab", "status", "ospf3-b", "--json"]) == EXIT_OK
        assert '"phase": "up"' in capsys.readouterr().out
        with Lab.attach("ospf3-b") as second:
            got = reachable(second)
            assert got == dict.fromkeys(got, 1.0), got
    finally:
        assert main(["lab", "destroy", "ospf3-b"]) == EXIT_OK
    assert snapshot(lab_root) == before  # the first lab is untouched, the second gone
    assert reachable(ospf3)[("PC1", "PC3")] == 1.0
    assert main(["lab", "status", str(OSPF3)]) == EXIT_OK  # one lab from the file again

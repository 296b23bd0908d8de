"""A containerlab file whose routers run ospf6d and isisd only (root): ready means routed.

Readiness used to read BGP, BFD and OSPFv2 alone, and IPv4 routes: a lab whose routing is
OSPFv3 (IPv6) and IS-IS was "up" about 4 s after FRR started, before any adjacency, and
the hosts could not reach each other for another 10-15 s. The oracle is what a user checks
first after ``deploy`` returns: each host pings the other, over IPv6 (OSPFv3 routes) and
IPv4 (IS-IS routes), at once and without retrying.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_INPUT
from netsim.lab import Lab, destroy
from netsim.lab.host import netns

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [
    pytest.mark.lab,
]

DAEMONS = "zebra=yes\nospf6d=yes\nisisd=yes\nstaticd=yes\nvtysh_enable=yes\n"
CLAB = """\
name: igp6
topology:
  kinds:
    linux:
      image: quay.io/frrouting/frr:8.4.4
  nodes:
    r1:
      kind: linux
      binds: [r1.conf:/etc/frr/frr.conf, daemons:/etc/frr/daemons]
    r2:
      kind: linux
      binds: [r2.conf:/etc/frr/frr.conf, daemons:/etc/frr/daemons]
    h1:
      kind: linux
      hostname: pc1
      exec:
        - ip addr add 10.1.0.2/24 dev eth1
        - ip route add default via 10.1.0.1
        - ip -6 addr add 2001:db8:1::2/64 dev eth1 nodad
        - ip -6 route add default via 2001:db8:1::1
    h2:
      kind: linux
      exec:
        - ip addr add 10.2.0.2/24 dev eth1
        - ip route add default via 10.2.0.1
        - ip -6 addr add 2001:db8:2::2/64 dev eth1 nodad
        - ip -6 route add default via 2001:db8:2::1
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
    - endpoints: ["h1:eth1", "r1:eth2"]
    - endpoints: ["h2:eth1", "r2:eth2"]
"""


def router(n: int) -> str:
    return f"""\
hostname r{n}
ipv6 forwarding
interface eth1
 ip address 10.12.0.{n}/24
 ipv6 address 2001:db8:12::{n}/64
 ip router isis core
 isis network point-to-point
 ipv6 ospf6 area 0
 ipv6 ospf6 network point-to-point
interface eth2
 ip address 10.{n}.0.1/24
 ipv6 address 2001:db8:{n}::1/64
 ip router isis core
 isis passive
 ipv6 ospf6 area 0
 ipv6 ospf6 passive
router ospf6
 ospf6 router-id 10.0.0.{n}
router isis core
 net 49.0001.0000.0000.000{n}.00
 is-type level-2-only
"""


@pytest.fixture(scope="module")
def igp6(tmp_path_factory: pytest.TempPathFactory, lab_root: Path) -> Iterator[Lab]:
    """The lab, deployed once for the module; the first test times its readiness."""
    where = tmp_path_factory.mktemp("igp6")
    (where / "daemons").write_text(DAEMONS)
    for n in (1, 2):
        (where / f"r{n}.conf").write_text(router(n))
    (where / "igp6.clab.yml").write_text(CLAB)
    try:
        with Lab(where / "igp6.clab.yml") as lab:
            yield lab
    finally:
        destroy("igp6")


def ping(lab: Lab, src: str, address: str) -> bool:
    argv = ["ping", "-c1", "-W2", address]
    return netns.run(argv, lab.namespace(src), check=False).returncode == 0


def test_deploy_returns_once_ospfv3_and_isis_have_routed(igp6: Lab) -> None:
    print(f"\nigp6 deployed in {igp6.deploy_seconds:.1f} s")
    # no retry: "up" means the hosts reach each other now
    assert ping(igp6, "h1", "2001:db8:2::2"), igp6.status().format()  # OSPFv3
    assert ping(igp6, "h2", "10.1.0.2"), igp6.status().format()  # IS-IS


def test_lab_exec_runs_in_the_node_and_vtysh_reaches_its_own_frr(
    igp6: Lab, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "exec", "--lab", "igp6", "r2", "vtysh", "-c", "show running-config"]) == 0
    # r2's own daemons, not r1's nor the host's
    assert "net 49.0001.0000.0000.0002.00" in capfd.readouterr().out
    assert main(["lab", "exec", "h1", "ip", "-6", "route", "get", "2001:db8:2::2"]) == 0
    assert "via 2001:db8:1::1" in capfd.readouterr().out
    # the command's own status is the exit status
    assert main(["lab", "exec", "h1", "ping", "-c1", "-W1", "192.0.2.1"]) == 1
    capfd.readouterr()
    # --json: one document with the command's status and output; --quiet: no stdout
    assert main(["lab", "exec", "--json", "h2", "sh", "-c", "echo out; echo err >&2; exit 3"]) == 3
    doc = json.loads(capfd.readouterr().out)
    assert (doc["node"], doc["exit_status"], doc["stdout"], doc["stderr"]) == (
        "h2",
        3,
        "out\n",
        "err\n",
    )
    assert main(["lab", "exec", "--quiet", "h2", "echo", "out"]) == 0
    assert capfd.readouterr().out == ""
    assert main(["lab", "exec", "nosuch", "true"]) == EXIT_INPUT
    assert "lab igp6 has no node 'nosuch' (nodes: r1, r2, h1, h2)" in capfd.readouterr().err


def test_each_node_has_its_own_hostname_as_in_its_container(
    igp6: Lab, capfd: pytest.CaptureFixture[str]
) -> None:
    """A container's hostname is its node's name, and FRR names its peers by it; with the
    host's hostname every router was "vm" (IS-IS adjacencies, BGP's hostname capability)."""
    assert main(["lab", "exec", "r1", "vtysh", "-c", "show isis neighbor"]) == 0
    out = capfd.readouterr().out
    assert " r2 " in out, out
    assert " vm " not in out
    assert main(["lab", "exec", "h2", "hostname"]) == 0
    assert capfd.readouterr().out.strip() == "h2"
    assert main(["lab", "exec", "h1", "hostname"]) == 0  # the file's `hostname: pc1`
    assert capfd.readouterr().out.strip() == "pc1"


V6ONLY = """\
name: v6only
topology:
  nodes:
    r1:
      kind: linux
      sysctls: {net.ipv6.conf.all.forwarding: 1}
      exec:
        - ip -6 addr add 2001:db8:1::1/64 dev eth1 nodad
        - ip -6 addr add 2001:db8:2::1/64 dev eth2 nodad
    h1:
      kind: linux
      labels: {netsim-role: host}
      exec:
        - ip -6 addr add 2001:db8:1::2/64 dev eth1 nodad
        - ip -6 route add default via 2001:db8:1::1
    h2:
      kind: linux
      labels: {netsim-role: host}
      exec:
        - ip -6 addr add 2001:db8:2::2/64 dev eth1 nodad
        - ip -6 route add default via 2001:db8:2::1
  links:
    - endpoints: ["h1:eth1", "r1:eth1"]
    - endpoints: ["h2:eth1", "r1:eth2"]
"""


def test_status_traces_the_paths_of_an_ipv6_only_lab(tmp_path: Path, lab_root: Path) -> None:
    """Paths were traced over IPv4 only: every path of an IPv6-only lab was `h1 > ?`."""
    (tmp_path / "v6only.clab.yml").write_text(V6ONLY)
    try:
        with Lab(tmp_path / "v6only.clab.yml") as lab:
            path = lab.status().path("h1", "h2")
            assert path.nodes == ("h1", "r1", "h2"), path
            assert path.complete
    finally:
        destroy("v6only")

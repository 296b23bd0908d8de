"""A containerlab file whose routers run ospf6d and isisd only (root): ready means routed.

Readiness used to read BGP, BFD and OSPFv2 alone, and IPv4 routes: a lab whose routing is
OSPFv3 (IPv6) and IS-IS was "up" about 4 s after FRR started, before any adjacency, and
the hosts could not reach each other for another 10-15 s. The oracle is what a user checks
first after ``deploy`` returns: each host pings the other, over IPv6 (OSPFv3 routes) and
IPv4 (IS-IS routes), at once and without retrying.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host import netns

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(shutil.which("ping") is None, reason="needs ping (iputils-ping)"),
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


@pytest.fixture
def igp6(tmp_path: Path, lab_root: Path) -> Path:
    (tmp_path / "daemons").write_text(DAEMONS)
    for n in (1, 2):
        (tmp_path / f"r{n}.conf").write_text(router(n))
    (tmp_path / "igp6.clab.yml").write_text(CLAB)
    return tmp_path / "igp6.clab.yml"


def ping(lab: Lab, src: str, address: str) -> bool:
    argv = ["ping", "-c1", "-W2", address]
    return netns.run(argv, lab.namespace(src), check=False).returncode == 0


def test_deploy_returns_once_ospfv3_and_isis_have_routed(igp6: Path) -> None:
    try:
        with Lab(igp6) as lab:
            print(f"\nigp6 deployed in {lab.deploy_seconds:.1f} s")
            # no retry: "up" means the hosts reach each other now
            assert ping(lab, "h1", "2001:db8:2::2"), lab.status().format()  # OSPFv3
            assert ping(lab, "h2", "10.1.0.2"), lab.status().format()  # IS-IS
    finally:
        destroy("igp6")

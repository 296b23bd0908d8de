"""``kind: bridge`` (root): a LAN of several nodes, as containerlab's br01 example builds one.

containerlab attaches a bridge node's links to a Linux bridge the user made beforehand in the
host's namespace; netsim makes the bridge itself, in a namespace of its own (no end is ever
in the host's). The oracle is what the file does under containerlab: every node on the LAN
reaches every other at layer 2, a router on the LAN forwards beyond it, a link with a delay
keeps it, and ``status`` traces a path across the LAN.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host import netns

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.lab,
]

CLAB = """\
name: brlan
topology:
  nodes:
    lan:
      kind: bridge
    r1:
      kind: linux
      exec: [ip addr add 192.168.50.254/24 dev eth1, ip addr add 10.0.2.1/24 dev eth2]
    h1:
      kind: linux
      labels: {netsim-role: host}
      exec: [ip addr add 192.168.50.1/24 dev eth1, ip route add default via 192.168.50.254]
    h2:
      kind: linux
      labels: {netsim-role: host}
      exec: [ip addr add 10.0.2.2/24 dev eth1, ip route add default via 10.0.2.1]
    h3:
      kind: linux
      exec: [ip addr add 192.168.50.3/24 dev eth1]
  links:
    - endpoints: ["h1:eth1", "lan:h1-port"]
    - endpoints: ["r1:eth1", "lan:eth0"]
    - endpoints: ["h3:eth1", "lan:h3-port"]
      vars: {delay: 5ms}
    - endpoints: ["r1:eth2", "h2:eth1"]
"""


def ping_ms(lab: Lab, src: str, address: str) -> float | None:
    out = netns.run(["ping", "-c2", "-W2", address], lab.namespace(src), check=False)
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1].split("/")[-3])  # avg of min/avg/max


def test_a_bridge_node_is_a_lan(tmp_path: Path, lab_root: Path) -> None:
    (tmp_path / "brlan.clab.yml").write_text(CLAB)
    try:
        with Lab(tmp_path / "brlan.clab.yml") as lab:
            assert ping_ms(lab, "h1", "192.168.50.254") is not None  # on the LAN
            assert ping_ms(lab, "h1", "10.0.2.2") is not None  # beyond it, through r1
            rtt = ping_ms(lab, "h1", "192.168.50.3")
            assert rtt is not None
            assert rtt > 5.0  # h3's port keeps its link's delay (5 ms one way)
            path = lab.status().path("h1", "h2")
            assert path.nodes == ("h1", "lan", "r1", "h2"), path
            assert path.complete
    finally:
        destroy("brlan")


OSPF_LAN = """\
name: ospflan
topology:
  defaults:
    kind: linux
    image: quay.io/frrouting/frr:8.4.4
  nodes:
    sw: {kind: bridge}
    r1: {binds: [daemons:/etc/frr/daemons, r1.conf:/etc/frr/frr.conf]}
    r2: {binds: [daemons:/etc/frr/daemons, r2.conf:/etc/frr/frr.conf]}
    r3: {binds: [daemons:/etc/frr/daemons, r3.conf:/etc/frr/frr.conf]}
    h1: {exec: [ip addr add 10.1.0.2/24 dev eth1, ip route add default via 10.1.0.1]}
    h3: {exec: [ip addr add 10.3.0.2/24 dev eth1, ip route add default via 10.3.0.1]}
  links:
    - endpoints: ["r1:eth1", "sw:p1"]
    - endpoints: ["r2:eth1", "sw:p2"]
    - endpoints: ["r3:eth1", "sw:p3"]
    - endpoints: ["r1:eth2", "h1:eth1"]
    - endpoints: ["r3:eth2", "h3:eth1"]
"""


def ospf_router(n: int) -> str:
    return f"""\
hostname r{n}
interface eth1
 ip address 10.0.0.{n}/24
interface eth2
 ip address 10.{n}.0.1/24
interface lo
 ip address 10.255.0.{n}/32
router ospf
 ospf router-id 10.255.0.{n}
 network 10.0.0.0/24 area 0
 network 10.{n}.0.0/24 area 0
 network 10.255.0.{n}/32 area 0
 passive-interface eth2
"""


def routes(lab: Lab) -> dict[str, str]:
    return {r: netns.ip(lab.namespace(r), "route").stdout for r in ("r1", "r2", "r3")}


def test_ospf_over_a_lan_is_routed_when_deploy_returns(tmp_path: Path, lab_root: Path) -> None:
    """Three routers on one LAN (a DR, a BDR and a DROther): the DR's network LSA and the
    routers' own LSAs are each re-originated at most every 5 s, so routes kept changing for
    seconds after the adjacencies were Full; "up" used to come in between (h1 could not
    reach h3). Ready now also means no route and no LSA changed for that long."""
    (tmp_path / "daemons").write_text("ospfd=yes\nvtysh_enable=yes\n")
    for n in (1, 2, 3):
        (tmp_path / f"r{n}.conf").write_text(ospf_router(n))
    (tmp_path / "ospflan.clab.yml").write_text(OSPF_LAN)
    try:
        with Lab(tmp_path / "ospflan.clab.yml") as lab:
            print(f"\nospflan deployed in {lab.deploy_seconds:.1f} s")
            at_up = routes(lab)
            one = ["ping", "-c1", "-W1", "10.3.0.2"]  # one packet, no retry
            assert netns.run(one, lab.namespace("h1"), check=False).returncode == 0
            time.sleep(12)  # two LSA intervals and more
            assert routes(lab) == at_up  # nothing changed after "up"
            assert ping_ms(lab, "h3", "10.255.0.2") is not None, lab.status().format()
    finally:
        destroy("ospflan")

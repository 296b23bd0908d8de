"""``kind: bridge`` (root): a LAN of several nodes, as containerlab's br01 example builds one.

containerlab attaches a bridge node's links to a Linux bridge the user made beforehand in the
host's namespace; netsim makes the bridge itself, in a namespace of its own (no end is ever
in the host's). The oracle is what the file does under containerlab: every node on the LAN
reaches every other at layer 2, a router on the LAN forwards beyond it, a link with a delay
keeps it, and ``status`` traces a path across the LAN.
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

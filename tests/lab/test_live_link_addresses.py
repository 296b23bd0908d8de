"""Link addresses as containerlab sets them: ``ipv4`` and ``ipv6``, brief and extended (root).

containerlab (0.59+) puts a link's ``ipv4``/``ipv6`` on its ends: a list of two on a brief
link, one per endpoint on an extended ``type: veth`` link. The oracle is the kernel's view
of each end after the deploy.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from netsim.lab import Lab, destroy
from netsim.lab.host import netns

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.lab

DUAL = """\
name: dualstack
topology:
  defaults: {kind: linux}
  nodes:
    gw: {sysctls: {net.ipv6.conf.all.forwarding: 1}}
    a: {}
    b: {}
  links:
    - endpoints: ["a:eth1", "gw:eth1"]
      ipv4: [10.9.1.2/24, 10.9.1.1/24]
      ipv6: ["2001:db8:1::2/64", "2001:db8:1::1/64"]
    - type: veth
      endpoints:
        - {node: b, interface: eth1, ipv4: 10.9.2.2/24, ipv6: "2001:db8:2::2/64"}
        - {node: gw, interface: eth2, ipv4: 10.9.2.1/24, ipv6: "2001:db8:2::1/64"}
"""


def addresses(lab: Lab, node: str, ifname: str) -> set[str]:
    out = netns.ip(lab.namespace(node), "-j", "addr", "show", "dev", ifname).stdout
    return {
        f"{a['local']}/{a['prefixlen']}"
        for iface in json.loads(out)
        for a in iface["addr_info"]
        if a.get("scope") == "global"
    }


def test_ipv4_and_ipv6_of_brief_and_extended_links_are_on_their_ends(
    lab_root: Path, tmp_path: Path
) -> None:
    clab = tmp_path / "dualstack.clab.yml"
    clab.write_text(DUAL)
    try:
        with Lab(clab) as lab:
            assert addresses(lab, "a", "eth1") == {"10.9.1.2/24", "2001:db8:1::2/64"}
            assert addresses(lab, "gw", "eth1") == {"10.9.1.1/24", "2001:db8:1::1/64"}
            assert addresses(lab, "b", "eth1") == {"10.9.2.2/24", "2001:db8:2::2/64"}
            assert addresses(lab, "gw", "eth2") == {"10.9.2.1/24", "2001:db8:2::1/64"}
    finally:
        destroy("dualstack")

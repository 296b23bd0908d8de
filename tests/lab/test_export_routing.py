"""The lab export of the routing keys of issue 10: transit, max_paths, prepend, mrai.

The lab must route as the model does, so the FRR configs carry the keys: a node that
carries no transit announces only its own prefixes, ``max_paths`` becomes BGP multipath
(``maximum-paths`` with ``as-path multipath-relax``, since the equal paths go through
different neighbour ASes), a link's ``prepend`` an inbound route-map that prepends the
neighbour's AS, a node's ``mrai`` the ``advertisement-interval`` towards its neighbours.
The oracle for the syntax is FRR itself: ``export`` runs ``vtysh --dryrun`` on every
rendered frr.conf where FRR is installed. The shipped topologies set none of the keys to
a non-default value, so their exported files are unchanged (test_export_golden.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.lab.clab.plan import plan_lab
from netsim.lab.clab.render import export, render_lab
from netsim.model import load_topology

if TYPE_CHECKING:
    from pathlib import Path

TOPOLOGY = """\
name: routing-keys
nodes:
  aws: {role: cloud, asn: 64512, prefixes: [10.10.0.0/16], max_paths: 2}
  gcp: {role: cloud, asn: 16550, prefixes: [10.20.0.0/16], transit: true}
  mcr: {role: exchange, asn: 133937, mrai: 5s}
  mcr2: {role: exchange, asn: 133938, transit: false}
links:
  - {name: aws-mcr, endpoints: [aws, mcr], capacity: 10Gbps}
  - {name: aws-mcr2, endpoints: [aws, mcr2], capacity: 10Gbps, prepend: 2}
  - {name: gcp-mcr, endpoints: [gcp, mcr], capacity: 10Gbps}
  - {name: gcp-mcr2, endpoints: [gcp, mcr2], capacity: 10Gbps}
"""


def _configs(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "routing-keys.yaml"
    path.write_text(TOPOLOGY)
    files = render_lab(plan_lab(load_topology(path)), source=path.name)
    return {k.split("/")[1]: v for k, v in files.items() if k.endswith("/frr.conf")}


def test_frr_configs_carry_the_routing_keys(tmp_path: Path) -> None:
    conf = _configs(tmp_path)
    assert "  maximum-paths 2\n" in conf["aws"]
    assert " bgp bestpath as-path multipath-relax\n" in conf["aws"]
    assert "maximum-paths" not in conf["gcp"]
    # routes aws learns over aws-mcr2 are prepended twice with mcr2's AS; mcr2's too
    for node in ("aws", "mcr2"):
        assert "route-map pref-100-prepend-2 permit 10\n" in conf[node]
        assert " set as-path prepend last-as 2\n" in conf[node]
        assert " route-map pref-100-prepend-2 in\n" in conf[node]
    assert "prepend" not in conf["gcp"]
    # the MCR waits 5 s before passing updates on, to every neighbour
    assert conf["mcr"].count(" advertisement-interval 5\n") == 2
    assert "advertisement-interval" not in conf["aws"]
    # transit: aws (a cloud) and mcr2 (transit: false) announce only their own prefixes;
    # gcp (a cloud given transit) and mcr pass everything on
    for node, filtered in (("aws", True), ("mcr2", True), ("gcp", False), ("mcr", False)):
        announce = conf[node].split("route-map announce permit 10\n")[1].split("exit")[0]
        assert ("match ip address prefix-list own-prefixes" in announce) is filtered, node


def test_export_passes_frr_dry_run(tmp_path: Path) -> None:
    """``vtysh --dryrun`` (where FRR is installed) accepts every generated frr.conf."""
    path = tmp_path / "routing-keys.yaml"
    path.write_text(TOPOLOGY)
    written = export(path, tmp_path / "out")
    assert any(p.name == "frr.conf" for p in written)

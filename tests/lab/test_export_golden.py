"""Golden tests of ``netsim lab export``: the generated containerlab files and configs.

The default topology's export is checked in where users find it (``topologies/
megaport-hub.clab.yml`` + ``topologies/megaport-hub/``); the others live under
``tests/lab/golden/export/``. Regenerate all of them with ``pytest --update-golden``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from netsim.errors import InputError
from netsim.lab.clab.plan import fit_underlay_delays, plan_lab
from netsim.lab.clab.read import load_clab
from netsim.lab.clab.render import duration, export, render_lab
from netsim.model import load_topology

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOPOLOGIES = ROOT / "topologies"
DEFAULT = "megaport-hub"
CASES = [DEFAULT, "full-mesh", "vpn-only", "internet-only"]


def golden_dir(name: str) -> Path:
    return TOPOLOGIES if name == DEFAULT else HERE / "golden" / "export"


def rendered(name: str) -> dict[str, str]:
    topology = load_topology(TOPOLOGIES / f"{name}.yaml")
    return render_lab(plan_lab(topology), source=f"{name}.yaml")


def stored(name: str) -> dict[str, str]:
    base = golden_dir(name)
    files = {f"{name}.clab.yml": (base / f"{name}.clab.yml").read_text()}
    for path in sorted((base / name).rglob("*")):
        if path.is_file():
            files[str(path.relative_to(base))] = path.read_text()
    return files


@pytest.mark.parametrize("name", CASES)
def test_export_matches_golden(name: str, update_golden: bool) -> None:
    files = rendered(name)
    if update_golden:
        base = golden_dir(name)
        shutil.rmtree(base / name, ignore_errors=True)
        for relative, text in files.items():
            (base / relative).parent.mkdir(parents=True, exist_ok=True)
            (base / relative).write_text(text)
    assert files == stored(name)


@pytest.mark.parametrize("name", CASES)
def test_export_writes_files_the_lab_reader_accepts(name: str, tmp_path: Path) -> None:
    written = export(TOPOLOGIES / f"{name}.yaml", tmp_path)  # also runs vtysh --dryrun
    assert tmp_path / f"{name}.clab.yml" in written
    clab = load_clab(tmp_path / f"{name}.clab.yml")
    model = load_topology(TOPOLOGIES / f"{name}.yaml")
    hosts = {n for n, node in clab.nodes.items() if node.role == "host"}
    assert hosts == {f"host-{n.name}" for n in model.nodes if n.role and n.role.value == "cloud"}
    physical = {lk.name for lk in model.links if lk.kind.value != "vpn"}
    assert physical <= {lk.name for lk in clab.links}
    for link in model.links:
        if link.kind.value == "interconnect":
            assert clab.link(link.name).params.mean_delay() == pytest.approx(link.delay.mean())
            assert clab.link(link.name).params.rate_bps == link.capacity


def test_tunnel_delay_is_fitted_to_the_vpn_mean() -> None:
    topology = load_topology(TOPOLOGIES / f"{DEFAULT}.yaml")
    fitted = fit_underlay_delays(topology)
    for vpn in (lk for lk in topology.links if lk.kind.value == "vpn"):
        lab_delay = sum(fitted[u].mean() for u in vpn.underlay)
        assert lab_delay == pytest.approx(vpn.delay.mean(), abs=1e-6)


def test_vars_round_trip_through_the_model_units() -> None:
    files = rendered(DEFAULT)
    clab = yaml.safe_load(files[f"{DEFAULT}.clab.yml"])
    vars_ = next(lk["vars"] for lk in clab["topology"]["links"] if lk["vars"]["name"] == "gcp-mcr")
    assert vars_["delay"] == {"dist": "norm", "loc": "10.1ms", "scale": "100us"}
    assert vars_["bfd"] == {"interval": "1s", "multiplier": 5}
    assert [duration(x) for x in (0.0005, 0.0101, 30.0, 0.0)] == ["500us", "10.1ms", "30s", "0s"]


def test_a_vpn_without_two_underlay_links_cannot_be_planned(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""name: t
nodes:
  a: {role: cloud, asn: 1, prefixes: [10.1.0.0/16]}
  b: {role: cloud, prefixes: [10.2.0.0/16]}
links:
  - {name: v, kind: vpn, endpoints: [a, b], capacity: 1Gbps, delay: 5ms}
""")
    with pytest.raises(InputError) as info:
        plan_lab(load_topology(path))
    keys = [e.key for e in info.value.errors]
    assert keys == ["links.v.underlay", "nodes.b.asn"]

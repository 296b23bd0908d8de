"""Golden tests of ``netsim lab export``: the generated containerlab files and configs.

The default topology's export is checked in where users find it (``topologies/
megaport-hub.clab.yml`` + ``topologies/megaport-hub/``); the others live under
``tests/lab/golden/export/``, each with its netem stages and the edge image's Dockerfile.
Regenerate all of them with ``pytest --update-golden``; a golden file that is missing
fails the comparison (it is never written by a plain run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from netsim.cli.main import main
from netsim.errors import InputError
from netsim.lab.clab.images import EDGE_IMAGE, FRR_VERSION, STRONGSWAN_VERSION
from netsim.lab.clab.plan import plan_lab
from netsim.lab.clab.read import load_clab
from netsim.lab.clab.render import duration, export, render_lab
from netsim.lab.clab.schema import load_schema
from netsim.lab.clab.tunnels import fit_underlay_delays
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
    # its header says how to deploy it from where it was written, not from topologies/
    header = (tmp_path / f"{name}.clab.yml").read_text().split("\nname:")[0]
    assert f"netsim lab deploy {tmp_path}/{name}.clab.yml" in header
    assert f"containerlab deploy -t {tmp_path}/{name}.clab.yml" in header
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


@pytest.mark.parametrize("name", CASES)
def test_netem_stages_give_each_direction_the_model_delay_and_rate(name: str) -> None:
    """containerlab applies delays only through `tools netem`: the exported commands, read
    back as netsim reads them, must have each link's applied mean delay and the model's
    standard deviation (netem's uniform jitter of the same spread) and capacity."""
    clab = load_clab(golden_dir(name) / f"{name}.clab.yml")
    model = load_topology(TOPOLOGIES / f"{name}.yaml")
    fitted = fit_underlay_delays(model)
    checked = 0
    for link in model.links:
        if link.kind.value == "vpn":
            continue
        applied = fitted.get(link.name, link.delay)
        lab = clab.link(link.name)
        for end in (0, 1):
            params = lab.egress(end)
            assert params.mean_delay() == pytest.approx(applied.mean(), rel=1e-5), link.name
            spread = 0.0 if applied.is_constant else float(applied.frozen().std())
            got = (
                0.0
                if params.delay is None or params.delay.is_constant
                else params.delay.frozen().std()
            )
            assert got == pytest.approx(spread, rel=1e-4, abs=1e-9), link.name
            assert params.rate_bps == link.capacity
            checked += 1
    assert checked == 2 * sum(1 for lk in model.links if lk.kind.value != "vpn")


@pytest.mark.parametrize("name", CASES)
def test_export_is_valid_for_containerlab_and_holds_no_key(name: str) -> None:
    text = (golden_dir(name) / f"{name}.clab.yml").read_text()
    data = yaml.safe_load(text)
    jsonschema.Draft7Validator(load_schema()).validate(data)
    for node in data["topology"]["nodes"].values():
        for item in (node.get("stages") or {}).get("create-links", {}).get("exec", []):
            # containerlab parses stages strictly: these three keys and nothing else
            assert set(item) == {"command", "target", "phase"}
            assert item["command"].startswith(f"containerlab tools netem set -n clab-{name}-")
        if "env" in node:
            assert node["env"] == {"NETSIM_IPSEC_PSK": "${NETSIM_IPSEC_PSK:=}"}
    for path in (golden_dir(name) / name).rglob("*"):
        if path.is_file():
            assert "secret =" not in path.read_text().replace('secret = "%s"', ""), path


def test_the_edge_image_is_built_from_the_versions_the_lab_runs() -> None:
    files = rendered(DEFAULT)
    dockerfile = files[f"{DEFAULT}/images/frr-strongswan/Dockerfile"]
    assert f"frr={FRR_VERSION}*" in dockerfile
    assert f"strongswan-charon={STRONGSWAN_VERSION}*" in dockerfile
    assert "FROM debian:bookworm-slim" in dockerfile
    start = files[f"{DEFAULT}/images/frr-strongswan/start.sh"]
    assert "umask 077" in start
    assert "unset NETSIM_IPSEC_PSK" in start
    clab = yaml.safe_load(files[f"{DEFAULT}.clab.yml"])
    images = {n["image"] for n in clab["topology"]["nodes"].values()}
    assert EDGE_IMAGE in images
    built = {p.split("/")[2] for p in files if "/images/" in p}
    assert built == {"frr-strongswan"}  # FRR's and alpine's images are public
    internet = rendered("internet-only")
    assert not [p for p in internet if "/images/" in p]  # no tunnel ends: no edge image


def test_netsim_lab_image_without_docker_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netsim.errors import EXIT_ENVIRONMENT, EXIT_OK

    clab = golden_dir(DEFAULT) / f"{DEFAULT}.clab.yml"
    assert main(["lab", "image", str(clab), "--dry-run"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"docker build -t {EDGE_IMAGE} {clab.parent / DEFAULT / 'images/frr-strongswan'}" in out
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without docker
    assert main(["lab", "image", str(clab)]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "needs a Docker engine, and there is no docker command on this machine" in err
    assert f"docker build -t {EDGE_IMAGE}" in err
    internet = golden_dir("internet-only") / "internet-only.clab.yml"
    assert main(["lab", "image", str(internet)]) == EXIT_OK
    assert "nothing to build" in capsys.readouterr().out


@pytest.mark.parametrize("verb", ["export", "run"])
@pytest.mark.parametrize("where", ["file", "file/sub"])
def test_an_out_that_cannot_be_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str, where: str
) -> None:
    """Oracle: the CLI contract (exit 2, one line naming the flag, no traceback). Before,
    ``lab export --out FILE`` raised FileExistsError; ``lab run`` would have deployed and
    played the whole scenario first. Nothing is deployed or written."""
    (tmp_path / "file").write_text("mine\n")
    out = tmp_path / where
    source = {
        "export": TOPOLOGIES / f"{DEFAULT}.yaml",
        "run": TOPOLOGIES.parent / "scenarios" / "lab-requests.yaml",
    }[verb]
    assert main(["lab", verb, str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"netsim: error: --out {out}: {tmp_path / 'file'} is not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]

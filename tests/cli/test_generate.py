"""``netsim generate``: files that validate, every value sourced, and partitions by hand.

Oracles: the loaders (the generated files must load like hand-written ones); counting by
hand for the structure (sites, hubs, tunnels) and for the partitions ``netsim check`` must
find. With two regions on one hub and one tunnel, the pair is partitioned exactly when one
of {each region's interconnect, the hub, the hub's group} fails together with one of {the
tunnel, each region's internet access, the internet}: 4 x 4 = 16 minimal pairs of failures,
none alone. With more regions, every region whose interconnect and internet access both
fail is cut off from every other one.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.model import load_scenario
from netsim.model.design_text import generate_design
from netsim.model.generate import vpn_pairs
from netsim.verify.check import CheckOptions, check_topology

if TYPE_CHECKING:
    from pathlib import Path


def write(tmp_path: Path, *args: str) -> Path:
    assert main(["generate", *args, "--out", str(tmp_path)]) == 0
    return tmp_path


@pytest.mark.parametrize(
    ("sites", "hubs", "vpn"), [(2, 1, "ring"), (4, 1, "mesh"), (20, 1, "ring"), (7, 3, "none")]
)
def test_generated_files_validate_and_have_the_counted_structure(
    tmp_path: Path, sites: int, hubs: int, vpn: str
) -> None:
    out = write(tmp_path, "--sites", str(sites), "--hubs", str(hubs), "--vpn", vpn)
    scenario = load_scenario(out / "scenario.yaml")
    topo = scenario.topology
    clouds = [n for n in topo.nodes if n.role is not None and n.role.value == "cloud"]
    assert len(clouds) == sites
    assert len({(n.provider, n.region) for n in clouds}) == sites  # distinct real regions
    tunnels = {"ring": sites if sites > 2 else 1, "mesh": sites * (sites - 1) // 2, "none": 0}[vpn]
    hub_links = hubs * (hubs - 1) // 2
    internet = sites if vpn != "none" else 0
    assert len(topo.links) == sites + hub_links + tunnels + internet
    assert len(topo.groups) == hubs
    # one API class per region to every other, observability to the first, replication
    assert len(scenario.traffic) == sites + (sites - 1) + 1
    assert {s.metric for s in scenario.slos} == {"latency", "success_ratio"}


def test_every_value_says_where_it_comes_from() -> None:
    """Each line that sets a parameter cites a numbers.md row (sN "..."), a derivation, or
    says ASSUMPTION, as the shipped topologies do."""
    text = generate_design(5, hubs=2, vpn="mesh").topology
    keys = ("capacity:", "delay:", "buffer:", "mtbf:", "mttr:", "bfd:", "bgp:", "cost:", "dpd:")
    for line in text.splitlines():
        if line.strip().startswith(keys):
            assert re.search(r"#.*(s\d|ASSUMPTION|ADR-003|megaport-hub)", line), line


def test_vpn_ring_and_mesh() -> None:
    assert vpn_pairs(5, "ring") == [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]
    assert vpn_pairs(5, "mesh") == list(itertools.combinations(range(5), 2))
    assert vpn_pairs(5, "none") == []


def test_check_finds_the_hand_counted_partitions_of_two_regions(tmp_path: Path) -> None:
    out = write(tmp_path, "--sites", "2")
    topo = load_scenario(out / "scenario.yaml").topology
    report = check_topology(topo, CheckOptions(max_failures=2, workers=1))
    a, b = (n.name for n in topo.nodes if n.role is not None and n.role.value == "cloud")
    hub = "mcr-ashburn"
    cut_primary = {f"link {a}-{hub}", f"link {b}-{hub}", f"node {hub}", f"group megaport-{hub}"}
    cut_vpn = {f"link vpn-{a}-{b}", f"link {a}-inet", f"link {b}-inet", "node internet"}
    expected = {frozenset({x, y}) for x in cut_primary for y in cut_vpn}
    found = {frozenset(str(e) for e in f.combo) for f in report.of_kind("partition")}
    assert len(expected) == 16
    assert found == expected


def test_check_cuts_off_each_region_without_interconnect_and_internet(tmp_path: Path) -> None:
    out = write(tmp_path, "--sites", "4", "--vpn", "mesh")
    topo = load_scenario(out / "scenario.yaml").topology
    report = check_topology(topo, CheckOptions(max_failures=2, workers=1))
    clouds = [n.name for n in topo.nodes if n.role is not None and n.role.value == "cloud"]
    partitions = {
        (frozenset(str(e) for e in f.combo), frozenset(f.pair or ()))
        for f in report.of_kind("partition")
    }
    for site in clouds:
        combo = frozenset({f"link {site}-mcr-ashburn", f"link {site}-inet"})
        for other in clouds:
            if other != site:
                assert (combo, frozenset({site, other})) in partitions


@pytest.mark.parametrize(
    "args",
    [
        ["--sites", "1"],
        ["--sites", "40"],
        ["--sites", "3", "--hubs", "0"],
        ["--sites", "3", "--vpn", "star"],
    ],
)
def test_bad_sizes_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    try:
        code = main(["generate", *args, "--out", str(tmp_path)])
    except SystemExit as exc:  # argparse: a bad choice
        code = int(exc.code or 0)
    assert code == 2
    assert not (tmp_path / "topology.yaml").exists()


def test_the_exported_20_region_lab_is_a_valid_containerlab_file(tmp_path: Path) -> None:
    """Oracle: containerlab's own schema and the deployer's strict reader."""
    from netsim.lab.clab.read import load_clab
    from netsim.lab.clab.schema import read_clab_yaml, schema_errors

    out = write(tmp_path / "design", "--sites", "20")
    assert main(["lab", "export", str(out / "topology.yaml"), "--out", str(tmp_path / "lab")]) == 0
    (clab,) = (tmp_path / "lab").glob("*.clab.yml")
    assert schema_errors(read_clab_yaml(clab)) == []
    lab = load_clab(clab)
    clouds = [n for n in lab.nodes if n.startswith(("aws-", "gcp-", "azure-"))]
    assert len(clouds) >= 20


@pytest.mark.parametrize("where", ["file", "file/sub"])
def test_an_out_that_cannot_be_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """Oracle: the CLI contract (exit 2, one line naming the flag, no traceback). Before,
    ``--out`` naming a file raised FileExistsError / NotADirectoryError (exit 1), and
    ``netsim run`` did so only after simulating."""
    (tmp_path / "file").write_text("mine\n")
    out = tmp_path / where
    assert main(["generate", "--sites", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"netsim: error: --out {out}: {tmp_path / 'file'} is not a directory\n"
    assert (tmp_path / "file").read_text() == "mine\n"
    design = write(tmp_path / "design", "--sites", "2", "--quiet")
    scenario = str(design / "scenario.yaml")
    assert main(["run", scenario, "--set", "duration=2m", "--out", str(out), "--quiet"]) == 2
    assert "--out" in capsys.readouterr().err


def test_validate_lists_a_topology_problem_once_beside_its_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Oracle: one typo, one problem. ``netsim validate DIR/topology.yaml DIR/scenario.yaml``
    (README's ``validate topology scenarios/*.yaml``) loads the topology once per file and
    listed each of its problems that many times."""
    design = write(tmp_path, "--sites", "3", "--quiet")
    topology = design / "topology.yaml"
    text = topology.read_text()
    topology.write_text(text.replace("    capacity: 10Gbps", "    capcity: 10Gbps", 1))
    assert main(["validate", str(topology), str(design / "scenario.yaml")]) == 2
    problems = capsys.readouterr().err.splitlines()
    assert problems[0] == "netsim: 2 problems in the input:"
    assert [p.split(": ", 1)[1] for p in problems[1:]] == [
        "links[0].capacity: required key is missing",
        "links[0].capcity: unknown key (did you mean 'capacity'?)",
    ]


@pytest.mark.parametrize(("sites", "hubs"), [(3, 3), (4, 4), (6, 6), (5, 2)])
def test_every_hub_homes_a_site(tmp_path: Path, sites: int, hubs: int) -> None:
    """A hub no region is attached to would cost its ports and carry nothing: each of the
    K hubs homes one site at least (counted from the topology's links)."""
    out = write(tmp_path, "--sites", str(sites), "--hubs", str(hubs))
    topo = load_scenario(out / "scenario.yaml").topology
    roles = {n.name: n.role.value for n in topo.nodes if n.role is not None}
    homed = {
        end
        for link in topo.links
        for end in link.endpoints
        if roles.get(end) == "exchange" and any(roles.get(e) == "cloud" for e in link.endpoints)
    }
    assert len(homed) == hubs


def test_more_hubs_than_sites_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--sites", "2", "--hubs", "3", "--out", "/nonexistent/x"]) == 2
    assert "--hubs 3 needs at least as many sites" in capsys.readouterr().err

"""Unit tests of the containerlab reader and validator (no root needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from netsim.errors import InputError
from netsim.lab.clab.read import load_clab
from netsim.lab.clab.schema import expand_env, load_schema, read_clab_yaml
from netsim.lab.live.deploy import note_unread_binds

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FIXTURE = ROOT / "topologies" / "adr003.clab.yml"
SHARED_SCHEMA = ROOT.parent / "shared" / "containerlab" / "clab.schema.json"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.clab.yml"
    path.write_text(text)
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_clab(path)
    return [str(e) for e in info.value.errors]


def test_fixture_reads_nodes_links_and_params() -> None:
    topo = load_clab(FIXTURE)
    assert topo.name == "adr003"
    assert set(topo.nodes) == {
        "aws",
        "gcp",
        "azure",
        "mcr",
        "inet",
        "host-aws",
        "host-gcp",
        "host-azure",
    }
    assert topo.namespace("aws") == "clab-adr003-aws"
    link = topo.link("gcp-mcr")
    assert (str(link.a), str(link.b)) == ("gcp:eth1", "mcr:eth2")
    assert link.a.ipv4 == "172.16.0.5/30"
    assert link.params.mean_delay() == pytest.approx(0.010)
    assert link.params.rate_bps == 10e9
    assert link.params.vars["bfd"] == {"interval": "300ms", "multiplier": 3}
    assert not topo.link("aws-host").params.impaired
    assert topo.nodes["aws"].bind_for("/etc/frr/frr.conf") is not None
    assert topo.nodes["inet"].sysctls == {"net.ipv4.ip_forward": "1"}
    assert topo.nodes["host-aws"].exec == (
        ("ip", "route", "replace", "default", "via", "10.10.1.1"),
    )


def test_fixture_is_valid_against_the_unpatched_schema_semantics() -> None:
    """The shipped schema is containerlab's, byte for byte."""
    shipped = ROOT / "netsim" / "lab" / "clab" / "upstream" / "clab.schema.json"
    if SHARED_SCHEMA.exists():
        assert shipped.read_bytes() == SHARED_SCHEMA.read_bytes()
    data = yaml.safe_load(FIXTURE.read_text())
    jsonschema.Draft7Validator(load_schema()).validate(data)


def test_schema_patterns_compile_with_re() -> None:
    text = json.dumps(load_schema())
    assert r"\p{N}" not in text
    for pattern in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text):
        re.compile(json.loads(f'"{pattern}"'))


def test_bad_file_reports_every_problem_golden(update_golden: bool) -> None:
    bad = HERE / "data" / "bad.clab.yml"
    got = "\n".join(errors_of(bad)).replace(str(HERE), "<tests/lab>") + "\n"
    golden = HERE / "golden" / "bad.clab.errors.txt"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text()


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ntopology:\n  nodes: [a\n")
    (message,) = errors_of(path)
    assert message.startswith(f"{path}:4: not valid YAML")


def test_brief_link_needs_node_colon_interface(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: x
topology:
  nodes: {a: {kind: linux}, b: {kind: linux}}
  links:
    - endpoints: ["a:eth1", "b"]
""",
    )
    messages = errors_of(path)
    assert any(":5: topology.links[0].endpoints[1]" in m for m in messages), messages


def test_interface_used_twice_and_long_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: x
topology:
  nodes: {a: {kind: linux}, b: {kind: linux}}
  links:
    - endpoints: ["a:eth1", "b:eth1"]
    - endpoints: ["a:eth1", "b:averyveryverylongname"]
""",
    )
    messages = errors_of(path)
    assert any("interface a:eth1 is already used" in m for m in messages)
    assert any("longer than 15" in m for m in messages)


def test_defaults_kinds_and_groups_resolve_like_containerlab(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: x
topology:
  defaults: {kind: linux, env: {A: "1"}, labels: {site: dflt}}
  kinds:
    linux: {image: alpine:3, env: {B: "2"}}
  groups:
    edge: {labels: {site: edge}}
  nodes:
    a: {group: edge, env: {A: "9"}}
    b: {}
  links:
    - endpoints: ["a:eth1", "b:eth1"]
""",
    )
    topo = load_clab(path)
    assert topo.nodes["a"].kind == "linux"
    assert topo.nodes["a"].image == "alpine:3"
    assert topo.nodes["a"].env == {"A": "9", "B": "2"}
    assert topo.nodes["a"].labels == {"site": "edge"}
    assert topo.nodes["b"].labels == {"site": "dflt"}


def test_prefix_controls_namespace_names(tmp_path: Path) -> None:
    base = "topology:\n  nodes: {a: {kind: linux}}\n"
    assert load_clab(write(tmp_path, "name: x\n" + base)).namespace("a") == "clab-x-a"
    assert load_clab(write(tmp_path, "name: x\nprefix: lab\n" + base)).namespace("a") == "lab-x-a"
    assert load_clab(write(tmp_path, "name: x\nprefix: ''\n" + base)).namespace("a") == "a"
    assert (
        load_clab(write(tmp_path, "name: x\nprefix: __lab-name\n" + base)).namespace("a") == "x-a"
    )


def test_env_expansion_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABNAME", "fromenv")
    assert expand_env("name: ${LABNAME}\nx: ${UNSET_VAR_XYZ:=dflt}") == "name: fromenv\nx: dflt"


def test_read_yaml_records_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ntopology:\n  links:\n    - endpoints: [a, b]\n")
    doc = read_clab_yaml(path)
    assert doc.data["topology"]["links"][0]["endpoints"] == ["a", "b"]
    assert doc.line(("topology", "links", 0, "endpoints")) == 4
    assert doc.line(("topology", "links", 0, "endpoints", 7)) == 4
    assert doc.line(("nothing",)) == 1


def test_missing_file_and_duplicate_keys(tmp_path: Path) -> None:
    missing = tmp_path / "nope.clab.yml"
    assert errors_of(missing) == [f"{missing}: file not found"]
    path = write(tmp_path, "name: x\nname: y\ntopology: {nodes: {a: {kind: linux}}}\n")
    assert errors_of(path) == [f"{path}:2: name: duplicate key"]


def test_non_veth_links_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: x
topology:
  nodes: {a: {kind: linux}}
  links:
    - type: dummy
      endpoint: {node: a, interface: eth1}
""",
    )
    assert any("link type 'dummy' is not supported" in m for m in errors_of(path))


def test_schema_errors_inside_a_node_name_the_key(tmp_path: Path) -> None:
    """A node is ``oneOf: [null, node-config]`` in containerlab's schema: jsonschema alone
    says the whole node "is not valid under any of the given schemas". The message must
    name the key inside the node, and a string where a list belongs is reported once (not
    once per character by the checks that read the list)."""
    path = write(
        tmp_path,
        """name: x
topology:
  nodes:
    a:
      kind: linux
      imagee: alpine
      exec: "ip link"
    b:
      kind: linux
      binds: []
  links:
    - endpoints: "a:eth1 b:eth1"
""",
    )
    messages = errors_of(path)
    assert not any("any of the given schemas" in m for m in messages), messages
    assert any(":4: topology.nodes.a: " in m and "'imagee' was unexpected" in m for m in messages)
    assert any(":7: topology.nodes.a.exec: 'ip link' is not of type 'array'" in m for m in messages)
    assert any(":10: topology.nodes.b.binds: [] should be non-empty" in m for m in messages)
    assert any(":12: topology.links[0].endpoints: " in m for m in messages), messages
    assert not any("exec[" in m or "two endpoints" in m for m in messages), messages


def test_a_number_where_a_string_belongs_is_that_string(tmp_path: Path) -> None:
    """containerlab decodes with Go's yaml.v2, which stores any scalar in a string field as
    written: ``type: 5132`` (containerlab's own ciena_saos example) and a numeric group name
    deploy there, so they read here; a string where a number belongs is still refused, as
    yaml.v2 refuses it."""
    path = write(
        tmp_path,
        """name: x
topology:
  groups:
    "7": {kind: linux, labels: {rack: 12}}
  nodes:
    a: {kind: linux, type: 5132, group: 7}
    b: {kind: linux}
  links:
    - endpoints: ["a:eth1", "b:eth1"]
      mtu: "1500"
""",
    )
    messages = errors_of(path)
    assert messages == [f"{path}:10: topology.links[0].mtu: '1500' is not of type 'number'"]
    path.write_text(path.read_text().replace('mtu: "1500"', "mtu: 1500"))
    topology = load_clab(path)
    assert topology.nodes["a"].labels["rack"] == "12"


def test_a_link_without_mtu_gets_containerlabs_default(tmp_path: Path) -> None:
    """containerlab makes a veth link 9500 bytes unless the file says otherwise
    (constants.DefaultLinkMTU); the exported labs say the model's MTU on every link."""
    path = write(
        tmp_path,
        """name: x
topology:
  nodes: {a: {kind: linux}, b: {kind: linux}}
  links:
    - endpoints: ["a:eth1", "b:eth1"]
    - endpoints: ["a:eth2", "b:eth2"]
      mtu: 1400
""",
    )
    assert [lk.mtu for lk in load_clab(path).links] == [9500, 1400]
    exported = yaml.safe_load((ROOT / "topologies" / "megaport-hub.clab.yml").read_text())
    assert {lk.get("mtu") for lk in exported["topology"]["links"]} == {1500}


def test_a_missing_absolute_bind_source_is_missing_on_the_host(tmp_path: Path) -> None:
    # containerlab's cvx02 example binds /lib/modules, which not every host has
    path = write(
        tmp_path,
        "name: x\ntopology:\n  nodes:\n    a:\n      kind: linux\n"
        "      binds: [/no/such/dir:/lib/modules:ro, gone.conf:/etc/frr/frr.conf]\n",
    )
    with pytest.raises(InputError) as info:
        load_clab(path)
    assert [str(e).split(": ", 1)[1] for e in info.value.errors] == [
        "topology.nodes.a.binds[0]: bind source '/no/such/dir' does not exist on this host",
        "topology.nodes.a.binds[1]: bind source 'gone.conf' does not exist next to this file",
    ]


def test_binds_nothing_reads_are_named_at_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A node is a namespace running this host's FRR and strongSwan, not an image: a bind
    to /etc/network/interfaces (an ifupdown image's) reaches no program, so deploy says
    so instead of silently leaving it out. Binds of FRR's and strongSwan's places, and of a
    directory above them, are read, and none of the shipped labs gets the note."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "interfaces").write_text("auto eth1\n")
    (tmp_path / "daemons").write_text("zebra=yes\n")
    path = write(
        tmp_path,
        """name: b
topology:
  nodes:
    h1:
      kind: linux
      binds: [cfg/interfaces:/etc/network/interfaces, "cfg:/config:ro"]
    r1:
      kind: linux
      binds: [daemons:/etc/frr/daemons, "cfg:/etc:ro"]
  links:
    - endpoints: ["h1:eth1", "r1:eth1"]
""",
    )
    note_unread_binds(load_clab(path))
    err = capsys.readouterr().err
    assert "binds that may have no effect here (h1: /config, /etc/network/interfaces)" in err
    for shipped in sorted((ROOT / "topologies").glob("*.clab.yml")):
        note_unread_binds(load_clab(shipped))
    note_unread_binds(load_clab(ROOT / "tests" / "lab" / "data" / "ospf3.clab.yml"))
    assert capsys.readouterr().err == ""

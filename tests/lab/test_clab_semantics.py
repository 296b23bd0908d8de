"""containerlab's semantics of a topology file, as netsim reads them (no root needed).

The oracle is containerlab's own code (``types/topology.go``, ``types/stages.go``,
``cmd/tools_netem.go`` of srl-labs/containerlab): how defaults, kinds and groups merge, which
commands run where, how ``tools netem set`` reads its flags. Each test writes a real file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from netsim.errors import InputError
from netsim.lab.clab.execs import CommandError, go_duration, parse_command, parse_netem
from netsim.lab.clab.params import LinkParams
from netsim.lab.clab.read import load_clab
from netsim.lab.clab.topology import Phase, Stage

HERE = Path(__file__).resolve().parent
OSPF3 = HERE / "data" / "ospf3.clab.yml"


def write(tmp_path: Path, text: str, name: str = "lab.clab.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def errors_of(path: Path, name: str | None = None) -> list[str]:
    with pytest.raises(InputError) as info:
        load_clab(path, name)
    return [str(e) for e in info.value.errors]


def test_merge_order_is_containerlabs(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text("x")
    (tmp_path / "b.conf").write_text("y")
    path = write(
        tmp_path,
        """name: m
topology:
  defaults:
    kind: linux
    image: dflt:1
    exec: [ip link set lo up]
    binds: [a.conf:/etc/x.conf]
    sysctls: {net.ipv4.ip_forward: 0}
    config: {vars: {deep: {a: 1, b: 1}}}
  kinds:
    linux: {exec: [ip addr show], labels: {tier: kind}}
  groups:
    routers:
      image: grp:2
      binds: [b.conf:/etc/x.conf]
      sysctls: {net.ipv4.ip_forward: 1}
      config: {vars: {deep: {b: 2}}}
  nodes:
    r1: {group: routers, exec: [ip route show]}
    h1: {}
""",
    )
    topo = load_clab(path)
    r1, h1 = topo.nodes["r1"], topo.nodes["h1"]
    assert (r1.kind, r1.image, r1.group) == ("linux", "grp:2", "routers")
    assert (h1.image, h1.group) == ("dflt:1", None)
    # lists: defaults + kind + group + node
    assert r1.exec == (
        ("ip", "link", "set", "lo", "up"),
        ("ip", "addr", "show"),
        ("ip", "route", "show"),
    )
    # binds keyed by target: the group's wins over the defaults'
    assert r1.bind_for("/etc/x.conf") == (tmp_path / "b.conf").resolve()
    assert h1.bind_for("/etc/x.conf") == (tmp_path / "a.conf").resolve()
    assert r1.sysctls == {"net.ipv4.ip_forward": "1"}
    assert r1.labels == {"tier": "kind"}
    assert r1.vars == {"deep": {"a": 1, "b": 2}}


def test_kind_from_the_group_and_one_message_for_every_kind_netsim_cannot_run(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """name: k
topology:
  groups:
    spines: {kind: nokia_srlinux}
  nodes:
    s1: {group: spines}
    s2: {group: spines}
    c1: {kind: arista_ceos}
    b1: {kind: ovs-bridge}
    h1: {kind: linux}
""",
    )
    (message,) = errors_of(path)
    assert ":6: topology.nodes.s1.kind: kinds netsim cannot run" in message
    assert "arista_ceos: c1; nokia_srlinux: s1, s2; ovs-bridge: b1" in message


def test_a_value_the_schema_does_not_know_names_the_closest_instead_of_fifty(
    tmp_path: Path,
) -> None:
    # The oracle is containerlab's schema (its enum of SR Linux types, fifty-odd long): the
    # full list buried the one meant; a type that differs from one only in case ('IXRD3',
    # as containerlab's own sr-sim examples write 'SR-7') is that type. A kind is not
    # judged by the schema's enum: containerlab's code deploys kinds the schema lacks
    # (cumulus_cvx), and netsim names every kind it cannot run in one problem, with the
    # one a typo meant.
    path = write(
        tmp_path,
        """name: k
topology:
  nodes:
    sw1: {kind: cumulus_cvx}
    s1: {kind: nokia_srlinux, type: IXRD-3}
    s2: {kind: nokia_srlinux, type: IXRD3}
    h1: {kind: linx}
""",
    )
    kinds, types = errors_of(path)
    assert ":4: topology.nodes.sw1.kind: kinds netsim cannot run (cumulus_cvx: sw1; " in kinds
    assert "linx: h1 (did you mean linux?); nokia_srlinux: s1, s2)" in kinds, kinds
    assert re.search(
        r":5: topology\.nodes\.s1\.type: 'IXRD-3' is not one of the [0-9]{2} values "
        r"containerlab's schema allows here \(closest: ixrd3, ",
        types,
    ), types


def test_network_modes_without_a_namespace_of_their_own_are_refused(tmp_path: Path) -> None:
    # containerlab puts a network-mode: host node in the host's network and a container:X
    # node in X's namespace; netsim gave each its own namespace, silently another lab.
    path = write(
        tmp_path,
        """name: nm
topology:
  groups:
    sidecars: {network-mode: "container:a"}
  nodes:
    a: {kind: linux, network-mode: host}
    b: {kind: linux, group: sidecars}
    c: {kind: linux, network-mode: none}
    d: {kind: linux}
  links:
    - endpoints: ["c:eth0", "d:eth1"]
""",
    )
    a, b = errors_of(path)
    assert ":6: topology.nodes.a.network-mode: network-mode host: containerlab puts a in the " in a
    assert ":7: topology.nodes.b: network-mode container:a: containerlab puts b in a's " in b
    assert "deploy this file with containerlab" in b


def test_ospf3_file_reads_as_containerlab_would() -> None:
    topo = load_clab(OSPF3)
    assert {n.kind for n in topo.nodes.values()} == {"linux"}
    assert topo.nodes["r1"].image == "quay.io/frrouting/frr:8.4.4"
    assert topo.nodes["r2"].bind_for("/etc/frr/daemons") == (HERE / "data/ospf3/daemons").resolve()
    assert topo.nodes["r2"].exec == (("sysctl", "-w", "net.ipv4.conf.all.rp_filter=0"),)
    # $$VAR is containerlab's escape: the shell of the node sees $VAR, taken from its env
    assert topo.nodes["PC2"].exec == (
        ("ip", "addr", "add", "192.168.12.2/24", "dev", "eth1"),
        ("ip", "route", "add", "192.168.0.0/16", "via", "192.168.12.1"),
    )
    # parallel links are named after their interfaces, single ones after their nodes
    names = [lk.name for lk in topo.links]
    assert names[:3] == ["r1:eth1-r2:eth1", "r1:eth4-r2:eth4", "r1-r3"]
    assert topo.link("r2:eth4").name == "r1:eth4-r2:eth4"
    assert all(not lk.impaired for lk in topo.links)  # no vars: plain veth pairs


def test_name_override_gives_namespaces_and_keeps_the_files_name() -> None:
    topo = load_clab(OSPF3, name="ospf3-b")
    assert (topo.name, topo.file_name) == ("ospf3-b", "ospf3")
    assert topo.namespace("r1") == "clab-ospf3-b-r1"
    assert any("lab name" in e for e in errors_of(OSPF3, name="../etc"))


NETEM_LAB = """name: n
topology:
  defaults: {kind: linux}
  nodes:
    a:
      stages:
        create-links:
          exec:
            - command: >-
                containerlab tools netem set -n clab-n-a -i eth1
                --delay 10ms --jitter 2ms --rate 100000
              target: host
              phase: on-exit
    b:
      stages:
        create-links:
          exec:
            - {command: "ip link show", phase: on-exit}
            - command: clab tools netem set -n __clabLabName__-__clabNodeName__ -i eth1 --loss=10
              target: host
              phase: on-exit
  links:
    - endpoints: ["a:eth1", "b:eth1"]
      vars: {delay: 50ms}
"""


def test_netem_host_commands_shape_each_direction_as_containerlab_would(tmp_path: Path) -> None:
    topo = load_clab(write(tmp_path, NETEM_LAB), name="other")
    link = topo.link("a-b")
    a_to_b, b_to_a = link.egress(0), link.egress(1)
    # delay 10 ms with netem's uniform jitter +-2 ms; rate in kbit
    assert a_to_b.delay is not None
    assert a_to_b.delay.name == "uniform"
    assert a_to_b.mean_delay() == pytest.approx(0.010)
    assert a_to_b.delay.frozen().std() == pytest.approx(0.002 / math.sqrt(3))
    assert a_to_b.rate_bps == 100e6
    # the other end: loss only; the link's vars say 50 ms but containerlab ignores vars
    assert b_to_a.loss == pytest.approx(0.1)
    assert b_to_a.delay is None
    assert not link.symmetric
    (command,) = topo.nodes["b"].commands
    assert (command.stage, command.phase) == (Stage.CREATE_LINKS, Phase.ON_EXIT)


def test_host_commands_other_than_netem_and_unknown_containers_are_refused(tmp_path: Path) -> None:
    text = NETEM_LAB.replace("clab-n-a -i eth1", "clab-x-a -i eth1").replace(
        "ip link show", "touch /tmp/x"
    )
    host = '            - {command: "touch /etc/passwd", target: host, phase: on-exit}\n'
    text = text.replace("            - command: clab", host + "            - command: clab")
    messages = errors_of(write(tmp_path, text))
    assert any("no node of this lab runs as container 'clab-x-a'" in m for m in messages)
    assert any("'touch' is not run here" in m for m in messages)
    assert any("netsim runs no commands on the host" in m for m in messages)


def test_second_bad_file_golden(update_golden: bool) -> None:
    """Every problem a containerlab user's file can have that the first bad file lacks."""
    bad = HERE / "data" / "bad2.clab.yml"
    got = "\n".join(errors_of(bad)).replace(str(HERE), "<tests/lab>") + "\n"
    golden = HERE / "golden" / "bad2.clab.errors.txt"
    if update_golden:
        golden.write_text(got)
    assert got == golden.read_text()


@pytest.mark.parametrize(
    ("command", "steps"),
    [
        ("ip addr add 10.0.0.1/24 dev eth1", [["ip", "addr", "add", "10.0.0.1/24", "dev", "eth1"]]),
        ("/sbin/ip link set eth1 up", [["/sbin/ip", "link", "set", "eth1", "up"]]),
        ("sysctl -w net.ipv4.ip_forward=1", [["sysctl", "-w", "net.ipv4.ip_forward=1"]]),
        (
            "bash -c 'ip link set eth1 up; sleep 1\nip route add default via 1.2.3.4'",
            [
                ["ip", "link", "set", "eth1", "up"],
                ["sleep", "1"],
                ["ip", "route", "add", "default", "via", "1.2.3.4"],
            ],
        ),
        ("vtysh -c 'conf t' -c 'router ospf'", [["vtysh", "-c", "conf t", "-c", "router ospf"]]),
    ],
)
def test_commands_netsim_runs(command: str, steps: list[list[str]]) -> None:
    assert [list(s) for s in parse_command(command, {})] == steps


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("sh -c 'ip addr | grep eth1'", "shell operator '|'"),
        ("sh -c 'echo x > /etc/hosts'", "shell operator '>'"),
        ("sh -c 'ip link set $(cat /x) up'", "command substitution"),
        ("sysctl -w kernel.pid_max=10", "not per network namespace"),
        ("sleep 3600", "sleep takes one number"),
        ("sh -c 'echo $NOPE'", "$NOPE is not in the node's env"),
        ("apk add iperf3", "'apk' is not run here"),
    ],
)
def test_commands_netsim_refuses(command: str, reason: str) -> None:
    with pytest.raises(CommandError, match=re.escape(reason)):
        parse_command(command, {})


def test_netem_flags_as_containerlabs_cobra_reads_them() -> None:
    n = parse_netem(
        "containerlab tools netem set --node=c -i eth2 --delay 1m30s --jitter 1.5ms "
        "--loss 0.5 --corruption 1 -r docker"
    )
    assert (n.container, n.interface, n.delay_s, n.jitter_s) == ("c", "eth2", 90.0, 0.0015)
    # corrupted frames fail their checksum: they count as lost
    assert n.params(LinkParams()).loss == pytest.approx(1 - 0.995 * 0.99)
    assert go_duration("500us") == go_duration("500µs") == pytest.approx(5e-4)
    for bad, reason in (
        ("containerlab tools netem set -i eth1", "--node is required"),
        ("containerlab tools netem set -n c -i e --jitter 1ms", "jitter cannot be set without"),
        ("containerlab tools netem set -n c -i e --loss 120", "between 0 and 100"),
        ("containerlab tools netem set -n c -i e --delay 10", "invalid duration"),
        ("containerlab tools netem show -n c", "netsim runs no commands on the host"),
    ):
        with pytest.raises(CommandError, match=reason):
            parse_netem(bad)

"""What FRR says about a configuration, read back as located problems (no root needed)."""

from __future__ import annotations

from pathlib import Path

from netsim.lab.daemons.frrconf import (
    dryrun_problems,
    isis_pending,
    ospf6_pending,
    ospf_pending,
    read_daemons_file,
    rejected_lines,
    skipped_sections,
)

# What FRR 8.4's vtysh printed for a file with two lines it refuses (seen on the lab host).
DRYRUN = (
    "line 10: % Unknown command[41]:  bogus command here\n"
    "line 15: % Unknown command[25]:  bgp foo\n"
)
APPLY = """% Specify remote-as or peer-group commands first
line 13: Failure to communicate[13] to bgpd, line:  neighbor 10.0.0.9 route-map NOPE in

% Invalid value
line 14: Failure to communicate[13] to bgpd, line:  neighbor 10.0.0.2 timers 3 1

Configuration file[/etc/frr/x/frr.conf] processing failure: 13
"""


def test_dryrun_and_apply_output_become_file_line_problems() -> None:
    conf = Path("r1/frr.conf")
    assert [str(p) for p in dryrun_problems("r1", conf, DRYRUN)] == [
        "r1/frr.conf:10: r1: FRR rejects `bogus command here`: Unknown command",
        "r1/frr.conf:15: r1: FRR rejects `bgp foo`: Unknown command",
    ]
    assert [str(p) for p in rejected_lines("r1", conf, APPLY)] == [
        "r1/frr.conf:13: r1: FRR rejects `neighbor 10.0.0.9 route-map NOPE in`: "
        "Specify remote-as or peer-group commands first",
        "r1/frr.conf:14: r1: FRR rejects `neighbor 10.0.0.2 timers 3 1`: Invalid value",
    ]
    assert rejected_lines("r1", conf, "") == []
    (whole,) = dryrun_problems("r1", conf, "vtysh: something else\n")
    assert whole.line == 0
    assert "something else" in whole.message


def test_a_section_for_a_daemon_that_does_not_run_is_named(tmp_path: Path) -> None:
    conf = tmp_path / "frr.conf"
    conf.write_text(
        "hostname r\n!\nrouter bgp 65001\n neighbor 1.2.3.4 remote-as 2\n!\nrouter ospf\n"
    )
    programs = read_daemons_file("ospfd=yes\n")
    (problem,) = skipped_sections("r", conf, programs)
    assert problem.line == 3
    assert "configures bgpd, which the node's daemons file does not enable" in problem.message


def test_ospf_waits_for_adjacencies_but_not_for_passive_or_silent_interfaces() -> None:
    interfaces = {
        "interfaces": {
            "eth1": {"state": "Waiting", "timerPassiveIface": True, "nbrCount": 0},
            "eth2": {"state": "Point-To-Point", "nbrAdjacentCount": 1},
            "eth3": {"state": "Waiting", "nbrCount": 1},
            "eth4": {"state": "Point-To-Point", "nbrAdjacentCount": 0, "timerDeadSecs": 4},
        }
    }
    neighbors = {
        "neighbors": {
            "10.0.0.2": [{"nbrState": "ExStart/-"}],
            "10.0.0.3": [{"state": "Full/DR", "upTimeInMsec": 60000}],
            "10.0.0.4": [{"state": "Full/-", "upTimeInMsec": 2000}],
        }
    }
    peers = frozenset({"eth2", "eth4"})
    assert ospf_pending("r", interfaces, neighbors, running_s=1.0, peers=peers) == [
        "r: OSPF interface eth3 is waiting (DR election)",
        "r: OSPF interface eth4 has no adjacency yet",
        "r: OSPF neighbour 10.0.0.2 is ExStart",
        # a router re-originates its LSA at most every 5 s: this adjacency may be unannounced
        "r: OSPF adjacency with 10.0.0.4 is new; its LSAs may be held",
    ]
    # after its dead interval, an interface nobody answers on has no neighbour to wait for
    assert "eth4" not in " ".join(
        ospf_pending("r", interfaces, neighbors, running_s=5.0, peers=peers)
    )
    # nor on one whose far end runs no ospfd at all
    assert "eth4" not in " ".join(
        ospf_pending("r", interfaces, neighbors, running_s=1.0, peers=frozenset())
    )
    assert ospf_pending("r", {}, {}, running_s=0.0, peers=peers) == []


def test_ospf6_pending_reads_ospf6d_json() -> None:
    interfaces = {
        "eth1": {"status": "up", "attachedToArea": True, "ospf6InterfaceState": "PointToPoint"},
        "eth2": {"status": "up", "attachedToArea": True, "ospf6InterfaceState": "Waiting"},
        "eth3": {"status": "up", "ospf6InterfaceState": "PointToPoint"},
        "eth4": {"status": "down", "ospf6InterfaceState": "Down"},
    }
    neighbors = {
        "neighbors": [
            {
                "neighborId": "10.0.0.2",
                "state": "Full",
                "duration": "00:00:02",
                "interfaceName": "eth1",
            },
            {
                "neighborId": "10.0.0.3",
                "state": "ExStart",
                "duration": "00:00:01",
                "interfaceName": "eth2",
            },
            # a hello heard before the far end had its router ID: it ages out by itself
            {
                "neighborId": "0.0.0.0",
                "state": "Init",
                "duration": "00:00:09",
                "interfaceName": "eth3",
            },
        ]
    }
    peers = frozenset({"eth1", "eth3", "eth4"})
    assert ospf6_pending("r", interfaces, neighbors, running_s=3.0, peers=peers) == [
        "r: OSPFv3 interface eth2 is waiting (DR election)",
        "r: OSPFv3 interface eth3 has no adjacency yet",
        "r: OSPFv3 adjacency with 10.0.0.2 is new; its LSAs may be held",
        "r: OSPFv3 neighbour 10.0.0.3 is ExStart",
    ]
    later = {"neighbors": [dict(neighbors["neighbors"][0], duration="00:01:00")]}
    assert ospf6_pending("r", {"eth1": interfaces["eth1"]}, later, running_s=60, peers=peers) == []


def test_isis_pending_reads_isisd_json() -> None:
    interfaces = {
        "areas": [
            {
                "area": "core",
                "circuits": [
                    {"circuit": 0, "interface": {"name": "eth1", "state": "Up"}},
                    {"circuit": 0, "interface": {"name": "eth2", "state": "Up"}},
                    {"circuit": 0, "interface": {"name": "eth3", "state": "Up"}},
                ],
            }
        ]
    }
    neighbors = {
        "areas": [
            {
                "area": "core",
                "circuits": [
                    {"circuit": 0, "adj": "r2", "interface": "eth1", "state": "Up"},
                    {"circuit": 0, "adj": "r3", "interface": "eth2", "state": "Initializing"},
                    {"circuit": 0},
                ],
            }
        ]
    }
    peers = frozenset({"eth1", "eth2"})
    assert isis_pending("r", interfaces, neighbors, running_s=12.0, peers=peers) == [
        "r: IS-IS adjacency on eth2 is Initializing",
        "r: IS-IS interface eth2 has no adjacency yet",
        # the LSP that announces eth1's adjacency may wait for lsp-gen-interval (30 s)
        "r: IS-IS LSP announcing its adjacencies may be held (lsp-gen-interval)",
    ]
    assert isis_pending("r", interfaces, neighbors, running_s=40.0, peers=peers) == [
        "r: IS-IS adjacency on eth2 is Initializing",
    ]
    assert isis_pending("r", {}, {}, running_s=0.0, peers=peers) == []

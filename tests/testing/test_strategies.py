"""The strategies build valid model objects of the promised shapes."""

from __future__ import annotations

import itertools

import yaml
from hypothesis import given, settings

from netsim.model import load_topology
from netsim.model.load_topology import read_topology
from netsim.model.scenario import FailureMode, Scenario, TargetKind, TrafficKind
from netsim.model.source import parse_yaml
from netsim.model.topology import LinkKind, Role, Topology
from netsim.testing import strategies, topologies
from netsim.verify import bounds

HUB = load_topology("topologies/megaport-hub.yaml")


@given(strategies.schedules(HUB, max_parts=4, permanent=True))
def test_schedules_name_real_elements_and_are_sorted(schedule: tuple) -> None:
    names = {
        "link": {x.name for x in HUB.links},
        "node": set(HUB.node_names),
        "group": {g.name for g in HUB.groups},
    }
    for f in schedule:
        assert f.name in names[f.target.value]
        assert f.at >= 0.0
        assert f.duration is None or f.duration > 0
        assert (f.mode is FailureMode.LOSS) == (f.loss > 0)
        assert f.loss <= 0.3
    assert [f.at for f in schedule] == sorted(f.at for f in schedule)


@given(strategies.flapping(HUB, max_cycles=5))
def test_flapping_is_one_element_down_and_up_repeatedly(flap: tuple) -> None:
    assert 2 <= len(flap) <= 5
    assert len({(f.target, f.name, f.mode, f.duration) for f in flap}) == 1
    period = flap[1].at - flap[0].at
    assert period > flap[0].duration  # up again before the next drop
    for a, b in itertools.pairwise(flap):
        assert abs((b.at - a.at) - period) < 1e-6


def test_overlapping_failures_overlap() -> None:
    @settings(max_examples=30, derandomize=True, database=None)
    @given(strategies._overlapping(HUB))
    def check(pair: tuple) -> None:
        first, second = pair
        assert first.at <= second.at <= first.at + (first.duration or 30.0) + 1e-6

    check()


def test_back_to_back_failures_touch() -> None:
    @settings(max_examples=30, derandomize=True, database=None)
    @given(strategies._back_to_back(HUB))
    def check(pair: tuple) -> None:
        if len(pair) == 2:
            first, second = pair
            assert abs(second.at - (first.at + first.duration)) < 1e-6

    check()


@given(strategies.traffic_mixes(HUB, kinds=("one-way", "request-response", "bulk")))
def test_traffic_runs_between_distinct_clouds(traffic: tuple) -> None:
    clouds = set(HUB.endpoints_of())
    assert 1 <= len(traffic) <= 2
    assert len({c.name for c in traffic}) == len(traffic)
    for c in traffic:
        assert c.src in clouds
        assert set(c.dsts) <= clouds
        assert c.src not in c.dsts
        if c.kind is TrafficKind.BULK:
            assert c.transfers
            assert c.rate == 0
        else:
            assert 5 <= c.rate <= 20


@given(topologies.hub_and_spoke_yaml(min_spokes=2, max_spokes=6))
def test_hub_and_spoke_yaml_loads_and_has_the_promised_shape(text: str) -> None:
    doc = yaml.safe_load(text)
    topo = read_topology(parse_yaml(text, "generated"))
    hubs = [n for n in topo.nodes if n.role is Role.EXCHANGE]
    spokes = [n for n in topo.nodes if n.role is Role.CLOUD]
    assert len(hubs) in (1, 2, 3)
    assert 2 <= len(spokes) <= 6
    assert all(not s.carries_transit for s in spokes)
    assert all(h.carries_transit for h in hubs)
    # the hubs are chained; with several, one shared-risk group spans them
    inter = {x.name for x in topo.links if {*x.endpoints} <= {h.name for h in hubs}}
    assert len(inter) == len(hubs) - 1
    if inter:
        assert inter <= set(topo.group("hubs-srlg").links)
    assert topo.endpoints_of() == tuple(s.name for s in spokes)
    for s in spokes:  # every spoke is homed on at least one hub
        assert any(x.kind is LinkKind.INTERCONNECT for x in topo.links_of(s.name))
    for x in topo.links:
        assert x.bgp.hold >= x.bgp.keepalive
        if x.kind is LinkKind.VPN:
            assert x.preference == 50
            assert x.dpd is not None
            assert set(x.underlay) <= {y.name for y in topo.links}
    assert {g.name for g in topo.groups} <= {f"{h.name}-srlg" for h in hubs} | {"hubs-srlg"}
    assert doc["name"] == topo.name


def test_hub_and_spoke_draws_mixed_timers_and_the_new_keys() -> None:
    """Over many draws: BFD of several speeds and none, secondary homings at 90, MRAI,
    multipath and prepending all appear (so the property suite exercises them)."""
    seen: dict[str, set[object]] = {k: set() for k in ("bfd", "pref", "mrai", "paths", "prepend")}

    @given(topologies.hub_and_spoke(max_spokes=4))
    @settings(max_examples=60, derandomize=True, database=None)
    def draw(topo: Topology) -> None:
        for x in topo.links:
            if x.kind is LinkKind.INTERCONNECT:
                seen["bfd"].add(None if x.bfd is None else x.bfd.detection)
                seen["pref"].add(x.preference)
                seen["prepend"].add(x.prepend)
        for n in topo.nodes:
            seen["mrai"].add(n.mrai)
            seen["paths"].add(n.max_paths)

    draw()
    assert None in seen["bfd"]
    assert len(seen["bfd"]) >= 4
    assert {90, 100} <= seen["pref"]
    assert {0.0, 2.0} <= seen["mrai"]
    assert {1, 2} <= seen["paths"]
    assert {0, 1} <= seen["prepend"]


@given(strategies.scenarios(topologies.hub_and_spoke(max_spokes=3)))
@settings(max_examples=10)
def test_scenarios_leave_time_to_settle(scenario: Scenario) -> None:
    assert isinstance(scenario.topology, Topology)
    last = max((f.at + (f.duration or 0.0) for f in scenario.failures), default=0.0)
    assert scenario.duration >= last + bounds.settle_bound(scenario.topology) + 10.0 - 1e-6
    assert all(f.at < scenario.duration for f in scenario.failures)


def test_elements_lists_links_nodes_and_groups() -> None:
    got = strategies.elements(HUB, exclude_nodes=("aws",))
    assert (TargetKind.GROUP, "megaport-mcr") in got
    assert (TargetKind.NODE, "aws") not in got
    assert len(got) == len(HUB.links) + len(HUB.nodes) - 1 + len(HUB.groups)


@given(strategies.fault_sequences(HUB, max_faults=3, exclude_nodes=("aws", "gcp")))
def test_fault_sequences_for_the_lab(faults: tuple) -> None:
    assert 1 <= len(faults) <= 3
    assert len({e for e, _ in faults}) == len(faults)
    for (target, name), mode in faults:
        assert target in (TargetKind.LINK, TargetKind.NODE)
        assert mode in ("down", "blackhole")
        assert (target, name) not in ((TargetKind.NODE, "aws"), (TargetKind.NODE, "gcp"))

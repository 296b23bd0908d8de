"""Availability Monte Carlo against closed-form series/parallel availability (the oracle).

Elements fail with ``mtbf`` 100 h and repair in ``mttr`` 10 h (A = 10/11) so that downtime
is large and a few thousand simulated years give a tight confidence interval. Detection and
convergence are made (nearly) instantaneous, so the Monte Carlo estimates exactly the
structure function the closed form computes; the hand formulas below are the oracle for
both.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from netsim.analysis.availability import closed_form, path_sets, relay_shifts, simulate_pairs
from netsim.analysis.demand import Demand, demand_of
from netsim.analysis.outages import YEAR_S, elements
from netsim.cli.main import main
from netsim.model.dist import Dist
from netsim.model.scenario import Scenario, TrafficClass, TrafficKind
from netsim.model.topology import Bfd, Bgp, Group, Link, LinkKind, Node, Role, Topology

A = 100.0 / 110.0  # availability of every element below
ROOT = Path(__file__).resolve().parents[2]


def _link(
    name: str,
    a: str,
    b: str,
    pref: int = 100,
    *,
    mtbf: float | None = 100 * 3600.0,
    detect: float = 1e-6,
    convergence: float = 0.0,
) -> Link:
    return Link(
        name,
        LinkKind.INTERCONNECT,
        (a, b),
        1e9,
        Dist.constant(0.001),
        Dist.constant(convergence),
        pref,
        Bgp(30.0, 90.0, 0.0),
        mtbf=mtbf,
        mttr=Dist.constant(10 * 3600.0),
        bfd=Bfd(detect, 1),
    )


def _topo(
    links: list[Link], routers: tuple[str, ...] = (), groups: tuple[Group, ...] = ()
) -> Topology:
    nodes = (Node("a", Role.CLOUD), Node("b", Role.CLOUD), *(Node(r, Role.ROUTER) for r in routers))
    return Topology("t", nodes, tuple(links), groups)


SERIES = _topo([_link("l1", "a", "r"), _link("l2", "r", "b")], ("r",))
PARALLEL = _topo([_link("l1", "a", "b"), _link("l2", "a", "b", pref=50)])
# Two 2-link paths through different routers, and a group holding one link of each.
SP_GROUP = Group("srg", ("l1", "l3"), (), 100 * 3600.0, Dist.constant(10 * 3600.0))
SERIES_PARALLEL = _topo(
    [
        _link("l1", "a", "r1"),
        _link("l2", "r1", "b"),
        _link("l3", "a", "r2", pref=50),
        _link("l4", "r2", "b", pref=50),
    ],
    ("r1", "r2"),
    (SP_GROUP,),
)
CASES = {
    "series": (SERIES, A * A),
    "parallel": (PARALLEL, 1 - (1 - A) ** 2),
    "series-parallel": (SERIES_PARALLEL, A * (1 - (1 - A * A) ** 2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_closed_form_matches_hand_formula(case: str) -> None:
    topo, expected = CASES[case]
    assert closed_form(topo, "a", "b") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_monte_carlo_ci_contains_closed_form(case: str) -> None:
    topo, expected = CASES[case]
    (pair,) = simulate_pairs(topo, 3000, seed=2)
    lo, hi = pair.ci
    assert lo <= expected <= hi, (pair.simulated, pair.ci, expected)
    assert hi - lo < 0.004  # and the interval is informative
    assert pair.downtime_min.mean() == pytest.approx((1 - pair.simulated) * YEAR_S / 60)


def test_detection_and_convergence_gaps_cost_downtime() -> None:
    """Parallel links, the preferred one detected after 30 s and rerouted 10 s later: each
    of its failures costs ~40 s while the backup is up, on top of the structure function.
    Expected failures per year: YEAR / (mtbf + mttr)."""
    topo = _topo(
        [_link("l1", "a", "b", detect=30.0, convergence=10.0), _link("l2", "a", "b", pref=50)]
    )
    (pair,) = simulate_pairs(topo, 2000, seed=5)
    failures = YEAR_S / (110 * 3600.0)
    gap_min = failures * 40.0 * A / 60  # backup up during the gap
    structural_min = (1 - A) ** 2 * YEAR_S / 60
    assert pair.downtime_min.mean() == pytest.approx(structural_min + gap_min, rel=0.05)


def test_inclusion_exclusion_equals_enumeration() -> None:
    """Two formulas for the same probability: state enumeration over elements and
    inclusion-exclusion over minimal path sets."""
    topo = load_hub()
    for a, b in (("aws", "gcp"), ("gcp", "azure")):
        assert closed_form(topo, a, b, "paths") == pytest.approx(
            closed_form(topo, a, b, "enumerate"), abs=1e-13
        )
    topo, expected = CASES["series-parallel"]
    assert closed_form(topo, "a", "b", "paths") == pytest.approx(expected, rel=1e-12)


def load_hub() -> Topology:
    from netsim.model import load_topology

    return load_topology(ROOT / "topologies" / "megaport-hub.yaml")


def test_hub_elements_and_paths() -> None:
    """ADR-003: the MCR group breaks the three interconnects (as a blackhole: its
    ``failure_mode``); an internet access link breaks the two tunnels over it (as
    blackholes); aws-gcp has two simple paths, since azure carries no transit (five before
    issue 10: also through azure)."""
    topo = load_hub()
    by_name = {e.name: e for e in elements(topo)}
    assert by_name["megaport-mcr"].breaks == (
        ("aws-mcr", True),
        ("azure-mcr", True),
        ("gcp-mcr", True),
    )
    assert by_name["aws-inet"].breaks == (("vpn-aws-azure", True), ("vpn-aws-gcp", True))
    assert sorted(path_sets(topo, "aws", "gcp"), key=sorted) == [
        frozenset({"aws-mcr", "gcp-mcr"}),
        frozenset({"vpn-aws-gcp"}),
    ]


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "availability",
                str(ROOT / "topologies" / "megaport-hub.yaml"),
                "--years",
                "200",
                "--seed",
                "3",
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["years"] == 200
    assert [(p["a"], p["b"]) for p in doc["pairs"]] == [
        ("aws", "gcp"),
        ("aws", "azure"),
        ("gcp", "azure"),
    ]
    for p in doc["pairs"]:
        assert set(p) >= {"a", "b", "simulated", "ci", "closed_form", "downtime_min_per_year"}
        assert p["ci"][0] <= p["simulated"] <= p["ci"][1]
        assert p["simulated"] <= p["closed_form"] + 1e-9  # gaps only remove uptime
        assert set(p["downtime_min_per_year"]) >= {"mean", "p50", "p95"}
        assert math.isfinite(p["downtime_min_per_year"]["p95"])


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    hub = str(ROOT / "topologies" / "megaport-hub.yaml")
    assert main(["availability", hub, "--years", "0"]) == 2
    assert main(["availability", str(ROOT / "scenarios" / "baseline.yaml")]) == 2
    assert main(["availability", str(tmp_path / "missing.yaml")]) == 2


def test_one_year_has_no_interval(capsys: pytest.CaptureFixture[str]) -> None:
    """One batch gives no variance estimate: the CI is null (valid JSON), not NaN."""
    hub = str(ROOT / "topologies" / "megaport-hub.yaml")
    assert main(["availability", hub, "--years", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all(p["ci"] == [None, None] for p in doc["pairs"])


# ---- availability as the SLO sees it (issue 10 item 6) -----------------------------------
def _slo_topology() -> Topology:
    """a-b over a 10 Gbit/s primary (A = 10/11) and a 1 Gbit/s fallback that never fails."""
    primary = _link("l1", "a", "b")
    fallback = dataclasses.replace(_link("l2", "a", "b", pref=50, mtbf=None), capacity=1e9)
    return _topo([dataclasses.replace(primary, capacity=10e9), fallback])


def _load(bits_per_s: float, src: str = "a", dst: str = "b") -> Demand:
    topo = _slo_topology()
    stream = TrafficClass("bulk", TrafficKind.BULK, src, (dst,), volume_rate=bits_per_s / 8)
    return demand_of(Scenario("load", topo, 3600.0, 0.0, 1, (stream,)))


def test_meets_slo_counts_a_fallback_too_small_for_the_load_as_down() -> None:
    """Oracle: with 2 Gbit/s declared, the pair meets its SLO only while the primary is up
    (A = 10/11, detection and convergence nearly instantaneous); it is connected always.
    With 0.5 Gbit/s the fallback carries it: both are 1."""
    topo = _slo_topology()
    (heavy,) = simulate_pairs(topo, 2000, 5, _load(2e9))
    assert heavy.simulated == pytest.approx(1.0, abs=1e-6)
    assert heavy.meets_slo is not None
    lo, hi = heavy.meets_slo.ci
    assert lo <= A <= hi
    (light,) = simulate_pairs(topo, 200, 5, _load(0.5e9))
    assert light.meets_slo is not None
    assert light.meets_slo.mean == pytest.approx(1.0, abs=1e-6)
    # The pair's other direction counts the same (responses, traffic from b to a).
    (back,) = simulate_pairs(topo, 2000, 5, _load(2e9, "b", "a"))
    assert back.meets_slo is not None
    assert back.meets_slo.mean == pytest.approx(heavy.meets_slo.mean, abs=1e-9)
    doc = heavy.to_json()
    assert doc["meets_slo"] == pytest.approx(heavy.meets_slo.mean, abs=1e-9)
    assert set(doc) >= {"meets_slo", "meets_slo_ci", "meets_slo_downtime_min_per_year"}


def test_cli_meets_slo_with_load(capsys: pytest.CaptureFixture[str]) -> None:
    """`--load SCENARIO`: every pair carries "meets_slo"; replication-during-failover's
    mean 4.4 Gbit/s aws->gcp does not fit the 1.25 Gbit/s VPN, so that pair's SLO
    availability is below its connected one, while the other pairs' equal theirs."""
    hub = str(ROOT / "topologies" / "megaport-hub.yaml")
    load = str(ROOT / "scenarios" / "replication-during-failover.yaml")
    args = ["availability", hub, "--years", "200", "--seed", "2", "--json"]
    assert main([*args, "--load", load]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["load"] == "replication-during-failover"
    by_pair = {(p["a"], p["b"]): p for p in doc["pairs"]}
    assert by_pair[("aws", "gcp")]["meets_slo"] < by_pair[("aws", "gcp")]["simulated"]
    for pair in (("aws", "azure"), ("gcp", "azure")):
        assert by_pair[pair]["meets_slo"] == pytest.approx(by_pair[pair]["simulated"])
    assert main(args) == 0
    assert all("meets_slo" not in p for p in json.loads(capsys.readouterr().out)["pairs"])
    other = str(ROOT / "tests" / "verify" / "data" / "four-site.yaml")
    assert main(["availability", other, "--years", "5", "--load", load]) == 0  # same nodes
    capsys.readouterr()


def test_relay_shifts_follow_the_preferred_path_through_each_link() -> None:
    """MRAI in the Monte Carlo: a source hears of a link after the MRAI of the routers
    that pass the news on, those between it and the link's near end on the most preferred
    path through the link (the near end itself sends at once)."""
    nodes = (
        Node("a", Role.CLOUD),
        Node("r", Role.ROUTER, mrai=5.0),
        Node("x", Role.ROUTER, mrai=7.0),
        Node("b", Role.CLOUD),
    )
    links = (
        _link("l1", "a", "r"),
        _link("l2", "r", "x"),
        _link("l3", "x", "b"),
        _link("l4", "a", "b", pref=50),
    )
    assert relay_shifts(Topology("chain", nodes, links), "a", "b") == {
        "l1": 0.0,
        "l2": 0.0,
        "l3": 5.0,
        "l4": 0.0,
    }
    assert relay_shifts(_slo_topology(), "a", "b") == {}  # no MRAI anywhere


def test_more_links_than_a_64_bit_mask_holds() -> None:
    """A topology of 70 routed links (a 20-region VPN mesh has 230): the two links of the
    series pair come last, past what one int64 mask holds, and their failures must count as
    they do in the two-link topology (oracle: the series formula A^2, and the two-link run,
    which draws the same failures: links that never fail add no random draws)."""
    filler = [_link(f"f{i:02d}", f"z{i}", f"z{i + 1}", mtbf=None) for i in range(68)]
    routers = ("r", *(f"z{i}" for i in range(69)))
    big = _topo([*filler, _link("l1", "a", "r"), _link("l2", "r", "b")], routers)
    assert len(big.routed_links) == 70
    (pair,) = simulate_pairs(big, 3000, seed=2)
    (small,) = simulate_pairs(SERIES, 3000, seed=2)
    lo, hi = pair.ci
    assert lo <= A * A <= hi, (pair.simulated, pair.ci)
    assert pair.simulated == pytest.approx(small.simulated, abs=1e-12)


def _generated(sites: int, hubs: int, vpn: str) -> Topology:
    from netsim.model.design_text import generate_design
    from netsim.model.load_topology import read_topology
    from netsim.model.source import parse_yaml

    text = generate_design(sites, hubs=hubs, vpn=vpn).topology
    return read_topology(parse_yaml(text, "generated.yaml"))


def test_a_pair_is_judged_on_its_own_links_with_the_same_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Oracle: the same years judged on the state of every routed link (the scope patched
    to all of them, as before) give the same figures: the links off a pair's simple paths
    never change its route."""
    from netsim.analysis import availability

    topo = _generated(5, 2, "ring")  # pairs with and without a tunnel, two hubs: a VXC
    scoped = simulate_pairs(topo, 40, 3)
    monkeypatch.setattr(availability, "pair_scope", lambda _t, names, _a, _b: names)
    everything = simulate_pairs(topo, 40, 3)
    assert [(p.a, p.b) for p in scoped] == [(p.a, p.b) for p in everything]
    for mine, full in zip(scoped, everything, strict=True):
        assert mine.simulated == pytest.approx(full.simulated, abs=1e-12)
        assert mine.downtime_min == pytest.approx(full.downtime_min, rel=1e-9, abs=1e-9)


def test_a_large_vpn_mesh_judges_a_few_states_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Oracle: counting. A pair of a 12-region mesh on one hub depends on 3 links (its two
    interconnects, its tunnel) and their states in a few years are a few dozen; before,
    every pair judged every state of the network's 78 links (about 360 a year here, each
    a routing search), so 200 years of a 20-region mesh took over ten minutes and 3 GB."""
    from netsim.analysis import availability

    topo = _generated(12, 1, "mesh")
    judged = []
    down = availability._Judge.down

    def counted(self: availability._Judge, a: str, b: str, broken: int, routing: int) -> bool:
        judged.append((a, b))
        return down(self, a, b, broken, routing)

    monkeypatch.setattr(availability._Judge, "down", counted)
    pairs = simulate_pairs(topo, 3, 1)
    assert len(pairs) == 66
    assert len(judged) <= 66 * 4**3  # (broken, routing) of 3 links: at most 4 each

"""Findings follow the numbers: change the topology and they change with it.

Oracles: the topology itself (a second MCR removes the articulation point; ``netsim
check``'s own search counts the pairs a failure hits), arithmetic on the ADR's figures
(0.9999 ** 3), and re-simulation (a VPN twice as large carries twice as much).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from netsim.analysis.graph import graph_spofs, pair_availability, pair_spofs
from netsim.model.units import parse_bitrate
from netsim.report.adr import ADR_003
from netsim.report.claims import adr_claims
from netsim.report.costing import cost_model
from netsim.report.fig_availability import availability_data
from netsim.report.findings import (
    Context,
    finding_availability,
    finding_cost,
    finding_detection,
    finding_fallback,
    finding_spof,
    finding_success,
)
from netsim.report.findings.design import pairs_hit
from netsim.report.tables import cost_table
from netsim.report.vocab import SourceKind, Status
from netsim.verify.check import CheckOptions, check_topology

from .conftest import HUB, short_failover, topology_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.report.data import Run
    from netsim.report.jobs import Planned


def variant(edit: Callable[[dict[str, Any]], None]) -> str:
    data = yaml.safe_load(HUB.read_text())
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def link(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(x for x in data["links"] if x["name"] == name)


def second_mcr(data: dict[str, Any]) -> None:
    data["nodes"]["mcr2"] = copy.deepcopy(data["nodes"]["mcr"])
    for name in ("aws-mcr", "gcp-mcr", "azure-mcr"):
        twin = copy.deepcopy(link(data, name))
        twin["name"] = name.replace("mcr", "mcr2")
        twin["endpoints"] = [e if e != "mcr" else "mcr2" for e in twin["endpoints"]]
        data["links"].append(twin)


def vpn_capacity(capacity: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        link(data, "vpn-aws-gcp")["capacity"] = capacity
        # a faster tunnel also forwards more packets: scale its max_pps with the capacity
        scale = parse_bitrate(capacity) / 1.25e9
        link(data, "vpn-aws-gcp")["max_pps"] = f"{140000 * scale:.0f}/s"

    return edit


def ctx(topology_text: str | None = None, runs: list[Run] | None = None, **more: Any) -> Context:
    topo = topology_of(topology_text or HUB.read_text())
    return Context(topo, runs or [], ADR_003, **more)


def test_a_second_mcr_removes_the_single_point_of_failure() -> None:
    before, after = finding_spof(ctx()), finding_spof(ctx(variant(second_mcr)))
    assert before is not None
    assert after is not None
    assert before.status is Status.AT_RISK  # the VPN keeps every pair connected
    assert before.text.startswith("mcr is a single point of failure")
    assert "3 of 3 pairs" in before.text
    assert before.source is not None
    assert before.source.kind is SourceKind.ADR  # the ADR names Megaport as critical path
    assert after.status is Status.HOLDS
    two = topology_of(variant(second_mcr))
    assert graph_spofs(two, "primary").articulation_points == ()
    assert [c.name for c in pair_spofs(two, "aws", "gcp", "primary")] == []
    one = topology_of(HUB.read_text())
    assert (1 - pair_availability(two, "aws", "gcp", "primary")) < 0.01 * (
        1 - pair_availability(one, "aws", "gcp", "primary")
    )


def test_the_spof_count_is_netsim_checks() -> None:
    """The pairs a failure takes off their preferred path, per element, are the single
    failures ``netsim check`` reports (one search, two readers)."""
    hub = topology_of(HUB.read_text())
    report = check_topology(hub, CheckOptions(1, None, "auto", False, "fast"), None)
    from_check = {
        name.split(" ", 1)[1]: len({f.pair for f in fs if f.pair})
        for name, fs in report.spofs().items()
    }
    assert {e: len(p) for e, p in pairs_hit(hub).items()} == from_check


def test_the_availability_finding_counts_the_elements_of_the_path() -> None:
    hub = topology_of(HUB.read_text())
    finding = finding_availability(ctx(avail=availability_data(hub, years=20)))
    assert finding is not None
    assert finding.status is Status.FAILS
    assert "crosses 3 elements in series" in finding.text
    assert "99.970%" in finding.text  # 0.9999 ** 3
    assert finding.source is not None
    assert "99.99% uptime" in finding.source.text


def test_a_link_without_a_failure_model_is_named() -> None:
    def bare(data: dict[str, Any]) -> None:
        for key in ("mtbf", "mttr"):
            link(data, "azure-mcr").pop(key, None)
        data["groups"]["megaport-mcr"]["members"].remove("azure-mcr")

    text = variant(bare)
    finding = finding_availability(ctx(text, avail=availability_data(topology_of(text), years=0)))
    assert finding is not None
    assert "1 link has no failure model and never fails: azure-mcr" in finding.text


THREE_CLOUDS = """
name: three-clouds
nodes:
  a: {role: cloud, asn: 64512, prefixes: [10.1.0.0/16]}
  b: {role: cloud, asn: 64513, prefixes: [10.2.0.0/16]}
  c: {role: cloud, asn: 64514, prefixes: [10.3.0.0/16]}
links:
  # a-b: a poor circuit (mtbf 100 h, mttr 10 h: 90.9 %) behind a good VPN
  - {name: a-b, kind: interconnect, endpoints: [a, b], capacity: 10Gbps, mtbf: 100h, mttr: 10h}
  - {name: vpn-a-b, kind: vpn, endpoints: [a, b], capacity: 1Gbps, mtbf: 1000h, mttr: 1h}
  # a-c and b-c: good circuits (mtbf 8760 h, mttr 4 h: 99.954 %) with no fallback at all
  - {name: a-c, kind: interconnect, endpoints: [a, c], capacity: 10Gbps, mtbf: 8760h, mttr: 4h}
  - {name: b-c, kind: interconnect, endpoints: [b, c], capacity: 10Gbps, mtbf: 8760h, mttr: 4h}
"""


def test_the_availability_headline_names_the_worst_pair_of_the_whole_design() -> None:
    """Oracle: the closed forms by hand. a↔b's preferred path is the worst (a-b alone,
    100/110 = 90.9 %), but its VPN keeps it connected 1 - (10/110)(1/1001) = 99.991 %;
    a↔c and b↔c have no fallback, so with every fallback they are the design's least
    available pairs, 8760/8764 = 99.954 %: the headline must state that figure."""
    topo = topology_of(THREE_CLOUDS)
    data = availability_data(topo, years=0)
    whole = {(p.a, p.b): p.whole for p in data.pairs}
    assert whole[("a", "b")] == pytest.approx(1 - (10 / 110) * (1 / 1001))
    assert whole[("a", "c")] == pytest.approx(8760 / 8764)
    finding = finding_availability(Context(topo, [], None, avail=data))
    assert finding is not None
    assert "least available pair is a↔c: connected 99.95436%" in finding.text
    assert finding.text.startswith("a→b crosses 1 element in series")
    assert "90.909%" in finding.text  # the worst preferred path, as before
    assert "a↔c, 99.95436%" in finding.evidence[-1]


@pytest.fixture(scope="module")
def vpn_runs(simulate: Callable[[Planned], Run]) -> dict[str, Run]:
    out = {}
    for cap in ("1.25Gbps", "2.5Gbps", "10Gbps"):
        text = variant(vpn_capacity(cap))
        out[cap] = simulate(short_failover(text, key=f"vpn-{cap}"))
    return out


def test_doubling_the_vpn_doubles_what_it_carries(vpn_runs: dict[str, Run]) -> None:
    base = finding_fallback(ctx(runs=[vpn_runs["1.25Gbps"]]))
    double = finding_fallback(ctx(variant(vpn_capacity("2.5Gbps")), [vpn_runs["2.5Gbps"]]))
    assert base is not None
    assert double is not None
    assert base.status is double.status is Status.FAILS
    assert "vpn-aws-gcp (1.25 Gbit/s)" in base.text
    assert "vpn-aws-gcp (2.5 Gbit/s)" in double.text
    assert "mean 1.2" in base.evidence[2]
    assert "mean 2.4" in double.evidence[2]


def test_a_vpn_as_fast_as_the_replication_carries_it(vpn_runs: dict[str, Run]) -> None:
    finding = finding_fallback(ctx(variant(vpn_capacity("10Gbps")), [vpn_runs["10Gbps"]]))
    assert finding is not None
    assert finding.status is Status.HOLDS
    carried = re.search(r"carried ([0-9.]+) Gbit/s", finding.text)
    assert carried is not None
    # 5 Gbit/s of replication goodput is 5.41 Gbit/s on the tunnel's wire: every 1386 B of
    # payload travels with 52 B of TCP/IP headers and 62 B of ESP (issue 11)
    assert 4.5 < float(carried.group(1)) <= 5.0 * 1500 / 1386


def test_the_slowest_link_follows_its_bfd_and_convergence() -> None:
    """Oracle: detection + mean convergence per link from the topology's own numbers
    (Azure ER: BFD 300 ms x 3, convergence uniform 1-60 s, mean 30.5 s; GCP: BFD 1 s x 5
    + 1 s; AWS: 300 ms x 3 + 1 s)."""
    slow = finding_detection(ctx())
    assert slow is not None
    # No failover SLO without runs: the threshold is 1.5x the fastest link (a marked default).
    assert slow.status is Status.FAILS
    assert slow.source is not None
    assert not slow.source.cited
    assert slow.text.startswith("azure-mcr's")  # the ER gateway's convergence, not BFD

    def quick_azure(data: dict[str, Any]) -> None:
        link(data, "azure-mcr")["convergence"] = "1s"

    gcp = finding_detection(ctx(variant(quick_azure)))
    assert gcp is not None
    assert gcp.status is Status.FAILS
    assert gcp.text.startswith("gcp-mcr's BFD 1000 ms × 5")

    def fast_gcp(data: dict[str, Any]) -> None:
        quick_azure(data)
        link(data, "gcp-mcr")["bfd"] = {"interval": "300ms", "multiplier": 3}

    same = finding_detection(ctx(variant(fast_gcp)))
    assert same is not None
    assert same.status is Status.HOLDS
    assert same.figure is not None
    assert gcp.figure is not None
    assert slow.figure is not None
    assert same.figure < gcp.figure < slow.figure  # 0.9 + 1 s < 5 + 1 s < 0.9 + 30.5 s


def test_cost_finding_follows_the_cost_fields_and_the_declared_load(baseline_run: Run) -> None:
    hub = topology_of(HUB.read_text())
    assert baseline_run.scenario is not None
    model = cost_model(hub, scenario=baseline_run.scenario)
    finding = finding_cost(ctx(cost=model))
    assert finding is not None
    assert finding.status is Status.FAILS
    assert f"${model.total:,.0f}/month" in finding.text
    # The declared load: 10 TB/month of replication however short the run.
    assert model.load_gb_month > 10_000

    def cheap(data: dict[str, Any]) -> None:
        data["nodes"]["mcr"]["cost"] = {"monthly": 0}
        for x in data["links"]:
            x.setdefault("cost", {})["monthly"] = 10

    cheaper = cost_model(topology_of(variant(cheap)), scenario=baseline_run.scenario)
    assert cheaper.fixed_total == 10 * len(hub.links)
    found = finding_cost(ctx(variant(cheap), cost=cheaper))
    assert found is not None
    assert found.status is Status.HOLDS


def test_an_element_without_a_cost_model_is_named_and_left_out(baseline_run: Run) -> None:
    """Oracle: the topology format (docs/formats.md): a link or node with no ``cost:`` key
    has no price, so the report names it and its total is the other elements' sum (a
    lower bound), never a design made cheaper by an invented $0; ``cost: {monthly: 0}``
    is a declared price of $0 and is not named."""
    assert baseline_run.scenario is not None

    def unpriced(data: dict[str, Any]) -> None:
        del data["nodes"]["mcr"]["cost"]
        del link(data, "vpn-aws-gcp")["cost"]
        link(data, "vpn-aws-azure")["cost"] = {"monthly": 0}

    hub, text = topology_of(HUB.read_text()), variant(unpriced)
    full = cost_model(hub, scenario=baseline_run.scenario)
    part = cost_model(topology_of(text), scenario=baseline_run.scenario)
    assert part.unpriced == ("vpn-aws-gcp", "mcr")  # not vpn-aws-azure: declared $0
    assert full.unpriced == ()
    assert part.fixed_total == full.fixed_total - 3000 - 73 - 73  # mcr, vpn-aws-gcp, -azure
    finding = finding_cost(ctx(text, cost=part))
    assert finding is not None
    assert f"costs at least ${part.total:,.0f}/month" in finding.text
    assert "leaves out 2 elements without a cost model (vpn-aws-gcp, mcr)" in finding.text
    assert any("vpn-aws-gcp, mcr" in e for e in finding.evidence)
    table = cost_table(part)
    assert "at least" in table.caption
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows}
    assert cells["mcr"][2] == "no cost model"
    assert "total without vpn-aws-gcp, mcr" in cells

    def cheap(data: dict[str, Any]) -> None:
        unpriced(data)
        for x in data["links"]:
            if "cost" in x:
                x["cost"]["monthly"] = 10

    cheaper = cost_model(topology_of(variant(cheap)), scenario=baseline_run.scenario)
    found = finding_cost(ctx(variant(cheap), cost=cheaper))
    assert found is not None
    # The priced part is cheaper than egress, but what is left out could close the gap.
    assert found.status is Status.NOTE
    assert "no cost model" in found.title
    # nor can it show that ADR-003's "$15K/month" holds
    claim = next(
        c for c in adr_claims(ctx(variant(cheap), cost=cheaper), [found]) if "15K" in c.quote
    )
    assert claim.status is Status.NOTE
    assert claim.computed.startswith("at least ")


def test_a_success_ratio_slo_that_does_not_hold_is_a_finding(
    failover_run: Run, baseline_run: Run
) -> None:
    """Oracle: the runs' own verdicts. The review's success-ratio finding is as bad as the
    worst success-ratio SLO of the design's runs (a run whose requests fail must not leave
    the review saying only "at risk"), names every target, and is absent without one."""
    runs = [failover_run, baseline_run]
    slos = [s for r in runs for s in r.summary.slos if s.metric == "success_ratio"]
    assert slos
    finding = finding_success(ctx(runs=runs))
    assert finding is not None
    assert finding.status is Status.worst([Status.of(s.verdict, s.passed) for s in slos])
    for s in slos:
        assert f"≥ {s.target:g}" in finding.title
    assert finding.figure == min(s.judged_value for s in slos if s.judged_value is not None)
    assert not finding.higher_is_worse
    assert finding_success(ctx(runs=[])) is None


def test_the_comparison_shows_a_p95_slo_with_its_own_target(failover_run: Run) -> None:
    """The alternatives figure plots one latency SLO's worst window against a target
    line: value, target and quantile must be the same SLO's (a P50 target drawn on a P95
    axis misleads). The first P95 SLO is shown, else the first latency SLO."""
    import dataclasses

    from netsim.report.alternatives import headline_slo

    base = next(s for s in failover_run.summary.slos if s.metric == "latency")
    p50 = dataclasses.replace(base, name="p50", quantile=0.5, target=40.0)
    p95 = dataclasses.replace(base, name="p95", quantile=0.95, target=80.0)
    assert headline_slo([p50, p95]) is p95
    assert headline_slo([p50]) is p50
    assert headline_slo([]) is None

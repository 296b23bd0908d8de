"""Findings follow the numbers: change the topology and they change with it."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from netsim.analysis.graph import graph_spofs, pair_availability, pair_spofs
from netsim.model.units import parse_bitrate
from netsim.report.costing import cost_model
from netsim.report.fig_availability import availability_data
from netsim.report.findings import (
    finding_cost,
    finding_serial_path,
    finding_slow_detection,
    finding_spof,
    finding_vpn_capacity,
)

from .conftest import HUB, short_failover, topology_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model import Scenario
    from netsim.report.data import Run


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
    data["groups"]["megaport-mcr2"] = {
        "members": ["aws-mcr2", "gcp-mcr2", "azure-mcr2"],
        "mtbf": "43800h",
        "mttr": "2h",
    }


def vpn_capacity(capacity: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        link(data, "vpn-aws-gcp")["capacity"] = capacity
        # a faster tunnel also forwards more packets: scale its max_pps with the capacity
        scale = parse_bitrate(capacity) / 1.25e9
        link(data, "vpn-aws-gcp")["max_pps"] = f"{140000 * scale:.0f}/s"

    return edit


def test_a_second_mcr_removes_the_single_point_of_failure() -> None:
    one = topology_of(HUB.read_text())
    two = topology_of(variant(second_mcr))
    before, after = finding_spof(one), finding_spof(two)
    assert before.status == "risk"
    assert before.text.startswith("mcr is a single point of failure")
    assert "3 of 3 cloud pairs" in before.text
    assert after.status == "holds"
    assert "mcr" not in after.text.split(":")[0]
    assert graph_spofs(two, "primary").articulation_points == ()
    assert [c.name for c in pair_spofs(two, "aws", "gcp", "primary")] == []
    # The interconnect layer alone becomes far more available with the second hub.
    assert (1 - pair_availability(two, "aws", "gcp", "primary")) < 0.01 * (
        1 - pair_availability(one, "aws", "gcp", "primary")
    )


def test_the_serial_path_finding_counts_the_elements_of_the_path() -> None:
    hub = topology_of(HUB.read_text())
    finding = finding_serial_path(availability_data(hub, years=20))
    assert finding is not None
    assert finding.status == "risk"
    assert "crosses 3 elements in series" in finding.text
    assert "99.970%" in finding.text  # 0.9999 ** 3
    mesh = topology_of((HUB.parent / "full-mesh.yaml").read_text())
    direct = finding_serial_path(availability_data(mesh, years=20))
    assert direct is not None
    assert "crosses 1 element" in direct.text or "crosses one element" in direct.text


@pytest.fixture(scope="module")
def vpn_runs(simulate: Callable[[str, Scenario, str], Run]) -> dict[str, Run]:
    out = {}
    for cap in ("1.25Gbps", "2.5Gbps", "10Gbps"):
        text = variant(vpn_capacity(cap))
        out[cap] = simulate(f"vpn-{cap}", short_failover(text), text)
    return out


def test_doubling_the_vpn_doubles_what_it_carries(vpn_runs: dict[str, Run]) -> None:
    base = finding_vpn_capacity([vpn_runs["1.25Gbps"]])
    double = finding_vpn_capacity([vpn_runs["2.5Gbps"]])
    assert base is not None
    assert double is not None
    assert base.status == double.status == "risk"
    assert "vpn-aws-gcp (1.25 Gbit/s)" in base.text
    assert "vpn-aws-gcp (2.5 Gbit/s)" in double.text
    assert base.text != double.text
    # The evidence carries the measured rate: about the capacity in both cases.
    assert "mean 1.2" in base.evidence[2]
    assert "mean 2.4" in double.evidence[2]


def test_a_vpn_as_fast_as_the_replication_carries_it(vpn_runs: dict[str, Run]) -> None:
    finding = finding_vpn_capacity([vpn_runs["10Gbps"]])
    assert finding is not None
    assert finding.status == "holds"
    carried = re.search(r"carried ([0-9.]+) Gbit/s", finding.text)
    assert carried is not None
    # 5 Gbit/s of replication goodput is 5.41 Gbit/s on the tunnel's wire: every 1386 B of
    # payload travels with 52 B of TCP/IP headers and 62 B of ESP (issue 11)
    assert 4.5 < float(carried.group(1)) <= 5.0 * 1500 / 1386


def test_gcp_with_aws_bfd_timers_no_longer_fails_over_slower() -> None:
    hub = topology_of(HUB.read_text())
    slow = finding_slow_detection(hub, [])
    assert slow is not None
    assert slow.status == "risk"
    assert slow.title == "GCP fails over slower"
    assert "5.0 s against 0.9 s" in slow.text

    def fast_gcp(data: dict[str, Any]) -> None:
        link(data, "gcp-mcr")["bfd"] = {"interval": "300ms", "multiplier": 3}

    same = finding_slow_detection(topology_of(variant(fast_gcp)), [])
    assert same is not None
    assert same.status == "holds"


def test_cost_finding_follows_the_cost_fields(baseline_run: Run) -> None:
    hub = topology_of(HUB.read_text())
    model = cost_model(hub, baseline_run.trace, baseline_run.summary)
    finding = finding_cost(model)
    assert finding.status == "risk"
    assert f"${model.total:,.0f}/month" in finding.text

    def cheap(data: dict[str, Any]) -> None:
        data["nodes"]["mcr"]["cost"] = {"monthly": 0}
        for x in data["links"]:
            x.setdefault("cost", {})["monthly"] = 10

    cheaper = cost_model(topology_of(variant(cheap)), baseline_run.trace, baseline_run.summary)
    assert cheaper.fixed_total == 10 * len(hub.links)
    assert finding_cost(cheaper).status == "holds"

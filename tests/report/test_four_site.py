"""A design that is not ADR-003, written by hand as a user would (``data/four-site``), gets a
complete and correct report.

Oracles: the user's own files (the topology's name, the SLO targets of 60 and 120 ms, the
20 TB/month the scenario declares, the link that has no mtbf), ``netsim check`` on the same
topology (the pairs a failure of the exchange takes off their path), and the rule that ADR
claims apply only to ADR-003.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from netsim.model import load_topology
from netsim.verify.check import CheckOptions, check_topology

from .conftest import DATA

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.report.build import Report

pytestmark = pytest.mark.slow  # a whole review


def test_the_report_is_about_the_users_design(four_site: tuple[Report, Path]) -> None:
    report, out = four_site
    html = (out / "report.html").read_text()
    numbers = json.loads((out / "report.json").read_text())
    assert report.title == "Design review: four-site"
    assert numbers["topology"] == "four-site"
    assert "unknown topology" not in html
    latency = next(f for f in report.findings if f.key == "latency")
    assert "P95 ≤ 60 ms, P95 ≤ 120 ms" in latency.title  # the user's targets, not the ADR's 50 ms
    assert "50 ms" not in latency.title
    # No ADR claim for a design that is not ADR-003's: no $40K, no 99.99 %.
    assert "$40,000" not in html
    assert "ADR claim" not in json.dumps(numbers["findings"])
    assert not numbers["claims"]


def test_cost_uses_the_declared_volume(four_site: tuple[Report, Path]) -> None:
    report, _ = four_site
    cost = report.assessment.cost
    assert cost is not None
    # 20 TB/month of backup plus the API calls: declared, whatever the peak hour carried.
    assert cost.load_gb_month > 20_000
    assert "declares" in cost.basis


def test_it_says_which_link_has_no_failure_model(four_site: tuple[Report, Path]) -> None:
    report, _ = four_site
    availability = next(f for f in report.findings if f.key == "availability")
    assert "oci-fabric" in availability.text
    assert "no failure model" in availability.text


def test_the_single_point_of_failure_agrees_with_netsim_check(
    four_site: tuple[Report, Path],
) -> None:
    report, _ = four_site
    topology = load_topology(DATA / "four-site" / "topology.yaml")
    check = check_topology(topology, CheckOptions(1, None, "auto", False, "fast"), None)
    pairs = {
        name.split(" ", 1)[1]: len({f.pair for f in fs if f.pair})
        for name, fs in check.spofs().items()
    }
    spof = next(f for f in report.findings if f.key == "spof")
    assert f"takes {pairs['fabric']} of 6 pairs" in spof.text


def test_every_section_is_filled(four_site: tuple[Report, Path]) -> None:
    report, out = four_site
    for key in (
        "verdict",
        "recommendations",
        "summary",
        "assumptions",
        "topology",
        "slos",
        "latency",
        "availability",
        "cost",
        "alternatives",
    ):
        section = report.page.sections[key]
        assert section.blocks or section.intro, key
        assert not section.empty, (key, section.empty)
    assert (out / "figures" / "topology-four-site.png").is_file()


def test_designs_are_compared_on_their_least_available_pair(
    four_site: tuple[Report, Path],
) -> None:
    """Oracle: the report's own availability of every pair of the design (Monte Carlo's
    mean, else the closed form). The comparison row of the design under review must carry
    its least available pair, not the first pair listed."""
    _, out = four_site
    numbers = json.loads((out / "report.json").read_text())
    pairs = numbers["availability"]["pairs"]

    def whole(p: dict[str, Any]) -> float:
        return float(p["simulated"] if p["simulated"] is not None else p["closed_form"])

    worst = min(pairs, key=whole)
    row = next(r for r in numbers["alternatives"] if r["design"] == numbers["topology"])
    assert row["pair"] == [worst["a"], worst["b"]]
    assert row["availability"] == whole(worst)

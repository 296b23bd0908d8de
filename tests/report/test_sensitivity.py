"""Which values the review's sensitivity analysis varies.

Oracle: the topology file itself. A design that marks values ``ASSUMPTION`` has exactly
those varied; the same design with every mark removed (as a user writes one without
netsim's conventions) has the values it writes without any citation varied instead, a
path ``preference`` excepted (a ranking the designer chose, not a figure). Before this
rule an unmarked design had nothing varied and its review said nothing about which of its
guesses a verdict rests on.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from netsim.report.assumptions import numeric, topology_assumptions
from netsim.report.sensitivity import groups, varied_kind

from .conftest import DATA, run_review

if TYPE_CHECKING:
    from pathlib import Path

TOPOLOGY = DATA / "four-site" / "topology.yaml"


def unmarked(text: str) -> str:
    """The file with every ``# ASSUMPTION ...`` comment removed (other comments kept)."""
    return re.sub(r"#\s*ASSUMPTION.*$", "", text, flags=re.MULTILINE)


def keys(text: str, kind: str) -> set[tuple[str, str]]:
    """(key, link kind) of the rows of ``kind`` whose value scales."""
    return {
        (a.key, a.link_kind) for a in topology_assumptions(text) if a.kind == kind and numeric(a)
    }


def test_a_marked_design_varies_its_assumptions_only() -> None:
    text = TOPOLOGY.read_text()
    rows = topology_assumptions(text)
    assert varied_kind(rows) == "assumption"
    varied = groups(rows)
    assert {(g.key, g.link_kind) for g in varied} == keys(text, "assumption")
    assert all(a.kind == "assumption" for g in varied for a in g.members)
    assert keys(text, "uncited"), "the oracle needs uncited values that stay unvaried"


def test_an_unmarked_design_varies_its_uncited_values() -> None:
    text = unmarked(TOPOLOGY.read_text())
    # A preference written without a citation: the designer's ranking, never varied.
    text, added = re.subn(r"(\{name: vpn-[^,]+, kind: vpn,)", r"\1 preference: 120,", text, count=1)
    assert added == 1
    rows = topology_assumptions(text)
    assert not any(a.kind == "assumption" for a in rows)
    assert varied_kind(rows) == "uncited"
    expected = {k for k in keys(text, "uncited") if k[0] != "preference"}
    assert ("preference", "vpn") in keys(text, "uncited")
    varied = groups(rows)
    assert {(g.key, g.link_kind) for g in varied} == expected
    assert ("delay", "interconnect") in expected


@pytest.mark.slow  # a whole review of the four-site design
def test_the_review_of_an_unmarked_design_says_what_it_varied(tmp_path: Path) -> None:
    scenarios = tmp_path / "four-site"
    scenarios.mkdir()
    for src in (DATA / "four-site").glob("*.yaml"):
        text = src.read_text()
        (scenarios / src.name).write_text(unmarked(text) if src == TOPOLOGY else text)
    out = tmp_path / "review"
    run_review(out, scenarios=scenarios, years=20, workers=2)
    numbers = json.loads((out / "report.json").read_text())
    varied = {s["assumption"] for s in numbers["sensitivity"]}
    assert any(v.startswith("interconnect delay") for v in varied)
    html = (out / "report.html").read_text()
    assert "No value is marked ASSUMPTION" in html
    assert f"({len(varied)} groups;" in html

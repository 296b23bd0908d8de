"""``netsim review`` and ``netsim report`` end to end on short scenarios, and the HTML's
structure: every image embedded, every section present, nothing fetched from elsewhere."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import pytest

from netsim.cli.main import main
from netsim.report.build import SECTIONS

from .conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.scripts = 0
        self.stylesheets = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.images.append(a)
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "script":
            self.scripts += 1
        if tag == "link":
            self.stylesheets += 1


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text())
    return page


@pytest.mark.slow  # builds a whole review (review_dir)
def test_review_writes_report_figures_and_the_runs_it_used(review_dir: Path) -> None:
    assert (review_dir / "report.html").is_file()
    numbers = json.loads((review_dir / "report.json").read_text())
    runs = sorted(p.name for p in (review_dir / "runs").iterdir())
    assert {
        "baseline",
        "replication-during-failover",
        "replication-during-failover-gcp-mcr",
    } <= set(runs)
    for design in ("adr-003", "hub-no-vpn", "vpn-only", "internet-only", "full-mesh"):
        assert f"{design}--baseline" in runs
        assert f"{design}--replication-during-failover" in runs
    for run in runs:
        summary = json.loads((review_dir / "runs" / run / "summary.json").read_text())
        assert (review_dir / "runs" / run / "topology.yaml").is_file()
        assert "review" in summary
    pngs = sorted(p.stem for p in (review_dir / "figures").glob("*.png"))
    svgs = sorted(p.stem for p in (review_dir / "figures").glob("*.svg"))
    assert pngs == svgs
    assert {
        "topology-megaport-hub",
        "availability",
        "cost",
        "alternatives",
        "failover-gaps",
    } <= set(pngs)
    # The alternatives each failed the link carrying aws->gcp in that design.
    failed = {row["design"]: row["failure"] for row in numbers["alternatives"]}
    expected = {
        "adr-003": "aws-mcr",
        "hub-no-vpn": "aws-mcr",
        "vpn-only": "vpn-aws-gcp",
        "internet-only": "aws-internet",
        "full-mesh": "aws-gcp",
    }
    if (ROOT / "topologies" / "dual-mcr.yaml").is_file():  # optional mitigation design
        expected["dual-mcr"] = "aws-mcr-a"
    assert failed == expected
    rows = {row["design"]: row for row in numbers["alternatives"]}
    # With no fallback the hub loses aws->gcp for the whole 40 s failure.
    assert rows["hub-no-vpn"]["gap_s"] > 30 > rows["adr-003"]["gap_s"]
    assert rows["full-mesh"]["monthly_usd"] > rows["adr-003"]["monthly_usd"]


@pytest.mark.slow  # builds a whole review (review_dir)
def test_html_is_self_contained_with_every_section(review_dir: Path) -> None:
    html = (review_dir / "report.html").read_text()
    page = parse(review_dir / "report.html")
    for section, _ in (("summary", ""), *SECTIONS):
        assert section in page.ids, section
    assert page.images, "no figures"
    for img in page.images:
        assert img["src"].startswith("data:image/png;base64,"), img["src"][:60]
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert img["alt"]
    assert page.scripts == 0
    assert page.stylesheets == 0
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    for href in page.links:
        assert href.startswith("#")
        assert href[1:] in page.ids
    assert "@media print" in html
    assert html.count('class="finding') >= 5


@pytest.mark.slow  # builds a whole review (review_dir)
def test_findings_in_the_page_are_the_numbers_of_the_runs(review_dir: Path) -> None:
    numbers: dict[str, Any] = json.loads((review_dir / "report.json").read_text())
    html = (review_dir / "report.html").read_text()
    cost = numbers["cost"]
    assert f"${cost['total_monthly_usd']:,.0f}/month" in html
    keys = {f["key"] for f in numbers["findings"]}
    assert {"spof", "serial", "vpn", "detection", "cost"} <= keys
    gcp = json.loads(
        (review_dir / "runs" / "replication-during-failover-gcp-mcr" / "summary.json").read_text()
    )
    aws = json.loads(
        (review_dir / "runs" / "replication-during-failover" / "summary.json").read_text()
    )
    slow = next(f for f in numbers["findings"] if f["key"] == "detection")
    assert (
        f"{gcp['failovers'][0]['gap_s']:.1f} s against {aws['failovers'][0]['gap_s']:.1f} s"
        in slow["text"]
    )


@pytest.mark.slow  # builds a whole review (review_dir)
def test_report_verb_rebuilds_from_run_dirs(review_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r" / "page.html"
    runs = [str(review_dir / "runs" / "replication-during-failover")]
    assert main(["report", *runs, "--out", str(out), "--years", "5", "--quiet"]) == 0
    page = parse(out)
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    assert (tmp_path / "r" / "page-figures" / "availability.png").is_file()
    assert "alternatives" in page.ids


def test_report_verb_without_summaries_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path), "--quiet"]) == 2
    assert "no summary.json" in capsys.readouterr().err

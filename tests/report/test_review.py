"""``netsim review`` and ``netsim report`` end to end on short scenarios, and the HTML's
structure: verdict first, every section present, every image embedded, nothing fetched.

Oracles: the contract of docs/report.md (the sections and their order, what the run
directories hold), the runs' own summaries (every number in a finding is one of theirs),
and ``netsim run`` itself (a run directory's scenario.yaml and topology.yaml repeat it).
"""

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

    from netsim.report.build import Report

pytestmark = pytest.mark.slow  # a whole review (the review fixture)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.scripts = 0
        self.stylesheets = 0
        self.details = 0

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
        if tag == "details":
            self.details += 1


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text())
    return page


def test_review_writes_report_figures_and_the_runs_it_used(review_dir: Path) -> None:
    numbers = json.loads((review_dir / "report.json").read_text())
    runs = sorted(p.name for p in (review_dir / "runs").iterdir())
    assert {"baseline", "replication-during-failover", "interconnect-blackhole-gcp-mcr"} <= set(
        runs
    )
    assert not any(r.startswith("lab-") for r in runs)  # lab scenarios are for the lab
    for design in ("megaport-hub", "megaport-hub-no-vpn", "vpn-only", "internet-only", "full-mesh"):
        assert f"{design}--baseline" in runs
        assert f"{design}--replication-during-failover" in runs
    for run in runs:
        here = review_dir / "runs" / run
        assert (here / "topology.yaml").is_file()
        assert (here / "scenario.yaml").is_file()
        assert "review" in json.loads((here / "summary.json").read_text())
    assert {"topology-megaport-hub", "availability", "cost", "alternatives", "sensitivity"} <= {
        p.stem for p in (review_dir / "figures").glob("*.png")
    }
    failed = {row["design"]: row["failure"] for row in numbers["alternatives"]}
    expected = {
        "megaport-hub": "aws-mcr",
        "megaport-hub-no-vpn": "aws-mcr",
        "vpn-only": "vpn-aws-gcp",
        "internet-only": "aws-internet",
        "full-mesh": "aws-gcp",
        "dual-mcr": "aws-mcr-a",
    }
    assert {k: v for k, v in failed.items() if k in expected} == expected
    rows = {row["design"]: row for row in numbers["alternatives"]}
    # With no fallback the hub loses aws->gcp for the whole 90 s failure.
    assert rows["megaport-hub-no-vpn"]["gap_s"] > 60 > rows["megaport-hub"]["gap_s"]
    assert rows["full-mesh"]["monthly_usd"] > rows["megaport-hub"]["monthly_usd"]
    # The design with every recommendation is a row of the alternatives.
    assert "with-recommendations" in rows


def test_a_run_directory_repeats_with_netsim_run(review_dir: Path, tmp_path: Path) -> None:
    """Oracle: netsim run on the files the review kept gives the same summary."""
    here = review_dir / "runs" / "interconnect-blackhole"
    out = tmp_path / "again"
    main(["run", str(here / "scenario.yaml"), "--out", str(out), "--quiet"])
    kept = json.loads((here / "summary.json").read_text())
    again = json.loads((out / "summary.json").read_text())
    for key in ("traffic", "slos", "failovers", "links"):
        assert again[key] == kept[key], key


def test_html_opens_with_the_verdict_and_has_every_section(review_dir: Path) -> None:
    html = (review_dir / "report.html").read_text()
    page = parse(review_dir / "report.html")
    ids = [i for i in page.ids if i in {key for key, _ in SECTIONS}]
    assert ids[:3] == ["verdict", "recommendations", "claims"]
    for section in ("verdict", "recommendations", "summary", "assumptions", "slos", "cost"):
        assert section in page.ids, section
    assert page.images, "no figures"
    for img in page.images:
        assert img["src"].startswith("data:image/png;base64,"), img["src"][:60]
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert img["alt"]
    assert page.scripts == 0
    assert page.stylesheets == 0
    assert "https://" not in html
    for href in page.links:
        assert href.startswith("#")
        assert href[1:] in page.ids
    assert page.details >= 2  # collapsible details on screen
    assert "appendix" in page.ids  # the same details on paper
    # One vocabulary: no old verdict words anywhere on the page.
    for word in ("VIOLATED", "FAIL", ">met<", "inconclusive", "DOES NOT HOLD"):
        assert word not in html, word


def test_findings_name_their_thresholds_and_rest_on_the_runs(
    review: tuple[Report, Path],
) -> None:
    report, review_dir = review
    numbers: dict[str, Any] = json.loads((review_dir / "report.json").read_text())
    keys = {f["key"] for f in numbers["findings"]}
    assert {"spof", "availability", "fallback", "detection", "cost", "latency"} <= keys
    for f in numbers["findings"]:
        assert f["status"] in ("holds", "does not hold", "at risk", "note")
        if f["status"] != "note":
            assert f["source"]["kind"] in ("ADR claim", "scenario SLO", "netsim default"), f
    gcp = json.loads(
        (review_dir / "runs" / "interconnect-blackhole-gcp-mcr" / "summary.json").read_text()
    )
    slow = next(f for f in numbers["findings"] if f["key"] == "detection")
    # The slowest link by expected gap is azure-mcr (ER convergence up to a minute), which
    # no API class crosses; the derived run measures gcp-mcr, the slowest the traffic
    # crosses, and the finding shows that gap among its evidence.
    assert slow["text"].startswith("azure-mcr's")
    gap = gcp["failovers"][0]["gap_s"]
    assert any("gcp-mcr blackhole" in e and f"gap {gap:.2f} s" in e for e in slow["evidence"])
    # Every quantitative claim of the ADR has a verdict, 25-30 ms and 10+ Gbps included.
    quotes = " ".join(c["quote"] for c in numbers["claims"])
    for claim in (
        "25-30ms",
        "10+ Gbps",
        "<50ms P95",
        "99.99% uptime",
        "$15K/month",
        "$50K",
        "100-500ms",
        "$100/month",
        "1 Gbps",
        "10TB+",
        "1M+",
    ):
        assert claim in quotes, claim
    assert all(c["status"] in ("holds", "does not hold", "at risk") for c in numbers["claims"])
    assert report.assessment.verdict[1].startswith("ADR-003 as written")


def test_assumptions_list_every_assumption_of_the_topology(review_dir: Path) -> None:
    numbers: dict[str, Any] = json.loads((review_dir / "report.json").read_text())
    marked = sum(
        1
        for line in (ROOT / "topologies" / "megaport-hub.yaml").read_text().splitlines()
        if "ASSUMPTION" in line.split("#", 1)[-1] and "#" in line
    )
    rows = [a for a in numbers["assumptions"] if a["kind"] == "assumption"]
    # Every marked line is a row (grouped rows count their elements).
    assert sum(len(a["elements"]) for a in rows) >= marked - 1  # the file's header mentions it
    assert any(
        a["key"] == "bgp.reestablish" and a["kind"] == "default" for a in numbers["assumptions"]
    )
    assert numbers["sensitivity"], "no assumption was varied"
    assert all(s["range"] == ["×0.5", "×2"] for s in numbers["sensitivity"])


def test_report_verb_rebuilds_from_run_dirs(review_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r" / "page.html"
    runs = [str(review_dir / "runs" / "replication-during-failover")]
    assert main(["report", *runs, "--out", str(out), "--years", "5", "--quiet", "--no-verify"]) == 0
    page = parse(out)
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    assert (tmp_path / "r" / "page-figures" / "availability.png").is_file()
    assert "alternatives" in page.ids


def test_report_verb_without_summaries_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path), "--quiet"]) == 2
    assert "no summary.json" in capsys.readouterr().err


def test_review_bad_input_stops_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing --topology, a --scenarios directory that is not there or holds no
    scenario, and a scenario with a problem: exit 2, the file (line, key) named, nothing
    written. (A review that quietly left out a scenario it was given would judge a design
    on less than its user asked.)"""
    out = tmp_path / "out"
    bad = tmp_path / "scenarios"
    bad.mkdir()
    good = (ROOT / "scenarios" / "interconnect-cut.yaml").read_text()
    (bad / "cut.yaml").write_text(good.replace("../topologies/", f"{ROOT}/topologies/"))
    assert main(["review", "--topology", str(tmp_path / "nope.yaml"), "--out", str(out)]) == 2
    assert "nope.yaml: --topology: file not found" in capsys.readouterr().err
    assert main(["review", "--scenarios", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "--scenarios: no such directory" in capsys.readouterr().err
    assert main(["review", "--scenarios", str(tmp_path), "--out", str(out)]) == 2
    assert "no scenario files" in capsys.readouterr().err
    (bad / "typo.yaml").write_text(good.replace("duration:", "duraton:"))
    assert main(["review", "--scenarios", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "typo.yaml:" in err
    assert "duraton" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_declared_designs_are_checked_under_their_own_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--topology and --alternative are read as topologies, their problems named in their
    own files (not in the review's scratch copies), before anything runs; report --out
    must name a file, not an existing directory."""
    out = tmp_path / "out"
    broken = tmp_path / "alt.yaml"
    broken.write_text(
        (ROOT / "topologies" / "dual-mcr.yaml").read_text().replace("10Gbps", "lots", 1)
    )
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    assert main(["review", "--alternative", str(broken), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:" in err
    assert "'lots'" in err
    assert main(["review", "--topology", scenario, "--out", str(out)]) == 2
    assert f"{scenario}:" in capsys.readouterr().err
    assert not out.exists()
    assert main(["report", str(tmp_path), "--out", str(tmp_path), "--no-verify"]) == 2
    assert "is a directory" in capsys.readouterr().err

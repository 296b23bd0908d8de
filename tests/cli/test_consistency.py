"""Every verb alike: described, every argument explained, --json and --quiet, the same
engine and Monte Carlo defaults, --set errors named as --set, numbers never cut when piped.

Oracles: argparse's own parser objects (walked, not their help text), and real processes
whose stdout is a pipe (the case where rich used to cut tables to 80 columns).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from netsim.cli.common import ENGINES, YEARS
from netsim.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "interconnect-cut.yaml"


def verbs(
    parser: argparse.ArgumentParser, name: str = "netsim"
) -> list[tuple[str, argparse.ArgumentParser]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, child in action.choices.items():
                subs = [a for a in child._actions if isinstance(a, argparse._SubParsersAction)]
                if subs:
                    out += verbs(child, f"{name} {verb}")
                else:
                    out.append((f"{name} {verb}", child))
    return out


VERBS = verbs(build_parser())


def test_every_verb_is_found() -> None:
    names = {n for n, _ in VERBS}
    assert {
        "netsim run",
        "netsim review",
        "netsim report",
        "netsim sweep",
        "netsim check",
        "netsim availability",
        "netsim validate",
        "netsim lab deploy",
        "netsim lab run",
        "netsim lab status",
        "netsim lab fail",
        "netsim lab restore",
        "netsim lab destroy",
        "netsim lab export",
    } <= names


@pytest.mark.parametrize(("name", "parser"), VERBS, ids=[n for n, _ in VERBS])
def test_every_verb_is_described_with_json_and_quiet(
    name: str, parser: argparse.ArgumentParser
) -> None:
    assert parser.description, f"{name} has no description"
    for action in parser._actions:
        if action.dest != "help":
            assert action.help, f"{name}: {action.dest} has no help"
    dests = {a.dest for a in parser._actions}
    assert {"json", "quiet"} <= dests, name
    defaults = {a.dest: a.default for a in parser._actions}
    if "engine" in defaults:
        assert defaults["engine"] == ENGINES[0] == "fast", name
    if "years" in defaults:
        assert defaults["years"] == YEARS, name


def test_a_bad_set_is_reported_as_the_set(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "run",
            str(SCENARIO),
            "--set",
            "duration=4x",
            "--set",
            "topology.links.aws-mcr.capacity=3Gbs",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "  --set duration=4x: duration: unknown unit 'x'" in err
    assert "  --set topology.links.aws-mcr.capacity=3Gbs: links[0].capacity: unknown unit" in err
    assert "megaport-hub.yaml:" not in err  # not against the topology file's line
    assert main(["run", str(SCENARIO), "--set", "traffic.apx.rate=2/s", "--quiet"]) == 2
    assert "--set traffic.apx.rate=2/s: no item named 'apx'" in capsys.readouterr().err


def test_json_is_one_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(
        ["run", str(SCENARIO), "--set", "duration=3m", "--out", str(tmp_path), "--json"]
    ) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == "interconnect-cut"
    assert main(["validate", str(SCENARIO), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"][0]["kind"] == "scenario"


def test_piped_tables_keep_every_number(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "netsim",
            "run",
            str(SCENARIO),
            "--set",
            "duration=3m",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode in (0, 1), run.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    lines = run.stdout.splitlines()
    assert "…" not in run.stdout  # nothing cut to fit a width
    assert max(len(x) for x in lines) > 80  # wider than the 80 columns rich assumed
    for slo in summary["slos"]:
        assert f"{slo['measured']:.6g}" in run.stdout, slo["name"]


def test_the_run_keeps_its_scenario_and_topology(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(
        [
            "run",
            str(SCENARIO),
            "--out",
            str(out),
            "--quiet",
            "--set",
            "topology.links.vpn-aws-gcp.capacity=2.5Gbps",
            "--set",
            "duration=3m",
        ]
    ) in (0, 1)
    topology = (out / "topology.yaml").read_text()
    assert (
        "capacity: 2.5Gbps  # set by --set topology.links.vpn-aws-gcp.capacity=2.5Gbps" in topology
    )
    assert "ASSUMPTION" in topology  # the file's own comments are kept
    again = tmp_path / "again"
    assert main(["run", str(out / "scenario.yaml"), "--out", str(again), "--quiet"]) in (0, 1)
    first = json.loads((out / "summary.json").read_text())
    second = json.loads((again / "summary.json").read_text())
    assert first["traffic"] == second["traffic"]

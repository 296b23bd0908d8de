"""The command line as a user drives it: exit statuses, outputs, overrides, atomic results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netsim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "interconnect-cut.yaml"


def test_run_writes_the_contract_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    status = main(["run", str(SCENARIO), "--out", str(out), "--quiet"])
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "attempts.parquet",
        "scenario.yaml",  # the scenario and topology the run used (issue 12)
        "summary.json",
        "timeline.jsonl",
        "topology.yaml",
        "trace.json",
    ]
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "scenario",
        "engine",
        "seed",
        "duration_s",
        "wall_s",
        "netsim_version",
        "traffic",
        "slos",
        "failovers",
        "links",
        "cost",
    ):
        assert key in summary
    assert summary["engine"] == "sim"
    assert summary["duration_s"] == 600.0
    api = summary["traffic"]["api"]
    assert {"sent", "delivered", "lost", "latency_ms"} <= set(api)
    assert {"mean", "p50", "p95", "p99", "max", "p95_ci"} <= set(api["latency_ms"])
    f = summary["failovers"][0]
    assert {
        "subject",
        "mode",
        "failed_at_s",
        "detected_at_s",
        "switched_at_s",
        "restored_at_s",
        "gap_s",
        "lost",
    } <= set(f)
    assert {"bytes", "utilization_mean", "down_s"} <= set(summary["links"]["aws-mcr"])
    assert {"monthly_usd", "per_gb_usd"} <= set(summary["cost"])


def test_violated_slo_exits_1_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "run",
            str(SCENARIO),
            "--out",
            str(tmp_path / "r"),
            "--set",
            "duration=4m",
            "--set",
            "slos.api-p95.max=20ms",
        ]
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "api-p95" in out
    assert "does not hold" in out


def test_set_overrides_rate_and_seed(tmp_path: Path) -> None:
    assert main(
        [
            "run",
            str(SCENARIO),
            "--out",
            str(tmp_path),
            "--quiet",
            "--seed",
            "77",
            "--set",
            "duration=3m",
            "--set",
            "traffic.api.rate=10/s",
        ]
    ) in (0, 1)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 77
    sent = summary["traffic"]["api"]["sent"]
    assert abs(sent - 10 * 150) < 4 * (10 * 150) ** 0.5


def test_set_reaches_into_the_topology(tmp_path: Path) -> None:
    assert main(
        [
            "run",
            str(SCENARIO),
            "--out",
            str(tmp_path),
            "--quiet",
            "--set",
            "duration=3m",
            "--set",
            "topology.links.aws-mcr.convergence=3s",
        ]
    ) in (0, 1)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["failovers"][0]["gap_s"] == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "no-such-scenario.yaml"], "file not found"),
        # a path under a file (NotADirectoryError) was a traceback, exit 1
        (["run", f"{SCENARIO}/scenario.yaml"], "file not found"),
        (["validate", f"{SCENARIO}/topology.yaml"], "file not found"),
        (["run", str(SCENARIO), "--set", "traffic.nope.rate=1/s"], "no item named 'nope'"),
        (["run", str(SCENARIO), "--set", "duration"], "KEY=VALUE"),
        (["run", str(SCENARIO), "--set", "duration=5 fortnights"], "duration"),
        # numpy's seed sequences refuse negative seeds: a traceback mid-run, exit 1, before
        (["run", str(SCENARIO), "--set", "seed=-1"], "seed: must be at least 0, got -1"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*argv, "--out", str(tmp_path)] if argv[0] == "run" else argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", str(SCENARIO), "--seed", "-1"],
        ["availability", str(ROOT / "topologies" / "megaport-hub.yaml"), "--seed", "-1"],
        ["generate", "--sites", "2", "--seed", "-1", "--out", "TMP"],
        ["lab", "deploy", str(ROOT / "topologies" / "megaport-hub.clab.yml"), "--seed", "-1"],
        ["lab", "run", str(ROOT / "scenarios" / "lab-requests.yaml"), "--seed", "-1"],
    ],
)
def test_a_negative_seed_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Oracle: the CLI contract (exit 2, the flag named); a negative seed was a numpy
    ValueError traceback in the middle of the run (exit 1)."""
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path) if a == "TMP" else a for a in argv])
    assert exc.value.code == 2
    assert not any(tmp_path.iterdir())
    assert "argument --seed: expected an integer of at least 0, got '-1'" in capsys.readouterr().err


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "netsim",
            "validate",
            str(ROOT / "topologies" / "megaport-hub.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "valid topology" in result.stdout


def test_validate_reads_a_containerlab_file_as_lab_deploy_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A containerlab file used to be read as a scenario (its ``topology:`` key): "duration:
    required key is missing" and "topology file not found: {'nodes': ...}". Now it is
    checked as ``netsim lab deploy`` reads it, without root and without deploying."""
    good = ROOT / "topologies" / "adr003.clab.yml"
    bad = tmp_path / "bad.clab.yml"
    bad.write_text("name: b\ntopology:\n  nodes:\n    r1: {kind: linux, exec: ['rm -rf /']}\n")
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: valid containerlab file\n"
    assert main(["validate", "--json", str(good), str(bad)]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] == [{"path": str(good), "kind": "containerlab file"}]
    ((error),) = doc["errors"]
    where = (error["path"], error["line"], error["key"])
    assert where == (str(bad), 4, "topology.nodes.r1.exec[0]")
    assert "'rm' is not run here" in error["message"]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    main(["run", str(SCENARIO), "--out", str(tmp_path), "--quiet", "--set", "duration=3m"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_engine_choices_are_the_registry() -> None:
    """The command line names the engines and record policies without importing them;
    they must stay equal to the registry and to netsim.trace.rows."""
    from netsim.cli.run import ENGINES, RECORDS
    from netsim.sim.engine import DATA_PLANES
    from netsim.trace.rows import RECORDS as POLICIES

    assert tuple(DATA_PLANES) == ENGINES
    assert RECORDS == POLICIES


@pytest.mark.parametrize("verb", ["run", "sweep", "review", "check"])
def test_every_simulating_verb_defaults_to_the_fast_engine(verb: str) -> None:
    """The fast engine is the default of every verb that simulates (``--engine exact``
    selects the per-packet reference), and of the library's pipeline."""
    import inspect

    from netsim.cli.main import build_parser
    from netsim.pipeline import simulate
    from netsim.sim.engine import build_simulation

    needs = {"run": ["x.yaml"], "sweep": ["x.yaml"], "review": [], "check": ["t.yaml"]}
    args = build_parser().parse_args([verb, *needs[verb]])
    assert args.engine == "fast"
    assert build_parser().parse_args([verb, *needs[verb], "--engine", "exact"]).engine == "exact"
    assert inspect.signature(simulate).parameters["engine"].default == "fast"
    assert inspect.signature(build_simulation).parameters["engine"].default == "fast"

"""``netsim run``'s three-way verdict, ``--strict``, ``--replications`` and their errors.

Oracle: the exit-status contract (architecture section 5, issue 15): 1 when an SLO does
not hold, 0 when every SLO holds or one is inconclusive, 1 for inconclusive with
``--strict``, 2 for bad usage; and the files a pooled run directory holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path


def _queue(tmp_path: Path) -> Path:
    """M/M/1 at load 0.7 on one link: the P95 is ln(20)/300 s = 9.99 ms."""
    (tmp_path / "one-link.yaml").write_text("""
name: one-link
nodes: {a: {}, b: {}}
links:
  - {name: ab, endpoints: [a, b], capacity: 8Mbps, delay: 0s}
""")
    (tmp_path / "queue.yaml").write_text("""
name: queue
topology: one-link.yaml
duration: 30s
warmup: 5s
seed: 3
traffic:
  - {name: msgs, kind: one-way, from: a, to: b, rate: 700/s,
     size: {dist: expon, scale: 1000B}, timeout: 1h}
slos:
  - {name: p95, class: msgs, metric: latency, quantile: 0.95, max: 10ms}
""")
    return tmp_path / "queue.yaml"


def run(tmp_path: Path, *args: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / "out"
    status = main(["run", str(_queue(tmp_path)), "--engine", "fast", "--out", str(out), *args])
    return status, json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize(
    ("target", "strict", "verdict", "status"),
    [
        ("8ms", False, "does not hold", 1),
        ("10ms", False, "at risk", 0),
        ("10ms", True, "at risk", 1),
        ("20ms", True, "holds", 0),
    ],
)
def test_exit_status_follows_the_verdict(
    tmp_path: Path, target: str, strict: bool, verdict: str, status: int
) -> None:
    flags = ["--set", f"slos.p95.max={target}", "--quiet", *(["--strict"] if strict else [])]
    got, summary = run(tmp_path, *flags)
    assert got == status
    assert summary["verdict"] == verdict
    (slo,) = summary["slos"]  # type: ignore[misc]
    assert slo["verdict"] == verdict
    assert (slo["settle"] is not None) == (verdict == "at risk")


def test_console_shows_the_verdict_and_what_settles_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = run(tmp_path)
    out = capsys.readouterr().out
    assert status == 0
    assert "at risk" in out
    assert "would settle it" in out
    assert "--strict" in out


def test_replications_pool_into_one_directory(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "attempts.parquet").write_text("from an earlier single run")
    status, summary = run(tmp_path, "--replications", "3", "--workers", "1", "--quiet")
    assert status in (0, 1)
    assert summary["replications"]["count"] == 3  # type: ignore[index]
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "replications").iterdir()) == ["0", "1", "2"]
    assert not (out / "attempts.parquet").exists()
    one = json.loads((out / "replications" / "0" / "summary.json").read_text())
    assert one["seed"] == summary["replications"]["seeds"][0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--replications", "1"], "at least 2"),
        (["--max-duration", "1h"], "add it"),
        (["--until-conclusive", "--max-duration", "1 fortnight"], "--max-duration"),
        (["--replications", "2", "--workers", "0"], "at least 1"),
    ],
)
def test_bad_flags_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main(["run", str(_queue(tmp_path)), *flags]) == 2
    assert message in capsys.readouterr().err


def test_a_cap_shorter_than_the_run_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--max-duration caps --until-conclusive's simulated time; below the scenario's own
    duration nothing could run within it."""
    scenario = "scenarios/interconnect-cut.yaml"
    argv = ["run", scenario, "--until-conclusive", "--max-duration", "1m", "--quiet"]
    assert main(argv) == 2
    assert "shorter than the run it caps" in capsys.readouterr().err


def test_console_says_when_the_whole_run_clears_but_a_window_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Five minutes of the M/M/1 queue (P95 9.99 ms) judged on 10-s windows against 10.6 ms:
    the whole run's interval is narrow enough to clear the target, a 10-s window's (700
    correlated samples a second) is not. The table shows the worst window's interval
    beside the whole run's, and the at-risk line says that the two differ and why."""
    path = _queue(tmp_path)
    text = path.read_text().replace("duration: 30s", "duration: 300s")
    path.write_text(text.replace("max: 10ms}", "max: 10.6ms, window: 10s}"))
    out = tmp_path / "out"
    status = main(["run", str(path), "--out", str(out)])
    slo = json.loads((out / "summary.json").read_text())["slos"][0]
    printed = capsys.readouterr().out
    assert status == 0
    assert slo["verdict"] == "at risk"
    assert slo["ci"][1] < 10.6  # the whole run clears the target ...
    low, high = slo["worst_window"]["ci"]
    assert low < 10.6 < high  # ... its worst window does not
    assert f"[{low:.6g}, {high:.6g}] worst of" in printed
    assert "windows of 10 s" in printed
    assert "the verdict is the worst window's" in printed

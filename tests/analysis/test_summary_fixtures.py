"""``summary.json`` against runs of older code: nothing a user's script reads has changed.

Oracle: run directories written by netsim at commit 291463a (before ``Summary`` and its
typed parts existed; ``tests/trace/fixtures/README.md`` gives the commands), each holding
the Trace files and the ``summary.json`` that code wrote. The test rebuilds each Trace
from its files, summarises it with today's code and compares the documents:

- every key of the old document is present in the new one, in the same order, and every
  value is identical (``wall_s`` is the trace's own, so it is reproduced too), except
- the confidence intervals (``p50_ci``, ``p95_ci``, ``p99_ci``, ``success_ratio_ci``, an
  SLO's ``ci``), which issue 15 rebuilt for correlated output: each new interval must
  *contain* the old one (the old intervals assumed independent samples and were too
  narrow; the new ones are never narrower, docs/design.md "Confidence intervals"), and
- an SLO's ``text``, the sentence for people, which issue 12 rewrote in the one verdict
  vocabulary (holds / does not hold / at risk) and to name the worst window it judged
  (``REWORDED``: still present, still a non-empty string), and
- the only keys added are the documented ones (``NEW_KEYS``, docs/formats.md
  "summary.json").

The runs cover both engines, request-response, one-way and bulk traffic, retries, a node
failure, a sketch-based long run with random failures, and a lab run on real FRR and
strongSwan.
"""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from netsim.analysis.summary import summarize
from netsim.lab.live.play import playable
from netsim.model import load_scenario
from netsim.trace.files import dumps, load_trace

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "trace" / "fixtures"

#: run directory -> (scenario file, overrides it was run with, lab run)
RUNS = {
    "blackhole-exact": ("interconnect-blackhole", ["duration=3m", "failures.0.at=60s"], False),
    "dr-exact": ("dr-failover", ["duration=8m"], False),
    "replication-fast": ("replication-during-failover", ["duration=6m"], False),
    "vpn-fast": ("vpn-only-staging", ["duration=3m"], False),
    "random-fast-sketch": ("random-failures-month", ["duration=20d"], False),
    "lab-blackhole": ("lab-interconnect-blackhole", [], True),
}

#: Keys added since the old documents, by where they are ("*": any member).
NEW_KEYS = {
    (): {"verdict"},
    ("traffic", "*"): {"success_ratio_ci_method"},
    ("traffic", "*", "latency_ms"): {"mean_ci", "ci_method"},
    ("slos", "*"): {
        "verdict",
        "inconclusive",
        "ci_method",
        "settle",
        "window_s",
        "worst_window",
        "windows",
        "window",
        "month",
    },
}
#: Keys whose value is prose for people: present and non-empty, the words may change.
REWORDED = {"text"}
#: Keys whose value is a confidence interval: the new one must contain the old one.
INTERVALS = {"p50_ci", "p95_ci", "p99_ci", "success_ratio_ci", "ci"}


def as_recorded(scenario: Scenario, old: dict[str, Any]) -> Scenario:
    """The scenario with the SLOs the fixture was recorded with: an SLO added to the
    shipped scenario since (interconnect-blackhole's month, issue 12) is not the run's."""
    names = {s["name"] for s in old["slos"]}
    return dataclasses.replace(scenario, slos=tuple(s for s in scenario.slos if s.name in names))


def _pattern(path: tuple[str | int, ...]) -> tuple[str, ...]:
    """``("traffic", "api", "latency_ms")`` -> ``("traffic", "*", "latency_ms")``."""
    return tuple("*" if i % 2 else str(p) for i, p in enumerate(path))


def _contains(new: object, old: object) -> bool:
    if old == [None, None]:
        return new == [None, None]
    assert isinstance(new, list)
    assert isinstance(old, list)
    return new[0] <= old[0] and new[1] >= old[1]


def compare(old: object, new: object, path: tuple[str | int, ...] = ()) -> list[str]:
    """Every difference between the documents that the rules above do not allow."""
    where = "/".join(map(str, path)) or "(top)"
    if isinstance(old, dict) and isinstance(new, dict):
        problems = []
        if [k for k in new if k in old] != list(old):
            problems.append(f"{where}: keys missing or reordered")
        added = set(new) - set(old)
        allowed = NEW_KEYS.get(_pattern(path), set())
        if not added <= allowed:
            problems.append(f"{where}: undocumented new keys {sorted(added - allowed)}")
        for key in old:
            if key in new and key in INTERVALS:
                if not _contains(new[key], old[key]):
                    problems.append(f"{where}/{key}: {new[key]} does not contain {old[key]}")
            elif key in new and key in REWORDED:
                if not (isinstance(new[key], str) and new[key]):
                    problems.append(f"{where}/{key}: {new[key]!r} is not a sentence")
            elif key in new:
                problems += compare(old[key], new[key], (*path, key))
        return problems
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (o, n) in enumerate(zip(old, new, strict=True))
            for p in compare(o, n, (*path, i))
        ]
    return [] if old == new and type(old) is type(new) else [f"{where}: {old!r} -> {new!r}"]


def test_compare_catches_what_it_should() -> None:
    old = {"a": 1, "ci": [1.0, 2.0], "b": {"c": [1, 2]}}
    assert compare(old, {"a": 1, "ci": [0.9, 2.1], "b": {"c": [1, 2]}}) == []
    assert compare(old, {"a": 2, "ci": [1.0, 2.0], "b": {"c": [1, 2]}}) == ["a: 1 -> 2"]
    assert compare(old, {"a": 1, "ci": [1.1, 2.0], "b": {"c": [1, 2]}}) == [
        "(top)/ci: [1.1, 2.0] does not contain [1.0, 2.0]"
    ]
    assert compare(old, {"b": {"c": [1, 2]}, "a": 1, "ci": [1.0, 2.0]})[0].endswith("reordered")
    assert "undocumented" in compare(old, {**old, "x": 0})[0]
    assert compare(old, {**old, "verdict": "holds"}) == []
    assert compare({"p": 1.0}, {"p": 1}) == ["p: 1.0 -> 1"]


@pytest.mark.parametrize("name", sorted(RUNS))
def test_summary_json_keeps_every_old_key_and_value(name: str, tmp_path: Path) -> None:
    scenario_name, overrides, lab = RUNS[name]
    with tarfile.open(FIXTURES / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    run_dir = tmp_path / name
    scenario = load_scenario(ROOT / "scenarios" / f"{scenario_name}.yaml", overrides)
    if lab:
        scenario, _ = playable(scenario)
    trace = load_trace(run_dir)
    scenario = as_recorded(scenario, json.loads((run_dir / "summary.json").read_bytes()))
    new = json.loads(dumps(summarize(trace, scenario).to_json()))
    old = json.loads((run_dir / "summary.json").read_bytes())
    assert compare(old, new) == []

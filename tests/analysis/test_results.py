"""The typed summary: ``Summary.from_json(summary.to_json())`` gives the summary back.

Two oracles: a fresh simulated run (every kind of part: request-response, one-way and bulk
classes, each SLO metric, failovers, intervals' methods and verdicts) read back from its
own document, and the ``summary.json`` files written by the code before the typed values
(``tests/trace/fixtures``), which must write back byte for byte and read into what
today's :func:`summarize` computes from the same traces, apart from what issue 15 added or
rebuilt (the intervals, their methods, the verdicts: ``test_summary_fixtures.py``).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from netsim.analysis.results import BulkStats, ClassStats, Summary, Verdict
from netsim.analysis.summary import summarize
from netsim.errors import InputError
from netsim.lab.live.play import playable
from netsim.model import load_scenario
from netsim.model.scenario import TrafficKind
from netsim.sim.engine import build_simulation
from netsim.trace.fields import Fields
from netsim.trace.files import dumps, load_trace
from tests.analysis.test_summary_fixtures import RUNS, as_recorded

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "trace" / "fixtures"


def test_a_simulated_summary_reads_back_equal() -> None:
    scenario = load_scenario(
        ROOT / "scenarios" / "replication-during-failover.yaml", ["duration=4m"]
    )
    trace = build_simulation(scenario, engine="fast").run()
    summary = summarize(trace, scenario)
    kinds = {name: type(s) for name, s in summary.traffic.items()}
    assert kinds == {"api": ClassStats, "probes": ClassStats, "replication": BulkStats}
    assert summary.traffic["api"].kind is TrafficKind.REQUEST_RESPONSE
    assert {s.metric for s in summary.slos} == {
        "latency",
        "success_ratio",
        "failover_gap",
        "throughput",
    }
    assert summary.passed == all(s.passed for s in summary.slos)
    doc = summary.to_json()
    assert Summary.from_json(doc, trace.failovers) == summary
    # Without the trace the failover results lack only the links summary.json leaves out.
    alone = Summary.from_json(json.loads(dumps(doc)))
    assert [f.record.links for f in alone.failovers] == [()] * len(summary.failovers)
    assert dumps(alone.to_json()) == dumps(doc)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_old_summary_json_reads_into_todays_summary(name: str, tmp_path: Path) -> None:
    scenario_name, overrides, lab = RUNS[name]
    with tarfile.open(FIXTURES / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    scenario = load_scenario(ROOT / "scenarios" / f"{scenario_name}.yaml", overrides)
    if lab:
        scenario, _ = playable(scenario)
    trace = load_trace(tmp_path / name)
    saved = (tmp_path / name / "summary.json").read_bytes()
    scenario = as_recorded(scenario, json.loads(saved))
    read = Summary.from_json(json.loads(saved), trace.failovers)
    assert dumps(read.to_json()) == saved
    today = summarize(trace, scenario)
    assert read.verdict is None  # older than verdicts: judged from "pass" alone
    assert read.judged is (Verdict.HOLDS if read.passed else Verdict.FAILS)
    assert [(s.name, s.measured, s.passed) for s in read.slos] == [
        (s.name, s.measured, s.passed) for s in today.slos
    ]
    assert read.failovers == today.failovers
    assert read.links == today.links
    assert read.cost == today.cost


def test_a_damaged_summary_names_the_file_and_the_key() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["duration=2m"])
    doc = summarize(build_simulation(scenario, engine="fast").run(), scenario).to_json()
    traffic = doc["traffic"]
    assert isinstance(traffic, dict)
    name = next(n for n, c in traffic.items() if c["kind"] != "bulk")
    broken = {**doc, "traffic": {**traffic, name: {**traffic[name], "sent": "many"}}}
    with pytest.raises(
        InputError,
        match=rf"run/summary.json: traffic.{name}.sent: expected "
        r"an integer, got str",
    ):
        Summary.from_json(Fields.of(broken, "run/summary.json"))


def test_an_element_without_a_cost_is_named_not_priced_at_zero(tmp_path: Path) -> None:
    """Oracle: the topology file. A link written without ``cost:`` has no cost model; the
    run's summary names it under ``cost.unpriced`` (and reads back equal), and the fixed
    fees are those of the priced elements alone."""
    (tmp_path / "t.yaml").write_text("""
name: t
nodes: {a: {role: cloud}, b: {role: cloud}, x: {role: exchange, cost: {monthly: 100}}}
links:
  - {name: ax, endpoints: [a, x], capacity: 1Gbps, delay: 1ms, cost: {monthly: 10}}
  - {name: xb, endpoints: [x, b], capacity: 1Gbps, delay: 1ms}
""")
    (tmp_path / "s.yaml").write_text("""
name: s
topology: t.yaml
duration: 10s
traffic:
  - {name: p, kind: one-way, from: a, to: b, rate: 10/s, size: 100B}
""")
    scenario = load_scenario(tmp_path / "s.yaml")
    summary = summarize(build_simulation(scenario, engine="fast").run(), scenario)
    assert summary.cost.unpriced == ("xb",)
    assert summary.cost.monthly_usd == 110
    doc = json.loads(dumps(summary.to_json()))
    assert doc["cost"]["unpriced"] == ["xb"]
    assert Summary.from_json(doc).cost == summary.cost

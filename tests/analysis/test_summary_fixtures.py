"""``summary.json`` byte for byte against runs of the code before the typed results.

Oracle: run directories written by netsim at commit 291463a (before ``Summary`` and its
typed parts existed; ``tests/trace/fixtures/README.md`` gives the commands), each holding
the Trace files and the ``summary.json`` that code wrote. The test rebuilds each Trace
from its files, summarises it with today's code and compares the serialised document with
the saved one, byte for byte (``wall_s`` is the trace's own, so it is reproduced too).
The runs cover both engines, request-response, one-way and bulk traffic, retries, a node
failure, a sketch-based long run with random failures, and a lab run on real FRR and
strongSwan.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from netsim.analysis.summary import summarize
from netsim.lab.live.play import playable
from netsim.model import load_scenario
from netsim.trace.files import dumps, load_trace

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


@pytest.mark.parametrize("name", sorted(RUNS))
def test_summary_json_is_unchanged(name: str, tmp_path: Path) -> None:
    scenario_name, overrides, lab = RUNS[name]
    with tarfile.open(FIXTURES / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    run_dir = tmp_path / name
    scenario = load_scenario(ROOT / "scenarios" / f"{scenario_name}.yaml", overrides)
    if lab:
        scenario, _ = playable(scenario)
    trace = load_trace(run_dir)
    got = dumps(summarize(trace, scenario).to_json())
    assert got == (run_dir / "summary.json").read_bytes()

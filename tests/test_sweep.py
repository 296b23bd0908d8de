"""Sweeps: grid expansion, seeds, and the same table locally and on a real Dask cluster.

The oracle for the cluster run is the local run: with the same seeds the engine is
deterministic, so the two tables must be identical row for row.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.errors import UsageError
from netsim.sweep import grid_points, parse_grid, plan_sweep, replication_seeds, run_sweep

if TYPE_CHECKING:
    from pathlib import Path

TOPOLOGY = """
name: pair
nodes: {a: {role: cloud}, b: {role: cloud}}
links:
  - {name: primary, kind: interconnect, endpoints: [a, b], capacity: 100Mbps, delay: 5ms,
     buffer: 200KB}
  - {name: backup, kind: vpn, endpoints: [a, b], capacity: 50Mbps, delay: 15ms}
"""
SCENARIO = """
name: tiny
topology: pair.yaml
duration: 20s
warmup: 1s
seed: 9
traffic:
  - {name: api, kind: request-response, from: a, to: b, rate: 200/s, request_size: 2KB,
     response_size: {dist: expon, scale: 20KB}, timeout: 2s}
failures:
  - {link: primary, at: 10s, duration: 5s, mode: blackhole}
slos:
  - {name: api-p95, class: api, metric: latency, quantile: 0.95, max: 50ms}
  - {name: gap, metric: failover_gap, max: 3s}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "pair.yaml").write_text(TOPOLOGY)
    (tmp_path / "tiny.yaml").write_text(SCENARIO)
    return tmp_path / "tiny.yaml"


GRID = ["topology.links.primary.capacity=40Mbps,100Mbps", "traffic.api.rate=100/s,200/s"]


def test_grid_and_seeds() -> None:
    grid = parse_grid(GRID)
    points = grid_points(grid)
    assert len(points) == 4
    assert points[1] == (
        ("topology.links.primary.capacity", "40Mbps"),
        ("traffic.api.rate", "200/s"),
    )
    seeds = replication_seeds(9, 3)
    assert len(set(seeds)) == 3
    assert seeds == replication_seeds(9, 3)
    with pytest.raises(UsageError):
        parse_grid(["nokey"])


def test_dask_local_cluster_gives_the_local_table(scenario_file: Path) -> None:
    from dask.distributed import LocalCluster

    tasks = plan_sweep(scenario_file, parse_grid(GRID), replications=2)
    local = run_sweep(tasks, workers=2)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_sweep(tasks, scheduler=cluster.scheduler_address)
    assert remote == local
    assert len(local) == 8
    # The grid really changes the outcome: a 40 Mbps primary is slower at 200/s.
    p95 = {
        (r["topology.links.primary.capacity"], r["traffic.api.rate"], r["replication"]): r[
            "api-p95"
        ]
        for r in local
    }
    assert p95[("40Mbps", "200/s", 0)] > p95[("100Mbps", "200/s", 0)]
    # Replications differ from each other (different seeds)...
    assert p95[("100Mbps", "100/s", 0)] != p95[("100Mbps", "100/s", 1)]


def test_cli_writes_table_json_and_plot(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        main(
            [
                "sweep",
                str(scenario_file),
                "--grid",
                "traffic.api.rate=100/s,200/s",
                "--replications",
                "2",
                "--workers",
                "1",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(rows) == 4
    assert {r["traffic.api.rate"] for r in rows} == {"100/s", "200/s"}
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["grid"] == {"traffic.api.rate": ["100/s", "200/s"]}
    assert len(doc["rows"]) == 4
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Oracle: `netsim run` of the same point and seed. A sweep row says what the run says
    # of each SLO (judged per window), not only whether the point estimate passes.
    row = doc["rows"][-1]
    run_out = tmp_path / "run"
    args = ["run", str(scenario_file), "--set", f"traffic.api.rate={row['traffic.api.rate']}"]
    main([*args, "--seed", str(row["seed"]), "--out", str(run_out), "--quiet"])
    summary = json.loads((run_out / "summary.json").read_text())
    for slo in summary["slos"]:
        assert row[f"{slo['name']}:verdict"] == slo["verdict"]
        assert row[f"{slo['name']}:pass"] == slo["pass"]
    assert row["verdict"] == summary["verdict"]


def test_cli_bad_grid_exits_2(scenario_file: Path) -> None:
    assert main(["sweep", str(scenario_file), "--grid", "traffic.nope.rate=1/s,2/s"]) == 2
    assert main(["sweep", str(scenario_file)]) == 2

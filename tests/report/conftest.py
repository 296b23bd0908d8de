"""Short real runs shared by the report tests (simulated once per session).

``failover_run``: the replication-during-failover scenario cut to 150 s: API calls, probes
and a 200 GB replication from aws to gcp (still running at the end: see the note on
netsim/sim/bulk.py in docs/report.md), and a 40 s blackhole of aws-mcr at 60 s.
``baseline_run``: the baseline at its daily mean load for 120 s (the cost run).
Both use the fast engine when it works here, else the exact one. ``review_dir``: a whole
``netsim review`` on those two scenarios (shortened), with 20 years of Monte Carlo.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from netsim.model import Scenario, Topology, Transfer, load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.source import parse_yaml
from netsim.report.plan import Planned, mean_load
from netsim.report.review import pick_engine, run_planned, run_review

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.report.data import Run

ROOT = Path(__file__).resolve().parent.parent.parent
HUB = ROOT / "topologies" / "megaport-hub.yaml"


def short_failover(topology_text: str | None = None) -> Scenario:
    sc = load_scenario(ROOT / "scenarios" / "replication-during-failover.yaml")
    traffic = tuple(
        dataclasses.replace(c, transfers=(Transfer(20.0, 200e9),)) if c.name == "replication" else c
        for c in sc.traffic
    )
    failure = dataclasses.replace(sc.failures[0], at=60.0, duration=40.0)
    sc = dataclasses.replace(sc, duration=150.0, warmup=10.0, traffic=traffic, failures=(failure,))
    if topology_text is not None:
        sc = dataclasses.replace(sc, topology=topology_of(topology_text))
    return sc


def topology_of(text: str) -> Topology:
    return read_topology(parse_yaml(text, "variant.yaml"))


@pytest.fixture(scope="session")
def engine() -> str:
    sc = short_failover()
    return pick_engine("auto", Planned("probe", sc, HUB.read_text()))


@pytest.fixture(scope="session")
def simulate(
    tmp_path_factory: pytest.TempPathFactory, engine: str
) -> Callable[[str, Scenario, str], Run]:
    root = tmp_path_factory.mktemp("runs")

    def run(key: str, scenario: Scenario, topology_text: str) -> Run:
        return run_planned(Planned(key, scenario, topology_text, ("test run",)), root, engine)

    return run


@pytest.fixture(scope="session")
def failover_run(simulate: Callable[[str, Scenario, str], Run]) -> Run:
    return simulate("replication-during-failover", short_failover(), HUB.read_text())


@pytest.fixture(scope="session")
def baseline_run(simulate: Callable[[str, Scenario, str], Run]) -> Run:
    sc = mean_load(load_scenario(ROOT / "scenarios" / "baseline.yaml"), 120.0)
    return simulate("baseline", sc, HUB.read_text())


@pytest.fixture(scope="session")
def hub() -> Topology:
    return topology_of(HUB.read_text())


SHORT = {  # scenario -> changes that keep the review test to seconds
    "baseline": {"duration": "120s", "warmup": "10s"},
    "replication-during-failover": {
        "duration": "150s",
        "warmup": "10s",
        "failures": [{"link": "aws-mcr", "at": "60s", "duration": "40s", "mode": "blackhole"}],
    },
}


@pytest.fixture(scope="session")
def review_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenarios = tmp_path_factory.mktemp("scenarios")
    for name, changes in SHORT.items():
        data = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
        data.update(changes)
        data["topology"] = str(ROOT / "topologies" / "megaport-hub.yaml")
        for cls in data["traffic"]:
            if cls.get("transfers"):
                cls["transfers"] = [{"at": "20s", "size": "200GB"}]
        (scenarios / f"{name}.yaml").write_text(yaml.safe_dump(data))
    out = tmp_path_factory.mktemp("review")
    run_review(out, scenarios=scenarios, years=20)
    return out

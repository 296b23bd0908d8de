"""Short real runs shared by the report tests (simulated once per session).

``failover_run``: the replication-during-failover scenario cut to 150 s: API calls, probes
and a 200 GB replication from aws to gcp (still running at the end), and a 40 s blackhole
of aws-mcr at 60 s. ``baseline_run``: the baseline's peak hour cut to 120 s.
``review_dir``: a whole ``netsim review`` of ADR-003 on short versions of its scenarios
(:data:`SHORT`), and ``four_site_dir`` the same for the four-site design of
``tests/report/data/four-site`` (a user's design, not ADR-003); ``partition_review`` the
same for ``tests/report/data/partition`` (a failure that leaves a pair with no path, and a
failure that touches nothing the exchange carries). All on the fast engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from netsim.model.load_topology import read_topology
from netsim.model.resolve import resolve_files
from netsim.model.source import parse_yaml
from netsim.report.edits import edit_scenario
from netsim.report.jobs import Planned, run_planned
from netsim.report.review import run_review

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.model import Topology
    from netsim.report.build import Report
    from netsim.report.data import Run

ROOT = Path(__file__).resolve().parent.parent.parent
HUB = ROOT / "topologies" / "megaport-hub.yaml"
DATA = Path(__file__).resolve().parent / "data"
ENGINE = "fast"


def planned(
    name: str,
    edit: Callable[[dict[str, Any]], None] | None = None,
    topology_text: str | None = None,
    key: str | None = None,
) -> Planned:
    """A shipped scenario as a planned run, its YAML edited, on another topology."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    files = resolve_files(path)
    text = files.scenario if edit is None else edit_scenario(files.scenario, edit)
    return Planned(key or name, text, topology_text or files.topology, str(path), ("test run",))


def _short_failover(data: dict[str, Any]) -> None:
    data.update(duration="150s", warmup="10s")
    data["failures"] = [{"link": "aws-mcr", "at": "60s", "duration": "40s", "mode": "blackhole"}]
    for cls in data["traffic"]:
        if cls.get("transfers"):
            cls["transfers"] = [{"at": "20s", "size": "200GB"}]


def short_failover(
    topology_text: str | None = None, key: str = "replication-during-failover"
) -> Planned:
    return planned("replication-during-failover", _short_failover, topology_text, key)


def topology_of(text: str) -> Topology:
    return read_topology(parse_yaml(text, "variant.yaml"))


@pytest.fixture(scope="session")
def simulate(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Planned], Run]:
    root = tmp_path_factory.mktemp("runs")

    def run(p: Planned) -> Run:
        return run_planned(p, root, ENGINE)

    return run


@pytest.fixture(scope="session")
def failover_run(simulate: Callable[[Planned], Run]) -> Run:
    return simulate(short_failover())


@pytest.fixture(scope="session")
def baseline_run(simulate: Callable[[Planned], Run]) -> Run:
    return simulate(planned("baseline", lambda d: d.update(duration="120s", warmup="10s")))


@pytest.fixture(scope="session")
def hub() -> Topology:
    return topology_of(HUB.read_text())


SHORT: dict[str, dict[str, Any]] = {  # scenario -> changes that keep the review to seconds
    "baseline": {"duration": "10m", "warmup": "30s"},
    "replication-during-failover": {
        "duration": "270s",
        "warmup": "10s",
        "failures": [{"link": "aws-mcr", "at": "60s", "duration": "90s", "mode": "blackhole"}],
    },
    "interconnect-blackhole": {"duration": "5m"},
    "mcr-outage": {
        "duration": "5m",
        "failures": [
            {"group": "megaport-mcr", "at": "60s", "duration": "90s", "mode": "blackhole"}
        ],
    },
}


def short_scenarios(
    target: Path, source: Path, changes: dict[str, dict[str, Any]], topology: Path | None = None
) -> Path:
    """Copies of ``source``'s scenarios with ``changes``, pointing at their topology."""
    target.mkdir(parents=True, exist_ok=True)
    for name, change in changes.items():
        data = yaml.safe_load((source / f"{name}.yaml").read_text())
        data.update(change)
        data["topology"] = str(topology or (source / data["topology"]).resolve())
        for cls in data["traffic"]:
            if cls.get("transfers"):
                cls["transfers"] = [{"at": "20s", "size": "200GB"}]
        (target / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return target


@pytest.fixture(scope="session")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    """A whole review of ADR-003 on short scenarios (20 Monte Carlo years)."""
    scenarios = short_scenarios(
        tmp_path_factory.mktemp("scenarios"), ROOT / "scenarios", SHORT, HUB
    )
    out = tmp_path_factory.mktemp("review")
    report, _ = run_review(out, scenarios=scenarios, years=20, workers=2)
    return report, out


@pytest.fixture(scope="session")
def review_dir(review: tuple[Report, Path]) -> Path:
    return review[1]


@pytest.fixture(scope="session")
def four_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    """A whole review of the four-site design, run as a user would run it."""
    out = tmp_path_factory.mktemp("four-site")
    report, _ = run_review(out, scenarios=DATA / "four-site", years=20, workers=2)
    return report, out


@pytest.fixture(scope="session")
def partition_review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    """A whole review of the three-cloud design of ``data/partition``, where gcp has no
    fallback: its scenarios cut gcp off, and fail aws's internet access."""
    out = tmp_path_factory.mktemp("partition")
    report, _ = run_review(out, scenarios=DATA / "partition", years=20, workers=2)
    return report, out

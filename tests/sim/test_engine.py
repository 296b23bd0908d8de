"""The engine's pipeline and its plug-in point for data planes.

- the registry is a plain dict whose keys are the planes' ``NAME`` and the ``--engine``
  choices; an unknown engine is a usage error that lists them;
- a third data plane plugs in by implementing :class:`DataPlane` alone: a plane that sends
  nothing still gets the same control events, failovers, transfers, bulk bytes and down
  time as the exact engine (that part of the Trace is written once, by the pipeline);
- every data plane reads the timeline only: running one does not change it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pytest

from netsim.errors import UsageError
from netsim.model import load_scenario
from netsim.sim.dataplane import DataPlane, DirectionCount, PacketResult
from netsim.sim.engine import (
    DATA_PLANES,
    ENGINES,
    build_simulation,
    end_of_run,
    failure_schedule,
    new_trace,
    run_control_plane,
    simulate,
)

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.sim.dataplane import Progress

ROOT = Path(__file__).resolve().parents[2]


class SilentDataPlane(DataPlane):
    """Sends no packet at all: the smallest data plane there is."""

    NAME: ClassVar[str] = "silent"

    def run(self, progress: Progress | None = None) -> PacketResult:
        bins = int(np.ceil(self.scenario.duration / self.trace.bin_s))
        return PacketResult(
            {
                (link.name, d): DirectionCount(0.0, np.zeros(bins))
                for link in self.scenario.topology.links
                for d in (0, 1)
            },
            {"data_plane": self.NAME},
        )


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(ROOT / "scenarios/replication-during-failover.yaml", ["duration=5m"])


def test_registry_names_are_the_planes_names() -> None:
    assert ENGINES == ("fast", "exact")  # the first is every verb's default
    for name, plane in DATA_PLANES.items():
        assert issubclass(plane, DataPlane)
        assert name == plane.NAME


def test_unknown_engine_is_a_usage_error(scenario: Scenario) -> None:
    with pytest.raises(UsageError, match="expected fast, exact"):
        build_simulation(scenario, 1, engine="turbo")


def test_a_new_data_plane_gets_the_shared_part_of_the_trace(scenario: Scenario) -> None:
    silent = simulate(scenario, 3, SilentDataPlane)
    exact = build_simulation(scenario, 3, engine="exact").run()
    assert len(silent.attempts) == 0 < len(exact.attempts)
    assert [e.to_json() for e in silent.events] == [e.to_json() for e in exact.events]
    assert silent.transfers == exact.transfers
    assert silent.failovers == exact.failovers
    assert silent.meta["link_down_s"] == exact.meta["link_down_s"]
    assert silent.meta["link_down_s"]["aws-mcr"] == pytest.approx(300.0 - 180.0)
    assert silent.meta["data_plane"] == "silent"
    # the bulk bytes are the control plane's; the packet bytes the data plane's
    assert 0 < silent.link_bytes["aws-mcr"] < exact.link_bytes["aws-mcr"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_data_plane_only_reads_the_timeline(scenario: Scenario, engine: str) -> None:
    timeline = run_control_plane(scenario, 5, failure_schedule(scenario, 5))
    assert timeline.until == end_of_run(scenario)
    before = copy.deepcopy(timeline)
    DATA_PLANES[engine](scenario, 5, timeline, new_trace(scenario, 5)).run()
    assert timeline == before

"""The simulation pipeline as a library: scenario -> Trace -> summary.

``netsim run`` (:mod:`netsim.cli.run`) is :func:`simulate`, then
:func:`netsim.trace.files.write_run`, plus printing.

Examples
--------
>>> from netsim import load_scenario
>>> scenario = load_scenario("scenarios/interconnect-cut.yaml", ["duration=3m"])
>>> trace, summary = simulate(scenario, seed=1)
>>> summary.failovers[0].record.subject
'aws-mcr'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.analysis.summary import summarize
from netsim.sim.engine import build_simulation

if TYPE_CHECKING:
    from netsim.analysis.results import Summary
    from netsim.model.scenario import Scenario
    from netsim.trace.core import Trace

Progress = Callable[[float, float], None]  # (simulated seconds done, total)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    engine: str = "exact",
    progress: Progress | None = None,
) -> tuple[Trace, Summary]:
    """Run one scenario and summarise it (the library form of ``netsim run``)."""
    simulation = build_simulation(scenario, seed, engine=engine)
    trace = simulation.run(progress=progress)
    return trace, summarize(trace, scenario)


def default_out(scenario: Scenario, suffix: str = "") -> Path:
    """``results/<scenario>[suffix]/``: where a run is written unless told otherwise."""
    return Path("results") / f"{scenario.name}{suffix}"


__all__ = ["default_out", "simulate"]

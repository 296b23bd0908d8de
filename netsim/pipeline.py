"""``netsim run``: load a scenario, simulate it, judge its SLOs, write the run directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.analysis.summary import summarize
from netsim.cli.console import print_summary, progress_bar
from netsim.errors import EXIT_OK, EXIT_VIOLATED
from netsim.model.load_scenario import load_scenario
from netsim.sim.engine import build_simulation
from netsim.trace.files import write_run

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.trace.core import Trace


def simulate(scenario: Scenario, seed: int | None = None, engine: str = "exact",
             progress: bool = False) -> tuple[Trace, dict[str, Any]]:
    """Run one scenario and summarise it (the library form of ``netsim run``)."""
    simulation = build_simulation(scenario, seed, engine=engine)
    with progress_bar(f"simulating {scenario.name}", scenario.duration, progress) as update:
        trace = simulation.run(progress=update)
    return trace, summarize(trace, scenario)


def run_command(path: Path, *, seed: int | None = None, out: Path | None = None,
                overrides: list[str] | None = None, quiet: bool = False,
                engine: str = "exact") -> int:
    scenario = load_scenario(path, overrides or [])
    trace, summary = simulate(scenario, seed, engine, progress=not quiet)
    out = out or Path("results") / scenario.name
    write_run(out, trace, summary)
    if not quiet:
        print_summary(summary)
        print(f"results in {out}/ (summary.json, attempts.parquet, timeline.jsonl)")
    return EXIT_OK if summary["pass"] else EXIT_VIOLATED

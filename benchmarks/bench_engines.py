"""Side by side in one process: the fast engine, the exact engine and a plain simpy model.

Run: ``.venv/bin/python benchmarks/bench_engines.py [--hours H] [--skip-plain]``.

For the ADR-003 baseline day (``scenarios/baseline.yaml``, shortened with ``--hours``) and
the failover scenario (``scenarios/interconnect-blackhole.yaml``) it prints, per model, the
wall and CPU seconds and the speed ratios (CPU time is the fairer figure on a shared
machine; the models' runs are timed, not the summaries), then per traffic class the P95
and P99 of the fast engine against the exact engine: relative error, and whether the fast
value lies inside the exact engine's 95 % confidence interval. The plain model
(``plain_simpy.py``) ignores failures and bulk flows, so its quantiles are only comparable
on the baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 0.01  # fast vs exact quantiles: largest relative error outside the exact CI
sys.path.insert(0, str(ROOT))

from benchmarks.plain_simpy import run_plain  # noqa: E402
from netsim.analysis.summary import summarize  # noqa: E402
from netsim.model import Scenario, load_scenario  # noqa: E402
from netsim.sim.engine import build_simulation  # noqa: E402


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def compare(title: str, scenario: Scenario, plain: bool) -> None:
    """Time each model's run (the summary is computed outside the timer, as the plain
    model has none), then compare the quantiles."""
    runs: dict[str, tuple[Any, float, float]] = {}
    for engine in ("fast", "exact"):
        trace, wall, cpu = timed(lambda e=engine: build_simulation(scenario, engine=e).run())
        runs[engine] = (summarize(trace, scenario).to_json(), wall, cpu)
    if plain:
        runs["plain"] = timed(lambda: run_plain(scenario))
    print(f"\n== {title}: {scenario.duration / 3600:g} simulated hours ==")
    print(f"{'model':<8}{'wall s':>9}{'cpu s':>9}{'x fast cpu':>12}{'x fast wall':>13}")
    for name, (_, wall, cpu) in runs.items():
        print(
            f"{name:<8}{wall:>9.2f}{cpu:>9.2f}{cpu / runs['fast'][2]:>12.1f}"
            f"{wall / runs['fast'][1]:>13.1f}"
        )
    fast, exact = runs["fast"][0], runs["exact"][0]
    print(
        f"{'class':<22}{'q':>4}{'exact ms':>10}{'exact 95% CI':>20}{'fast ms':>10}"
        f"{'error':>9}{'in CI':>7}" + (f"{'plain ms':>10}" if plain else "")
    )
    worst = 0.0
    for name, e in exact["traffic"].items():
        if e.get("kind") == "bulk" or not e.get("latency_ms"):
            continue
        f = fast["traffic"][name]["latency_ms"]
        for q in ("p95", "p99"):
            ev, fv = e["latency_ms"][q], f[q]
            lo, hi = e["latency_ms"][f"{q}_ci"]
            err = (fv - ev) / ev
            inside = lo <= fv <= hi
            if not inside:
                worst = max(worst, abs(err))
            extra = ""
            if plain:
                lat = runs["plain"][0]["latencies"].get(name, np.zeros(0))
                extra = f"{np.quantile(lat, int(q[1:]) / 100) * 1e3:>10.2f}" if len(lat) else ""
            print(
                f"{name:<22}{q:>4}{ev:>10.3f}{f'[{lo:.3f}, {hi:.3f}]':>20}{fv:>10.3f}"
                f"{err:>+9.2%}{'yes' if inside else 'no':>7}{extra}"
            )
    verdict = "PASS" if worst <= TOLERANCE else "FAIL"
    print(
        f"agreement: every P95/P99 inside the exact CI or within {TOLERANCE:.0%}: {verdict} "
        f"(largest error outside the CI {worst:.2%})"
    )
    for f, e in zip(fast["failovers"], exact["failovers"], strict=False):
        print(f"failover {f['subject']}: gap fast {f['gap_s']} s, exact {e['gap_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=float, default=24.0, help="baseline length")
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml", [f"duration={args.hours}h"])
    compare("ADR-003 baseline", baseline, not args.skip_plain)
    failover = load_scenario(ROOT / "scenarios" / "interconnect-blackhole.yaml")
    compare("interconnect-blackhole", failover, not args.skip_plain)


if __name__ == "__main__":
    main()

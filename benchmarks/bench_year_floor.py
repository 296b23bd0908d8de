"""Where a simulated year's time goes: the engine's CPU per simulated day, and the part of
it no numpy rewrite can remove (drawing the random numbers the model asks for).

Run: ``.venv/bin/python benchmarks/bench_year_floor.py [--days D]`` (default 4).

The year scenario (``scenarios/baseline-year.yaml``) is run for ``--days`` on the fast
engine in this process, with ``Load.draws`` wrapped to count the standard normals it draws
(each API call draws its response size, server time, four sidecar samples and one normal
per hop of each leg; each datagram its size, two sidecar samples and one per hop) and to
time them. The cost of that many normals on this machine is then timed alone, in the
engine's block shape. The projection to 365 days on two cores is the engine's CPU time
per day x 365 / 2: the issue's target is 120 s (``bench_scale.py`` times the real year as
whole processes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netsim.model import load_scenario  # noqa: E402
from netsim.sim.engine import run_fast  # noqa: E402
from netsim.sim.fast import load as fast_load  # noqa: E402

YEAR, CORES, TARGET_S = 365, 2, 120.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=float, default=4.0)
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline-year.yaml", [f"duration={args.days}d"])
    normals, draw_cpu = [0], [0.0]
    original = fast_load.Load.draws

    def counted(self: fast_load.Load, rq: fast_load.Requests, h: int) -> dict[str, np.ndarray]:
        started = time.process_time()
        out = original(self, rq, h)
        draw_cpu[0] += time.process_time() - started
        for i, f in enumerate(self.flows):
            drawn = sum(1 for _, d in self.quantities[i] if not d.is_constant)
            normals[0] += int(rq.bounds[i + 1] - rq.bounds[i]) * (drawn + (2 if f.rr else 1) * h)
        return out

    fast_load.Load.draws = counted  # type: ignore[method-assign]
    started = time.process_time()
    trace = run_fast(scenario, scenario.seed, rows="failures")
    engine = (time.process_time() - started) / args.days
    fast_load.Load.draws = original  # type: ignore[method-assign]
    per_day = normals[0] / args.days

    rng = np.random.default_rng(1)
    block = np.empty((10, fast_load.DRAW_BLOCK))
    reps = max(int(per_day // block.size), 1)
    started = time.process_time()
    for _ in range(reps):
        rng.standard_normal(block.shape, out=block)
    ns = (time.process_time() - started) / (reps * block.size) * 1e9
    rng_day = per_day * ns * 1e-9

    sent = sum(sum(row) for row in trace.meta["sketches"]["counters"]["sent"]) / args.days
    print(f"== {args.days:g} days of {scenario.name}, fast engine, one process ==")
    print(f"requests and datagrams per day: {sent:,.0f}; standard normals per day: {per_day:,.0f}")
    print(f"engine CPU per simulated day: {engine:.3f} s ({engine / sent * 1e9:.0f} ns a request)")
    print(
        f"  of which Load.draws: {draw_cpu[0] / args.days:.3f} s; the normals alone "
        f"({ns:.1f} ns each here): {rng_day:.3f} s ({rng_day / engine:.0%})"
    )
    year = engine * YEAR / CORES
    floor = rng_day * YEAR / CORES
    print(
        f"a year on {CORES} cores: about {year:.0f} s of engine time (target {TARGET_S:.0f} s, "
        f"{year / TARGET_S:.2f}x it); drawing its normals alone: {floor:.0f} s "
        f"({floor / TARGET_S:.0%} of the target)"
    )


if __name__ == "__main__":
    main()

"""Availability Monte Carlo speed: 10,000 simulated years of ADR-003 (megaport-hub).

Run: ``.venv/bin/python benchmarks/bench_availability.py [--years N] [--repeat R]``.
Prints the wall and CPU time (best of ``--repeat``; the target is under 30 s), simulated
years per second, and per pair the simulated availability, its CI and the closed form.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 30.0  # the availability Monte Carlo budget (wall seconds)
sys.path.insert(0, str(ROOT))

from netsim.analysis.availability import availability_report  # noqa: E402
from netsim.model import load_topology  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--topology", default=str(ROOT / "topologies" / "megaport-hub.yaml"))
    args = parser.parse_args()
    topo = load_topology(args.topology)
    best_wall = best_cpu = float("inf")
    for i in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        doc = availability_report(topo, args.years, seed=i + 1)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    verdict = "under" if best_wall < BUDGET_S else "OVER"
    print(
        f"{args.years:,} simulated years of {topo.name}: {best_wall:.2f} s wall "
        f"({verdict} {BUDGET_S:g} s), {best_cpu:.2f} s CPU, "
        f"{args.years / best_wall:,.0f} years/s"
    )
    for p in doc["pairs"]:
        d = p["downtime_min_per_year"]
        print(
            f"  {p['a']}-{p['b']}: simulated {p['simulated']:.7f} "
            f"[{p['ci'][0]:.7f}, {p['ci'][1]:.7f}], closed form {p['closed_form']:.7f}, "
            f"downtime min/yr mean {d['mean']:.2f} p50 {d['p50']:.2f} p95 {d['p95']:.2f}"
        )


if __name__ == "__main__":
    main()

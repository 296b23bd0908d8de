"""Side by side: netsim's exact engine vs a plain per-request simpy model, one ADR-003 day.

Run: ``.venv/bin/python benchmarks/bench_day.py [--hours H]`` (default 24). Prints wall
times, requests per second of wall time, the speed ratio, and the P95/P99 of the main API
class in both models (they should agree: same load, same topology, no failures).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.plain_simpy import run_plain  # noqa: E402
from netsim.analysis.requests import request_table  # noqa: E402
from netsim.model import load_scenario  # noqa: E402
from netsim.sim.engine import build_simulation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--engines", default="exact", help="comma list: exact,fast")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", [f"duration={args.hours}h"])
    cls = "api-aws-gcp"
    ci = [c.name for c in scenario.traffic].index(cls)
    rows = []
    for engine in args.engines.split(","):
        trace = build_simulation(scenario, engine=engine).run()
        req = request_table(trace, since=0.0)
        lat = req.latency[(req.cls == ci) & req.ok]
        rows.append((f"netsim {engine}", trace.wall_s, len(req.t_send), lat))
    plain = run_plain(scenario)
    rows.append(("plain simpy", plain["wall_s"], plain["requests"], plain["latencies"][cls]))
    base = rows[-1][1]
    print(f"ADR-003 baseline, {args.hours:g} simulated hours, class {cls}")
    print(
        f"{'model':<16}{'wall s':>9}{'requests':>11}{'req/s wall':>12}{'x plain':>9}"
        f"{'P95 ms':>9}{'P99 ms':>9}"
    )
    for name, wall, n, lat in rows:
        p95, p99 = np.quantile(lat, [0.95, 0.99]) * 1e3
        print(
            f"{name:<16}{wall:>9.2f}{n:>11}{n / wall:>12.0f}{base / wall:>9.2f}"
            f"{p95:>9.2f}{p99:>9.2f}"
        )


if __name__ == "__main__":
    main()

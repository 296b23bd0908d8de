"""One simulated year of the ADR-003 baseline with random failures, on the fast engine.

Run: ``.venv/bin/python benchmarks/bench_year.py [--days N]`` (default 365).

The baseline scenario (about 1 M API calls and 1.7 M observability datagrams a day, plus
10 TB a month of replication) is stretched to ``--days`` and given ``{random: true}``
failures (every mtbf/mttr of megaport-hub). Prints wall and CPU time, peak resident
memory (``resource.getrusage``; the target is under 1 GiB), attempts simulated, rows kept
(only around failures), the per-class P95/P99 from the sketches and the failovers seen.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netsim.analysis.summary import summarize  # noqa: E402
from netsim.model import load_scenario  # noqa: E402
from netsim.sim.engine import build_simulation  # noqa: E402

GIB = 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=float, default=365.0)
    args = parser.parse_args()
    scenario = load_scenario(
        ROOT / "scenarios" / "baseline.yaml",
        [f"duration={args.days}d", "failures=[{random: true}]"],
    )
    wall, cpu = time.perf_counter(), time.process_time()
    last = [0.0]

    def progress(done: float, total: float) -> None:
        if done - last[0] >= total / 20 or done >= total:
            last[0] = done
            print(
                f"  {done / 86400:6.1f} / {total / 86400:g} days, "
                f"{time.perf_counter() - wall:7.1f} s wall",
                flush=True,
            )

    trace = build_simulation(scenario, engine="fast").run(progress)
    run_wall, run_cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary = summarize(trace, scenario).to_json()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    sketches = trace.meta["sketches"]["counters"]["sent"]
    attempts = sum(sum(row) for row in sketches)
    print(f"\n== {args.days:g} simulated days of {scenario.name} with random failures ==")
    print(
        f"run: {run_wall:.1f} s wall, {run_cpu:.1f} s CPU; summary "
        f"{time.perf_counter() - wall - run_wall:.1f} s"
    )
    print(f"peak RSS: {peak / GIB:.3f} GiB ({'under' if peak < GIB else 'OVER'} 1 GiB)")
    print(
        f"requests and datagrams: {attempts:,}; attempt rows kept: {len(trace.attempts):,} "
        f"({trace.meta['rows']}); windows: {trace.meta['fast']['windows']}"
    )
    print(f"{'class':<22}{'sent':>14}{'success':>11}{'P95 ms':>9}{'P99 ms':>9}")
    for name, s in summary["traffic"].items():
        if s.get("kind") == "bulk":
            print(f"{name:<22}{s['transfers']:>14} transfers, {s['throughput_mbps']} Mbit/s")
            continue
        lat = s["latency_ms"] or {}
        print(
            f"{name:<22}{s['sent']:>14,}{s['success_ratio']:>11.6f}"
            f"{lat.get('p95', float('nan')):>9.2f}{lat.get('p99', float('nan')):>9.2f}"
        )
    gaps = [f["gap_s"] for f in summary["failovers"]]
    print(
        f"failovers: {len(gaps)}, data-plane gaps: max {max(gaps, default=0):.2f} s, "
        f"mean {sum(gaps) / max(len(gaps), 1):.2f} s"
    )


if __name__ == "__main__":
    main()

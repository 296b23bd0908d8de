"""Coverage of the 95 % intervals, before and after issue 15, against queueing theory.

Run: ``.venv/bin/python benchmarks/bench_coverage.py [--seeds N] [--workers W]``.

For each case it runs N independent seeds (the fast engine; exact on one FIFO link) and
prints, per statistic, how often the interval contained the analytic value, the median
interval width, and the width an honest interval would have (``2 x 1.96 x`` the standard
deviation of the point estimates over the seeds). "before" is the interval for independent
samples that netsim reported until issue 15 (binomial order statistics for quantiles,
Wilson for ratios, the plain t interval for the mean, which was not reported); "after" is
what ``summary.json`` reports now (batch means, docs/design.md "Confidence intervals").

The cases are those of ``tests/analysis/test_coverage.py`` plus the issue's own example:
one 100 Mbit/s link, exponential sizes of 1500 B on average, load 0.8, runs of 60 s.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netsim.analysis.evidence import sketch_set  # noqa: E402
from netsim.analysis.requests import request_table  # noqa: E402
from netsim.analysis.stats import quantile_ci, wilson  # noqa: E402
from netsim.analysis.summary import summarize  # noqa: E402
from netsim.model import load_scenario  # noqa: E402
from netsim.sim.engine import run_fast  # noqa: E402
from netsim.sweep import replication_seeds  # noqa: E402
from tests.analysis.test_coverage import md1_sojourn_quantile  # noqa: E402

LINK = """
name: link
nodes: {{a: {{}}, b: {{}}}}
links:
  - name: ab
    kind: {kind}
    endpoints: [a, b]
    capacity: {capacity}
    delay: 0s
    {extra}
"""
QUEUE = """
name: queue
topology: link.yaml
duration: {duration}
warmup: {warmup}
seed: 15
traffic:
  - {{name: msgs, kind: one-way, from: a, to: b, rate: {rate}/s, size: {size}, timeout: 1h}}
{failures}
"""
EXPON = "{dist: expon, scale: %s}"


def cases() -> dict[str, dict[str, Any]]:
    """name -> files, truths (ms or ratio) and whether to keep sketches only."""
    mm1 = {"kind": "interconnect", "extra": "", "failures": ""}
    out: dict[str, dict[str, Any]] = {
        "issue: M/M/1 100 Mbit/s rho 0.8, 60 s": {
            **mm1,
            "capacity": "100Mbps",
            "rate": 6666.667,
            "size": EXPON % "1500B",
            "duration": "65s",
            "warmup": "5s",
            "truth": {"mean": 1e3 / 1666.667, "p95": 1e3 * math.log(20) / 1666.667},
        },
    }
    for name, rho, size in (("M/M/1", 0.5, EXPON % "1000B"), ("M/M/1", 0.8, EXPON % "1000B")):
        out[f"{name} rho {rho}, 60 s"] = {
            **mm1,
            "capacity": "8Mbps",
            "rate": rho * 1000,
            "size": size,
            "duration": "70s",
            "warmup": "10s",
            "truth": {
                "mean": 1e3 / (1000 - rho * 1000),
                "p95": 1e3 * math.log(20) / (1000 - rho * 1000),
            },
        }
    out["M/D/1 rho 0.8, 60 s"] = {
        **mm1,
        "capacity": "8Mbps",
        "rate": 800,
        "size": "1000B",
        "duration": "70s",
        "warmup": "10s",
        "truth": {
            "mean": 1e3 * (1 / 1000 + 0.8 / (2 * 1000 * 0.2)),
            "p95": 1e3 * md1_sojourn_quantile(800.0, 1000.0, 0.95),
        },
    }
    out["success ratio, link up 50 s / down 5 s"] = {
        "kind": "internet",
        "extra": "mtbf: 50s\n    mttr: {dist: expon, scale: 5s}\n"
        "    bgp: {keepalive: 1s, hold: 3s, reestablish: 0s}",
        "failures": "failures:\n  - {random: true}",
        "capacity": "10Mbps",
        "rate": 50,
        "size": "100B",
        "duration": "1860s",
        "warmup": "60s",
        "truth": {"success": 50 / 55},
    }
    out["sketches: M/M/1 rho 0.8, 2 h at mu 20/s"] = {
        **mm1,
        "capacity": "160Kbps",
        "rate": 16,
        "size": EXPON % "1000B",
        "duration": "7500s",
        "warmup": "300s",
        "truth": {"mean": 1e3 / 4, "p95": 1e3 * math.log(20) / 4},
        "sketches": True,
    }
    return out


def one(
    args: tuple[str, dict[str, Any], int],
) -> dict[str, tuple[float, tuple[float, float], tuple[float, float]]]:
    """(point, before, after) per statistic for one seed of one case."""
    _, case, seed = args
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "link.yaml").write_text(LINK.format(**case))
        Path(tmp, "queue.yaml").write_text(QUEUE.format(**case))
        scenario = load_scenario(Path(tmp, "queue.yaml"))
    trace = run_fast(scenario, seed, rows="failures" if case.get("sketches") else "auto")
    summary = summarize(trace, scenario)
    stats = summary.traffic["msgs"]
    out = {}
    if "success" in case["truth"]:
        req = request_table(trace)
        before = wilson(int(req.ok.sum()), len(req.ok))
        out["success"] = (stats.success_ratio, before, stats.success_ratio_ci)
        return out
    lat = stats.latency_ms
    sketches = sketch_set(trace)
    if sketches is not None:
        merged = sketches.merged(0)
        _, b95 = merged.quantile_ci(0.95)
        before95 = (b95[0] * 1e3, b95[1] * 1e3)
        before_mean = (math.nan, math.nan)
    else:
        req = request_table(trace)
        x = req.latency[req.ok] * 1e3
        _, before95 = quantile_ci(x, 0.95)
        half = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
        before_mean = (x.mean() - half, x.mean() + half)
    out["mean"] = (lat.mean, before_mean, lat.mean_ci)
    out["p95"] = (lat.p95, before95, lat.p95_ci)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = replication_seeds(15, args.seeds)
    print(f"{args.seeds} seeds per case; coverage of the 95 % intervals (should be ~0.95)\n")
    print(
        f"{'case':42} {'stat':8} {'before':>7} {'after':>7} "
        f"{'width before':>13} {'width after':>12} {'honest width':>13}"
    )
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for name, case in cases().items():
            runs = list(pool.map(one, [(name, case, s) for s in seeds]))
            for stat, truth in case["truth"].items():
                points = np.array([r[stat][0] for r in runs], dtype=float)
                row = []
                for k in (1, 2):
                    lo = np.array([r[stat][k][0] for r in runs], dtype=float)
                    hi = np.array([r[stat][k][1] for r in runs], dtype=float)
                    hits = (lo <= truth) & (truth <= hi)
                    row.append(
                        (np.mean(hits) if np.isfinite(lo).all() else math.nan, np.median(hi - lo))
                    )
                honest = 2 * 1.96 * points.std(ddof=1)
                print(
                    f"{name:42} {stat:8} {row[0][0]:7.3f} {row[1][0]:7.3f} "
                    f"{row[0][1]:13.5g} {row[1][1]:12.5g} {honest:13.5g}"
                )


if __name__ == "__main__":
    main()

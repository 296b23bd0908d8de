"""``netsim review`` as whole processes, this tree against another, side by side in one run.

The review of issue 12 simulates more than the one before it (the recommendations
re-simulated, the design with every recommendation, the assumptions varied), so what it
costs is measured against a baseline tree (``--baseline DIR``: a checkout of another commit,
e.g. ``git archive main | tar -x -C /tmp/main``), run by the same interpreter, alternating
the two so both see the same machine. Printed per tree: the wall time (min, median, max),
the CPU time of the process and its children (user + system, which a machine shared with
other jobs does not inflate as it does the wall time), the number of runs the review
simulated, and the ratio of each median to the baseline's.

    .venv/bin/python benchmarks/bench_review.py --baseline /tmp/main [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def review_once(tree: Path, out: Path) -> tuple[float, float]:
    """(wall s, CPU s of the process and its children) of one ``netsim review``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-m", "netsim", "review", "--quiet", "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=tree, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"netsim review in {tree} exited {os.waitstatus_to_exitcode(status)}")
    # wait4's usage covers the child and the workers it waited for (its process pools).
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, required=True, help="the other tree")
    parser.add_argument("--repeat", type=int, default=2, help="reviews per tree (default 2)")
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    walls: dict[str, list[float]] = {k: [] for k in trees}
    cpus: dict[str, list[float]] = {k: [] for k in trees}
    runs: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        for i in range(args.repeat):
            for label, tree in trees.items():
                out = Path(tmp) / f"{label.replace(' ', '-')}-{i}"
                wall, cpu = review_once(tree, out)
                walls[label].append(wall)
                cpus[label].append(cpu)
                runs[label] = sum(1 for p in (out / "runs").iterdir() if p.is_dir())
    print(f"netsim review, {args.repeat} each, alternating; load average {os.getloadavg()[0]:.1f}")
    print(f"{'tree':<12}{'runs':>6}{'min s':>8}{'median s':>10}{'max s':>8}{'CPU s':>8}{'x':>7}")
    base = statistics.median(walls["baseline"])
    for label in trees:
        w = walls[label]
        print(
            f"{label:<12}{runs[label]:>6}{min(w):>8.1f}{statistics.median(w):>10.1f}"
            f"{max(w):>8.1f}{statistics.median(cpus[label]):>8.1f}"
            f"{statistics.median(w) / base:>7.2f}"
        )


if __name__ == "__main__":
    main()

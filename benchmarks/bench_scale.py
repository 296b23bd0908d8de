"""Issue 14 side by side, as whole processes in one run: the day, the year, the review, 20 regions.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--skip-exact] [--skip-year] [--days D]
[--only day|year|review|regions ...]``.

Every figure is a whole command timed as a child process (``processes.py``: wall time and
peak resident memory from ``os.wait4``), what a user waits for, start-up included:

1. **The day.** ``netsim run scenarios/baseline.yaml --set duration=24h`` with the default
   (fast) engine, with ``--engine exact``, and the plain per-request simpy model of the same
   day's API calls and datagrams (``plain_simpy.py``); ratios to the fast default.
2. **The year.** ``netsim run scenarios/baseline-year.yaml`` (365 M API calls, replication,
   observability, random failures) with ``--workers 1`` and ``--workers 2``; the two
   summaries must be equal, and each run's peak memory per process is read from its own
   ``trace.json`` (``meta.fast.peak_rss_mib``: the largest of the processes that computed it).
3. **The review.** ``netsim review``.
4. **20 regions.** ``netsim generate --sites 20``, then ``netsim check --max-failures 2``,
   a simulated day (``netsim run``) and ``netsim availability`` of all 190 pairs. The lab
   deploy of the exported 20-site lab is timed by ``bench_lab_scale.py`` (real daemons, root).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import (
    ROOT,
    VENV_BIN,
    Timing,
    load_average,
    print_table,
    time_process,
)

NETSIM = str(VENV_BIN / "netsim")
PYTHON = str(VENV_BIN / "python")


def run(label: str, argv: list[str], ok: tuple[int, ...] = (0, 1)) -> Timing:
    print(f"  running {label} ({load_average()}) ...", flush=True)
    return time_process(label, argv, repeat=1, ok=ok)


def target(r: Timing, limit_s: float) -> None:
    """The issue's target for a whole command, against its wall time and, for a machine
    that other work shares, its CPU time over the cores it may use (a lower bound of the
    wall time on an idle machine)."""
    cores = os.cpu_count() or 1
    verdict = "met" if r.median < limit_s else "MISSED"
    print(
        f"  {r.label}: {r.median:.1f} s wall (target < {limit_s:g} s: {verdict}); "
        f"{r.cpu:.1f} s CPU = {r.cpu / cores:.1f} s on {cores} idle cores"
    )


def summary_of(out: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads((out / "summary.json").read_text())
    doc.pop("wall_s", None)
    return doc


def peak_of(out: Path) -> float:
    meta = json.loads((out / "trace.json").read_text())["meta"]
    return float(meta.get("fast", {}).get("peak_rss_mib", 0.0))


def day(tmp: Path, exact: bool) -> None:
    baseline = str(ROOT / "scenarios" / "baseline.yaml")
    rows = [
        run(
            "day: netsim run (fast, default)",
            [NETSIM, "run", baseline, "--set", "duration=24h", "--quiet", "--out", str(tmp / "d")],
        )
    ]
    if exact:
        rows.append(
            run(
                "day: netsim run --engine exact",
                [
                    NETSIM,
                    "run",
                    baseline,
                    "--set",
                    "duration=24h",
                    "--engine",
                    "exact",
                    "--quiet",
                    "--out",
                    str(tmp / "e"),
                ],
            )
        )
    rows.append(
        run(
            "day: plain per-request simpy",
            [PYTHON, str(ROOT / "benchmarks" / "plain_simpy.py"), baseline, "duration=24h"],
            ok=(0,),
        )
    )
    print_table("\nOne ADR-003 day, whole processes", rows)
    fast = rows[0]
    for r in rows[1:]:
        print(
            f"  {r.label}: {r.median / fast.median:.1f}x the fast default's wall time, "
            f"{r.cpu / fast.cpu:.1f}x its CPU time"
        )


def year(tmp: Path, days: float) -> None:
    scenario = str(ROOT / "scenarios" / "baseline-year.yaml")
    over = [] if days >= 365 else ["--set", f"duration={days:g}d"]
    rows, outs = [], []
    for workers in (1, 2):
        out = tmp / f"year-{workers}"
        outs.append(out)
        rows.append(
            run(
                f"year: netsim run --workers {workers}",
                [
                    NETSIM,
                    "run",
                    scenario,
                    *over,
                    "--workers",
                    str(workers),
                    "--quiet",
                    "--out",
                    str(out),
                ],
            )
        )
    print_table(f"\n{days:g} simulated days of ADR-003 load with random failures", rows)
    # the target is for every core of this machine (2 workers); 1 worker is the reference
    target(rows[1], 120.0 * days / 365)
    same = summary_of(outs[0]) == summary_of(outs[1])
    print(f"  same summary with 1 and 2 workers: {same}")
    for r, out in zip(rows, outs, strict=True):
        peak = peak_of(out)
        print(
            f"  {r.label}: peak memory per process {peak:.0f} MiB "
            f"({'under' if peak < 1024 else 'OVER'} 1 GiB)"
        )
    doc = summary_of(outs[1])
    traffic = doc["traffic"]
    assert isinstance(traffic, dict)
    calls = sum(v.get("sent", 0) for k, v in traffic.items() if k.startswith("api"))
    print(f"  API calls simulated: {calls:,}; failovers: {len(doc['failovers'])}")  # type: ignore[arg-type]


def review(tmp: Path) -> None:
    rows = [run("netsim review", [NETSIM, "review", "--quiet", "--out", str(tmp / "review")])]
    print_table("\nThe design review", rows)
    target(rows[0], 30.0)


def regions(tmp: Path) -> None:
    g = tmp / "g20"
    rows = [
        run("20 regions: netsim generate", [NETSIM, "generate", "--sites", "20", "--out", str(g)]),
        run(
            "20 regions: netsim check --max-failures 2",
            [NETSIM, "check", str(g / "topology.yaml"), "--max-failures", "2"],
        ),
        run(
            "20 regions: netsim run (a day)",
            [NETSIM, "run", str(g / "scenario.yaml"), "--quiet", "--out", str(tmp / "g20-day")],
        ),
        run(
            "20 regions: netsim availability (190 pairs)",
            [NETSIM, "availability", str(g / "topology.yaml"), "--json"],
        ),
    ]
    print_table("\n20 regions (the lab deploy: benchmarks/bench_lab_scale.py)", rows)
    target(rows[1], 60.0)
    target(rows[2], 30.0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-exact", action="store_true", help="leave out the exact day")
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--days", type=float, default=365.0, help="length of the year run")
    parser.add_argument(
        "--only",
        choices=("day", "year", "review", "regions"),
        action="append",
        help="run only this part (repeatable; default: all)",
    )
    args = parser.parse_args()
    parts = set(args.only or ("day", "year", "review", "regions"))
    if args.skip_year:
        parts.discard("year")
    print(load_average())
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        if "day" in parts:
            day(Path(tmp), not args.skip_exact)
        if "year" in parts:
            year(Path(tmp), args.days)
        if "review" in parts:
            review(Path(tmp))
        if "regions" in parts:
            regions(Path(tmp))


if __name__ == "__main__":
    main()

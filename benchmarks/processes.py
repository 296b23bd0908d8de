"""Timing whole processes side by side: what a user waits for, start-up included.

Each command runs ``repeat`` times as a child process (``os.wait4`` gives its own peak
resident memory); the table prints the minimum, median and maximum wall time, the peak
memory and the ratio of each median to the first command's. Used by the ``bench_*.py``
scripts; standard library only.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


@dataclass(frozen=True)
class Timing:
    label: str
    walls: tuple[float, ...]
    max_rss_mib: float
    returncode: int

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def time_process(
    label: str, argv: list[str], repeat: int = 3, cwd: Path = ROOT, ok: tuple[int, ...] = (0, 1)
) -> Timing:
    """Run ``argv`` ``repeat`` times; exit statuses outside ``ok`` stop the benchmark."""
    walls, rss, code = [], 0.0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        code = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        proc.returncode = code
        if code not in ok:
            raise SystemExit(f"{label}: {' '.join(argv)} exited {code}\n{err}")
        rss = max(rss, usage.ru_maxrss / 1024)  # KiB on Linux
    return Timing(label, tuple(walls), rss, code)


def print_table(title: str, rows: list[Timing]) -> None:
    """One line per command; ``x first`` is the first row's median over this row's."""
    print(title)
    print(f"{'command':<44}{'min s':>8}{'median s':>10}{'max s':>8}{'peak MiB':>10}{'x first':>9}")
    base = rows[0].median
    for r in rows:
        print(
            f"{r.label:<44}{min(r.walls):>8.3f}{r.median:>10.3f}{max(r.walls):>8.3f}"
            f"{r.max_rss_mib:>10.0f}{base / r.median:>9.2f}"
        )

"""Timing whole processes side by side: what a user waits for, start-up included.

Each command runs ``repeat`` times as a child process (``os.wait4`` gives its own peak
resident memory and the CPU time of it and the worker processes it waited for); the table
prints the minimum, median and maximum wall time, the median CPU time (user + system: on a
machine other work shares, wall time stretches with the load while CPU time does not), the
peak memory and the ratio of each median to the first command's. Used by the
``bench_*.py`` scripts; standard library only.
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
    cpus: tuple[float, ...] = ()  # user + system seconds, workers included

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def time_process(
    label: str, argv: list[str], repeat: int = 3, cwd: Path = ROOT, ok: tuple[int, ...] = (0, 1)
) -> Timing:
    """Run ``argv`` ``repeat`` times; exit statuses outside ``ok`` stop the benchmark."""
    walls, cpus, rss, code = [], [], 0.0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        code = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        proc.returncode = code
        if code not in ok:
            raise SystemExit(f"{label}: {' '.join(argv)} exited {code}\n{err}")
        rss = max(rss, usage.ru_maxrss / 1024)  # KiB on Linux
    return Timing(label, tuple(walls), rss, code, tuple(cpus))


def print_table(title: str, rows: list[Timing]) -> None:
    """One line per command; ``x first`` is the first row's median over this row's."""
    print(title)
    print(
        f"{'command':<44}{'min s':>8}{'median s':>10}{'max s':>8}{'cpu s':>9}"
        f"{'peak MiB':>10}{'x first':>9}"
    )
    base = rows[0].median
    for r in rows:
        print(
            f"{r.label:<44}{min(r.walls):>8.3f}{r.median:>10.3f}{max(r.walls):>8.3f}"
            f"{r.cpu:>9.2f}{r.max_rss_mib:>10.0f}{base / r.median:>9.2f}"
        )


def load_average() -> str:
    """The machine's 1-minute load average against its cores, printed with the figures:
    wall times measured while other work runs are longer than on an idle machine."""
    one, _, _ = os.getloadavg()
    return f"load average {one:.1f} on {os.cpu_count()} cores"

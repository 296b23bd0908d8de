"""Host stalls: stretches of time in which the lab's own processes could not run.

The lab's relays, charon and traffic applications are user-space processes on a shared
machine. When the host stops running them (a virtual machine's CPU taken by its hypervisor,
"steal" time, or a burst of other work), every packet in flight at that moment is held for
the stall's length, a delay the model of the network rightly does not have. Such stalls
come in bursts: a busy host can add milliseconds to a tenth of a run's requests.

So a lab measures them while it is deployed: one watcher per CPU (pinned to it, real-time
priority just above the relays') sleeps ``PERIOD_S`` at a time and writes down every wake-up that
came at least ``STALL_S`` late as a stall ``(start, end)`` in wall-clock seconds (the clock
the probes and applications stamp packets with): from its previous wake-up, the last moment
it is known to have run, to the late one. ``netsim lab run`` reports them, and the
lab-against-model tests leave out the packets and requests whose flight overlapped one:
the lab is the model's oracle only while it ran.

Run as ``python -m netsim.lab.host.stalls FILE CPU`` (the deployer starts them as lab
processes, ended by PID with the lab). :func:`read_stalls` and :func:`overlapping` read them.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np

from netsim.lab.host import linux

#: How long the watcher sleeps between looks at the clock.
PERIOD_S = 1e-3
#: A wake-up at least this late is a stall. A quiet 2-core VM wakes a real-time sleeper
#: about 0.1 ms late (p50) and under 1 ms late at p99; 2 ms is well clear of that, and
#: large against what the lab tests allow a packet (10 % of a 10 ms link).
STALL_S = 2e-3
RECORD = struct.Struct("<dd")  # start, end (wall clock)
#: SCHED_FIFO, one above the relays': a stall is one the relays see too (the hypervisor, the
#: kernel), never the relays' own work, so a relay that spins shows as slow packets, not as
#: a host stall that the lab tests would leave out.
PRIORITY = 11


def watcher_argv(directory: Path, cpu: int) -> list[str]:
    """The command of the watcher of ``cpu`` that records into ``directory`` (where
    :func:`read_stalls` looks)."""
    return [sys.executable, "-m", __name__, str(directory / f"stalls-cpu{cpu}.bin"), str(cpu)]


def stalled_seconds(stalls: np.ndarray, start: float, end: float) -> float:
    """Seconds of ``[start, end]`` that ``stalls`` (merged rows, :func:`read_stalls`) cover."""
    return float(
        np.clip(np.minimum(stalls[:, 1], end) - np.maximum(stalls[:, 0], start), 0, None).sum()
    )


def stalls_per_second(stalls: np.ndarray, start: float, end: float) -> float:
    """How often the host stalled in ``[start, end]`` (stalls that overlap it, per second).

    >>> stalls_per_second(np.array([[0.0, 0.004], [1.0, 1.003], [5.0, 5.01]]), 0.5, 2.5)
    0.5
    """
    within = (stalls[:, 1] >= start) & (stalls[:, 0] <= end)
    return float(within.sum()) / max(end - start, 1e-9)


def watch(path: Path, cpu: int) -> None:
    """Record the stalls seen from ``cpu`` into ``path`` until killed."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {cpu})
    linux.set_timer_slack(1)
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(PRIORITY))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    clock = time.monotonic
    due = clock() + PERIOD_S
    last = time.time()
    while True:
        time.sleep(max(due - clock(), 0.0))
        woke, now = clock(), time.time()
        if woke - due >= STALL_S:
            os.write(fd, RECORD.pack(last, now))
        due = max(due + PERIOD_S, woke)
        last = now


def read_stalls(directory: Path) -> np.ndarray:
    """Every stall recorded under ``directory`` (any CPU), as sorted (n, 2) start/end rows,
    overlapping ones merged."""
    rows = [
        np.frombuffer(p.read_bytes()[: p.stat().st_size // RECORD.size * RECORD.size])
        for p in sorted(directory.glob("stalls-cpu*.bin"))
    ]
    raw = np.concatenate(rows).reshape(-1, 2) if rows else np.zeros((0, 2))
    raw = raw[np.argsort(raw[:, 0], kind="stable")]
    merged: list[list[float]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([float(start), float(end)])
    return np.array(merged).reshape(-1, 2)


def overlapping(stalls: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For each interval ``[start, end]`` (NaN end: still open, never arrived), whether a
    stall overlapped it."""
    start = np.asarray(start, dtype=float)
    end = np.where(np.isnan(end), start, np.asarray(end, dtype=float))
    if len(stalls) == 0:
        return np.zeros(start.shape, dtype=bool)
    # the first stall ending after each interval's start: it overlaps if it began before its end
    i = np.searchsorted(stalls[:, 1], start, side="left")
    hit = i < len(stalls)
    hit[hit] = stalls[i[hit], 0] <= end[hit]
    return hit


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    watch(Path(args[0]), int(args[1]))


if __name__ == "__main__":
    main()

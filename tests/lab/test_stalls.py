"""Host stalls (:mod:`netsim.lab.host.stalls`): the watcher sees a stall it was put through,
and the intervals it writes are read, merged and matched against packets' flights.

Oracle: a real watcher process stopped with SIGSTOP for a known time (the kernel does not
run it then, exactly what a hypervisor's steal does to the lab's processes) must record one
stall covering that time; the interval arithmetic is checked against hand-made cases.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from netsim.lab.host.stalls import (
    PERIOD_S,
    RECORD,
    STALL_S,
    overlapping,
    read_stalls,
    stalled_seconds,
)
from netsim.trace.records import LabNote

STOPPED_S = 0.2


def test_a_stopped_watcher_records_the_stall_it_was_put_through(tmp_path: Path) -> None:
    out = tmp_path / "stalls-cpu0.bin"
    proc = subprocess.Popen(
        [sys.executable, "-m", "netsim.lab.host.stalls", str(out), "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        before = read_stalls(tmp_path)  # a busy test machine may stall on its own
        os.kill(proc.pid, signal.SIGSTOP)
        # The stall surely spans from the moment the watcher is seen stopped to the moment
        # it is let go (taking the times around the kill calls instead let a loaded host
        # run the watcher once more between the clock read and the signal).
        while Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()[0] != "T":
            time.sleep(0.001)
        stopped = time.time()
        time.sleep(STOPPED_S)
        resumed = time.time()
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait()
    stalls = read_stalls(tmp_path)
    new = stalls[~np.isin(stalls[:, 0], before[:, 0])]
    covering = new[(new[:, 0] <= stopped) & (new[:, 1] >= resumed)]
    assert len(covering) == 1, (new, stopped, resumed)
    start, end = covering[0]
    # from the watcher's last wake-up (within a period, plus scheduling) to its late one
    assert stopped - start < PERIOD_S + 0.05
    assert end - resumed < 0.05


def test_stalls_are_merged_across_cpus_and_torn_records_ignored(tmp_path: Path) -> None:
    (tmp_path / "stalls-cpu0.bin").write_bytes(RECORD.pack(10.0, 10.5) + RECORD.pack(20.0, 20.1))
    (tmp_path / "stalls-cpu1.bin").write_bytes(RECORD.pack(10.4, 11.0) + b"\x00" * 5)
    got = read_stalls(tmp_path)
    assert got.tolist() == [[10.0, 11.0], [20.0, 20.1]]
    assert read_stalls(tmp_path / "none").shape == (0, 2)


def test_a_flight_overlaps_a_stall_when_they_share_any_moment() -> None:
    stalls = np.array([[10.0, 11.0], [20.0, 20.1]])
    send = np.array([9.0, 9.5, 10.5, 11.5, 19.0, 20.05, 30.0, 9.99])
    done = np.array([9.5, 10.0, 10.6, 12.0, 21.0, np.nan, 31.0, np.nan])
    want = [False, True, True, False, True, True, False, False]
    assert overlapping(stalls, send, done).tolist() == want
    assert not overlapping(np.zeros((0, 2)), send, done).any()


def test_the_lab_note_keeps_its_stalls() -> None:
    note = LabNote((), (), False, host_stalls=((1.5, 1.52), (3.0, 3.25)))
    assert LabNote.from_json(note.to_json()) == note
    assert "host_stalls" not in LabNote((), (), False).to_json()
    assert STALL_S > PERIOD_S


def test_stalled_seconds_count_only_the_part_inside_the_window() -> None:
    stalls = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert stalled_seconds(stalls, 1.5, 4.0) == 1.5  # 0.5 of the first, 1.0 of the second
    assert stalled_seconds(stalls, 6.0, 7.0) == 0.0
    assert stalled_seconds(np.zeros((0, 2)), 0.0, 1.0) == 0.0

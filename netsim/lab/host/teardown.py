"""``destroy``: remove everything a lab created, and nothing else.

Teardown works from the lab's state file alone, so it also cleans up after a deploy that
crashed or was SIGKILLed half-way. In order:

1. a deployer of this lab that is still running is stopped (by its recorded pid);
2. every journaled process still alive (same pid *and* start time) gets TERM, then KILL;
3. any other process inside one of the lab's namespaces, or carrying the lab's
   ``NETSIM_LAB=<lab>`` environment tag, is ended the same way: this catches a process
   started just before the deployer died, whose pid never reached the state file;
4. the namespaces are deleted, and with them every veth, TAP and nftables table inside;
5. paths the lab created outside its directory (FRR's ``/etc/frr/<node>``,
   ``/run/frr/<node>``) and mount points it made are removed; then the lab directory.

Processes are only ever signalled by pid, never looked up by name. Running it twice is fine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

from netsim.lab.daemons.base import stop_processes
from netsim.lab.host import linux, netns, registry
from netsim.lab.host.state import LabState, ProcRecord, lab_root, process_tag

STOP_GRACE_S = 3.0


def destroy(name: str) -> list[str]:
    """Tear lab ``name`` down; return a description of what was removed (empty if nothing).

    The lab is the one under the current root; its state file, or (if that directory is
    gone) the host registry's copy of it.
    """
    state = LabState.load(name)
    if state is None:
        copy = LabState.registered(name)
        if copy is None or copy.root != str(lab_root()):
            return []
        state = copy
    return destroy_state(state)


def destroy_state(state: LabState) -> list[str]:
    """Tear down the lab ``state`` describes, under whatever root it was deployed."""
    removed: list[str] = []
    removed += _stop_deployer(state)
    removed += stop_processes(state.processes, STOP_GRACE_S)
    removed += _sweep(state)
    for namespace in state.namespaces.values():
        if linux.netns_path(namespace).exists():
            netns.delete_namespace(namespace)
            removed.append(f"namespace {namespace}")
    for path in reversed(state.paths):
        removed += _remove_path(Path(path))
    for target in state.mounts:
        removed += _remove_mount(Path(target))
    if state.directory.exists():
        shutil.rmtree(state.directory, ignore_errors=True)
        removed.append(f"lab directory {state.directory}")
    registry.forget(state.lab, state.root)
    return removed


def _stop_deployer(state: LabState) -> list[str]:
    if not state.deployer:
        return []
    pid, start = state.deployer
    if pid == os.getpid() or not linux.same_process(pid, start):
        return []
    linux.signal_pid(pid, start, signal.SIGKILL)
    deadline = time.monotonic() + STOP_GRACE_S
    while linux.same_process(pid, start) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [f"deployer[{pid}]"]


def _sweep(state: LabState) -> list[str]:
    """End leftover processes found by namespace membership or by the lab's tag."""
    inodes = {
        ino
        for namespace in state.namespaces.values()
        if (ino := linux.netns_inode(linux.netns_path(namespace))) is not None
    }
    pids = set(linux.processes_in_netns(inodes))
    pids |= set(linux.processes_tagged(process_tag(state.lab)))
    pids.discard(os.getpid())
    records = []
    for pid in sorted(pids):
        start = linux.proc_start_time(pid)
        if start is not None:
            records.append(ProcRecord("?", "leftover", [], pid, start))
    return stop_processes(records, STOP_GRACE_S)


def _remove_path(path: Path) -> list[str]:
    if path == Path("/run/frr"):
        # Shared with FRR's own service: only removed if the lab made it and left it empty.
        try:
            path.rmdir()
        except OSError:
            return []
        return [str(path)]
    if path.is_symlink():  # a short name of the lab directory (LabState.short)
        path.unlink(missing_ok=True)
        return [str(path)]
    if not path.exists():
        return []
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return [str(path)]


def _remove_mount(target: Path) -> list[str]:
    """Undo a mount point the lab made (``/run/netns``) once nothing uses it any more."""
    if not os.path.ismount(target) or any(target.iterdir()):
        return []
    netns.run(["umount", str(target)], check=False)
    with contextlib.suppress(OSError):
        target.rmdir()
    return [f"mount {target}"]

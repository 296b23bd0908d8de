"""Thin wrappers over the Linux system calls the lab needs and Python 3.11 lacks.

Namespaces are entered with ``setns(2)``, private mount namespaces made with ``unshare(2)`` and
``mount(2)``, and TAP devices opened through ``/dev/net/tun``; all through ``ctypes`` so that no
helper binary or shell is involved. Process identity is a (pid, start time) pair read from
``/proc/<pid>/stat``, so a recorded pid that the kernel has since reused is never signalled.
Everything here is a plain function; the C libraries are loaded once and cached.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import struct
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWUTS = 0x04000000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_TIMERSLACK = 29
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
NETNS_DIR = Path("/run/netns")


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def netns_path(name: str) -> Path:
    """Path of the bind mount that keeps the named network namespace alive."""
    return NETNS_DIR / name


def setns(path: str | Path, nstype: int = CLONE_NEWNET) -> None:
    """Move the calling thread into the namespace behind ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc().setns(fd, nstype), f"setns {path}")
    finally:
        os.close(fd)


@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Run the body inside network namespace ``name`` and return to the original one."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(netns_path(name))
        yield
    finally:
        _check(_libc().setns(home, CLONE_NEWNET), "setns back")
        os.close(home)


def private_run(source: str | Path) -> None:
    """Give the calling process its own mount namespace with ``source`` mounted on /run.

    Used between fork and exec for charon, whose pid file and sockets live under /run.
    """
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS), "unshare mount namespace")
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    _check(libc.mount(str(source).encode(), b"/run", None, MS_BIND, None), "bind /run")


def own_hostname(name: str) -> None:
    """Give the calling process its own UTS namespace whose hostname is ``name``.

    Used between fork and exec for a node's daemons: a container's hostname is its node's
    name, and FRR takes its hostname from it (BGP's hostname capability, IS-IS's dynamic
    hostname, ``show running-config``). Sharing the host's made every router "vm".
    """
    libc = _libc()
    _check(libc.unshare(CLONE_NEWUTS), "unshare UTS namespace")
    raw = name.encode()
    _check(libc.sethostname(raw, len(raw)), f"sethostname {name}")


def set_timer_slack(nanoseconds: int = 1) -> None:
    """Ask the kernel to wake this process from timed sleeps with at most this slack."""
    _libc().prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(nanoseconds), 0, 0, 0)


def open_tap(name: str) -> int:
    """Create a TAP device ``name`` in the current network namespace; return its fd.

    The device exists as long as the descriptor stays open: closing it (or the holder
    dying) removes the interface, so a TAP can never outlive its relay.
    """
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    try:
        ifr = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
        fcntl.ioctl(fd, TUNSETIFF, ifr)
        os.set_blocking(fd, False)
    except OSError:
        os.close(fd)
        raise
    return fd


@lru_cache(maxsize=1)
def nftables_library() -> ctypes.CDLL | None:
    """libnftables, loaded once (call early to keep the first fault fast), or None."""
    name = ctypes.util.find_library("nftables")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    return lib


def nft_run(ruleset: str) -> str | None:
    """Load an nftables ruleset in the current network namespace with libnftables.

    In-process, so a fault on several interfaces takes effect within milliseconds rather
    than one ``nft`` process start each. Returns the error text, or None on success;
    raises FileNotFoundError if libnftables is not installed.
    """
    lib = nftables_library()
    if lib is None:
        raise FileNotFoundError("libnftables")
    ctx = lib.nft_ctx_new(0)
    try:
        lib.nft_ctx_buffer_error(ctx)
        if lib.nft_run_cmd_from_buffer(ctx, ruleset.encode()) == 0:
            return None
        error: bytes = lib.nft_ctx_get_error_buffer(ctx) or b"nft failed"
        return error.decode(errors="replace")
    finally:
        lib.nft_ctx_free(ctx)


def proc_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks after boot, or None if there is no such process.

    A zombie counts as gone: it has exited and only waits for its parent to reap it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def same_process(pid: int, start_time: int) -> bool:
    """True if ``pid`` is still the process that started at ``start_time``."""
    return proc_start_time(pid) == start_time


def netns_inode(path: str | Path) -> int | None:
    """Inode that identifies a network namespace, or None if it does not exist."""
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def processes_in_netns(inodes: set[int]) -> list[int]:
    """Pids of every live process whose network namespace is one of ``inodes``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ino = os.stat(entry / "ns" / "net").st_ino
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if ino in inodes and proc_start_time(int(entry.name)) is not None:
            found.append(int(entry.name))
    return found


def processes_tagged(tag: str) -> list[int]:
    """Pids of every live process whose environment contains the exact entry ``tag``."""
    wanted = tag.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if wanted in environ.split(b"\0") and proc_start_time(int(entry.name)) is not None:
            found.append(int(entry.name))
    return found


def signal_pid(pid: int, start_time: int, sig: int) -> bool:
    """Send ``sig`` to ``pid`` if it is still the same process; True if it was sent."""
    if not same_process(pid, start_time):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def reap(pid: int) -> None:
    """Collect ``pid`` if it is our child; ignore it otherwise."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError as exc:
        if exc.errno != errno.ECHILD:
            raise

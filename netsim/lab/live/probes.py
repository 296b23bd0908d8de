"""Data-plane probes between lab hosts: one-way UDP datagrams with send and receive times.

:func:`run_probes` sends scapy-built UDP datagrams, each carrying a sequence number and its
send time, from one node's namespace to another's at a fixed rate; the receiver timestamps
each arrival with the kernel's receive time (``SO_TIMESTAMPNS``). Both namespaces share one
kernel clock, so one-way delays are exact differences. The result is columnar
(:class:`ProbeResult`: numpy arrays ``seq``, ``t_send``, ``t_recv`` with NaN for a lost
datagram) and the loss runs in it give a failover gap.

The sender and receiver run as ``python -m netsim.lab.live.probes ...`` helper processes
inside the nodes' namespaces (:mod:`netsim.lab.live.helpers`). The underlay capture is
:mod:`netsim.lab.live.capture`.
"""

from __future__ import annotations

import argparse
import contextlib
import select
import socket
import struct
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.live.helpers import READY_S, await_ready, finish_helper, spawn_helper

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

MAGIC = b"NSPROBE1"
HEADER = struct.Struct("!8sQq")  # magic, sequence number, send time (ns, CLOCK_REALTIME)
DEFAULT_PORT = 0  # the receiver picks a free port, so streams to one host do not collide
SO_TIMESTAMPNS = 35
IN_FLIGHT_S = 1.0  # after the last datagram is sent, before the receiver stops
SPIN_S = 0.002  # this close to a send time the sender stops sleeping (timer slack)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe run: per datagram its sequence number, send and receive time (s)."""

    src: str
    dst: str
    seq: np.ndarray
    t_send: np.ndarray
    t_recv: np.ndarray  # NaN where the datagram was lost

    @property
    def delay(self) -> np.ndarray:
        """One-way delay of each datagram in seconds (NaN when lost)."""
        delay: np.ndarray = self.t_recv - self.t_send
        return delay

    @property
    def lost(self) -> np.ndarray:
        lost: np.ndarray = np.isnan(self.t_recv)
        return lost

    def loss_runs(self) -> list[tuple[float, float, int]]:
        """Runs of consecutive lost datagrams: (first lost send time, gap seconds, count).

        The gap runs from the send time of the first lost datagram to that of the next one
        that arrived (or the last one sent), i.e. the outage seen by this flow.
        """
        runs = []
        lost = self.lost
        i = 0
        while i < len(lost):
            if not lost[i]:
                i += 1
                continue
            j = i
            while j < len(lost) and lost[j]:
                j += 1
            end = self.t_send[j] if j < len(lost) else self.t_send[-1]
            runs.append((float(self.t_send[i]), float(end - self.t_send[i]), j - i))
            i = j
        return runs

    def max_gap(self, after: float = -np.inf) -> float:
        """Longest loss run starting at or after ``after`` (0 if none)."""
        return max((gap for start, gap, _ in self.loss_runs() if start >= after), default=0.0)


def run_probes(
    lab: str,
    src_ns: str,
    dst_ns: str,
    dst_addr: str,
    *,
    rate: float = 100.0,
    duration: float = 5.0,
    size: int = 200,
    port: int = DEFAULT_PORT,
    workdir: Path,
    names: tuple[str, str] = ("src", "dst"),
) -> ProbeResult:
    """Send probes for ``duration`` seconds and collect them; blocks until done."""
    run = start_probes(
        lab,
        src_ns,
        dst_ns,
        dst_addr,
        rate=rate,
        duration=duration,
        size=size,
        port=port,
        workdir=workdir,
        names=names,
    )
    return run.wait()


@dataclass
class ProbeRun:
    """A probe run in progress (started by :func:`start_probes`)."""

    names: tuple[str, str]
    sender: subprocess.Popen[str]
    receiver: subprocess.Popen[str]
    out: Path
    duration: float

    def go(self, at: float | None = None) -> None:
        """Release a sender started with ``hold=True``: its first probe is due at ``at``.

        ``at`` is a wall-clock time (default: just after the sender reads this).
        """
        assert self.sender.stdin is not None
        self.sender.stdin.write("go\n" if at is None else f"go {at!r}\n")
        self.sender.stdin.flush()

    def wait(self) -> ProbeResult:
        """Wait for the sender, give datagrams in flight ``IN_FLIGHT_S``, stop the receiver."""
        budget = self.duration + READY_S
        for proc in (self.sender, self.receiver):
            if proc is self.receiver:
                time.sleep(IN_FLIGHT_S)
                with contextlib.suppress(OSError):
                    assert proc.stdin is not None
                    proc.stdin.write("stop\n")
                    proc.stdin.flush()
            finish_helper(proc, budget, "probe process")
        sent = np.load(self.out.with_suffix(".send.npz"))
        got = np.load(self.out.with_suffix(".recv.npz"))
        t_recv = np.full(len(sent["seq"]), np.nan)
        known = got["seq"] < len(t_recv)
        t_recv[got["seq"][known]] = got["t_recv"][known]
        return ProbeResult(self.names[0], self.names[1], sent["seq"], sent["t_send"], t_recv)


def start_probes(
    lab: str,
    src_ns: str,
    dst_ns: str,
    dst_addr: str,
    *,
    rate: float = 100.0,
    duration: float = 5.0,
    size: int = 200,
    port: int = DEFAULT_PORT,
    workdir: Path,
    names: tuple[str, str] = ("src", "dst"),
    hold: bool = False,
) -> ProbeRun:
    """Start a receiver and a sender in the background; ``.wait()`` returns the result.

    With ``hold`` the sender waits for :meth:`ProbeRun.go`, so that several streams can
    start at one moment.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"probes-{names[0]}-{names[1]}-{time.time_ns()}"
    # The receiver runs until wait() stops it; its duration is only a safety limit.
    grace = READY_S
    receiver = spawn_helper(
        dst_ns,
        lab,
        "netsim.lab.live.probes",
        ["recv", "--port", str(port), "--out", str(out), "--duration", str(duration + 2 * grace)],
    )
    port = int(await_ready(receiver, f"probe receiver in {dst_ns}"))
    sender = spawn_helper(
        src_ns,
        lab,
        "netsim.lab.live.probes",
        [
            "send",
            "--dst",
            dst_addr,
            "--port",
            str(port),
            "--out",
            str(out),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--size",
            str(size),
            *(["--hold"] if hold else []),
        ],
    )
    await_ready(sender, f"probe sender in {src_ns}")
    return ProbeRun(names, sender, receiver, out, duration + grace)


def _send(args: argparse.Namespace) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.packet import Raw

    count = int(args.rate * args.duration)
    pad = max(0, args.size - 28 - HEADER.size)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    # Checksum 0 means "none" for UDP over IPv4, so the send time can be patched in last.
    packets = [
        bytearray(
            bytes(
                IP(dst=args.dst, ttl=64)
                / UDP(sport=args.port, dport=args.port, chksum=0)
                / Raw(HEADER.pack(MAGIC, seq, 0) + b"\0" * pad)
            )
        )
        for seq in range(count)
    ]
    offset = 28 + 16  # IP + UDP headers, then magic and sequence number
    t_send = np.zeros(count)
    print("ready", flush=True)
    start = time.perf_counter() + 0.05
    if args.hold:  # the first probe is due at the given wall-clock time, even if read late
        words = sys.stdin.readline().split()
        if len(words) > 1:
            start = time.perf_counter() + float(words[1]) - time.time()
    for seq, packet in enumerate(packets):
        due = start + seq / args.rate
        while (wait := due - time.perf_counter()) > 0:
            time.sleep(wait if wait > SPIN_S else 0)
        now = time.time_ns()
        struct.pack_into("!q", packet, offset, now)
        with contextlib.suppress(OSError):  # no route right now: lost, as on a real host
            sock.sendto(packet, (args.dst, 0))
        t_send[seq] = now / 1e9
    np.savez(args.out + ".send.npz", seq=np.arange(count), t_send=t_send)


def _recv(args: argparse.Namespace) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("0.0.0.0", args.port))
    port = sock.getsockname()[1]
    seqs: list[int] = []
    recv: list[float] = []
    print(f"ready {port}", flush=True)
    end = time.monotonic() + args.duration
    while time.monotonic() < end:
        readable, _, _ = select.select([sock, sys.stdin], [], [], 0.2)
        if sys.stdin in readable:
            break  # "stop" (or the parent went away)
        if sock not in readable:
            continue
        data, ancillary, _, _ = sock.recvmsg(2048, 64)
        if len(data) < HEADER.size or not data.startswith(MAGIC):
            continue
        _, seq, _ = HEADER.unpack_from(data)
        stamp = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                stamp = sec + nsec / 1e9
        seqs.append(seq)
        recv.append(stamp)
    np.savez(args.out + ".recv.npz", seq=np.array(seqs, dtype=np.int64), t_recv=np.array(recv))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netsim.lab.live.probes")
    sub = parser.add_subparsers(dest="cmd", required=True)
    send = sub.add_parser("send")
    send.add_argument("--dst", required=True)
    send.add_argument("--size", type=int, default=200)
    send.add_argument("--rate", type=float, default=100.0)
    send.add_argument("--hold", action="store_true", help="start on a line on stdin")
    recv = sub.add_parser("recv")
    for p in (send, recv):
        p.add_argument("--out", required=True)
        p.add_argument("--duration", type=float, required=True)
    for p in (send, recv):
        p.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    {"send": _send, "recv": _recv}[args.cmd](args)


if __name__ == "__main__":
    main()

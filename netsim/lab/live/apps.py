"""The traffic applications of a lab run: request/response over TCP, and bulk TCP transfers.

Each runs as ``python -m netsim.lab.live.apps VERB ...`` inside a host's namespace (started
by :mod:`netsim.lab.live.traffic` through :mod:`netsim.lab.live.helpers`), reads its
schedule from a ``.npz`` file the orchestrator drew, prints ``ready [port]``, waits for
``go`` on stdin and writes what happened to another ``.npz`` when it gets ``stop`` (or its
schedule is done). Times are ``time.time()``: every namespace shares the kernel's clock.
The request applications sleep with ``clock_nanosleep`` (threads, not an event loop whose
waits are rounded to milliseconds), with a 1 ns timer slack and real-time priority.

- ``rr-server``: for each request on a connection, reads it, waits the request's server
  time (plus the server side's two sidecar traversals), and answers with the response size
  it was asked for.
- ``rr-client``: sends each request at its time (a thread per request) over a pool of
  persistent connections (``TCP_NODELAY``; a new connection only when every open one is
  busy), waits for the
  response with the class's per-try timeout, retries after ``backoff`` up to ``attempts``
  within the overall timeout, and records one row per attempt: sent, answered (NaN if not).
  The request's own sidecar traversals (client out, client in) are waits around the send
  and the receive, as a sidecar proxy adds them.
- ``bulk-server``: receives transfers, one per connection, and records bytes and the times
  of the first and last byte.
- ``bulk-client``: opens one connection per transfer at its time, paced to its rate by the
  kernel (``SO_MAX_PACING_RATE``), and sends its bytes (a stream: until its stop time).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.host import linux

if TYPE_CHECKING:
    from collections.abc import Callable

#: request id, request bytes, response bytes, server time and sidecar time (microseconds)
REQUEST = struct.Struct("!QIIII")
RESPONSE = struct.Struct("!QI")  # request id, response bytes
TRANSFER = struct.Struct("!Q")  # transfer id
SO_MAX_PACING_RATE = 47
CHUNK = 65536
START_DELAY_S = 0.05  # after "go", the first event is this far in the future
MICRO = 1e6
APP_PRIORITY = 5  # SCHED_FIFO, below the relays' 10
#: The model's congestion control (architecture section 3: cubic unless a class says bbr).
#: A namespace inherits the host's default, which may be BBR, whose pacing spreads a
#: response over milliseconds. It is set before the connection exists: a socket that
#: started as BBR keeps pacing after a switch to cubic.
CONGESTION = b"cubic"
READY_TIMEOUT_S = 10.0


def _realtime(priority: int) -> None:
    """Wake on time: 1 ns timer slack and, where allowed, real-time priority.

    Latencies are measured by these processes themselves, so a wake-up that waits behind
    other work on a busy 2-core machine would count as network delay. ``priority`` stays
    below the relays' (10), which carry the packets.
    """
    linux.set_timer_slack(1)
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes (a socket with a timeout returns what has arrived so far)."""
    parts, left = [], n
    while left:
        data = conn.recv(min(left, 1 << 20))
        if not data:
            raise ConnectionError("closed")
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def tcp_socket() -> socket.socket:
    """A TCP socket with the model's congestion control and no Nagle delay."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, CONGESTION)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect(dst: str, port: int, timeout: float) -> socket.socket:
    sock = tcp_socket()
    sock.settimeout(timeout)
    try:
        sock.connect((dst, port))
    except OSError:
        sock.close()
        raise
    return sock


def listen(port: int) -> socket.socket:
    """A listening socket; the connections it accepts inherit its congestion control."""
    listener = tcp_socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(512)
    return listener


def _rr_serve(conn: socket.socket) -> None:
    """Answer the requests of one connection, one at a time, until it closes."""
    with conn, contextlib.suppress(OSError):
        while True:
            req, size, answer, server_us, sidecar_us = REQUEST.unpack(
                _recv_exact(conn, REQUEST.size)
            )
            _recv_exact(conn, size)
            time.sleep((server_us + sidecar_us) / MICRO)
            conn.sendall(RESPONSE.pack(req, answer) + bytes(answer))


def rr_server(args: argparse.Namespace) -> None:
    _realtime(APP_PRIORITY)
    listener = listen(args.port)
    _serve_forever(listener, _rr_serve)
    print(f"ready {listener.getsockname()[1]}", flush=True)
    _wait_for_stop()


def _serve_forever(listener: socket.socket, handler: Callable[[socket.socket], None]) -> None:
    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def _wait_for_stop() -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            return


class _Client:
    """Requests of one schedule, each on a persistent connection that is free at its time."""

    def __init__(self, args: argparse.Namespace, schedule: dict[str, np.ndarray]) -> None:
        self.args = args
        self.s = schedule
        self.idle: list[socket.socket] = []
        self.lock = threading.Lock()
        self.rows: list[tuple[int, int, float, float]] = []  # req, attempt, sent, done

    def connect(self, timeout: float) -> socket.socket:
        return connect(self.args.dst, self.args.port, timeout)

    def attempt(self, i: int, budget: float) -> float:
        """One try of request ``i``; its answer time, NaN if none within ``budget`` s."""
        s = self.s
        deadline = time.monotonic() + budget
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        try:
            if conn is None:
                conn = self.connect(budget)
            time.sleep(s["sidecar_us"][i, 0] / MICRO)
            head = REQUEST.pack(
                int(s["req"][i]),
                int(s["request"][i]),
                int(s["response"][i]),
                int(s["server_us"][i]),
                int(s["sidecar_us"][i, 1] + s["sidecar_us"][i, 2]),
            )
            conn.settimeout(max(deadline - time.monotonic(), 1e-3))
            conn.sendall(head + bytes(int(s["request"][i])))
            _, answer = RESPONSE.unpack(_recv_exact(conn, RESPONSE.size))
            conn.settimeout(max(deadline - time.monotonic(), 1e-3))
            _recv_exact(conn, answer)
            time.sleep(s["sidecar_us"][i, 3] / MICRO)
        except OSError:
            if conn is not None:
                conn.close()  # abandoned: a late answer must not reach the next request
            return math.nan
        done = time.time()
        with self.lock:
            self.idle.append(conn)
        return done

    def request(self, i: int) -> None:
        a = self.args
        first = time.time()
        for attempt in range(a.attempts):
            sent = time.time()
            left = a.timeout - (sent - first)
            if left <= 0:
                return
            done = self.attempt(i, min(a.per_try, left))
            with self.lock:
                self.rows.append((int(self.s["req"][i]), attempt, sent, done))
            if not math.isnan(done):
                return
            time.sleep(a.backoff)

    def run(self, t0: float) -> None:
        threads = []
        for i, at in enumerate(self.s["at"]):
            while (wait := t0 + float(at) - time.time()) > 0:
                time.sleep(wait)
            thread = threading.Thread(target=self.request, args=(i,), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()


def wait_go() -> float:
    """Block until ``go [T0]`` on stdin; the wall-clock time the schedule starts at.

    T0 is the run's common origin: a client that reads "go" late (a busy machine) still
    plays its schedule against it, sending what fell due meanwhile at once, instead of
    shifting everything past the end of the run.
    """
    words = sys.stdin.readline().split()
    return float(words[1]) if len(words) > 1 else time.time() + START_DELAY_S


def rr_client(args: argparse.Namespace) -> None:
    _realtime(APP_PRIORITY)
    client = _Client(args, dict(np.load(args.schedule)))
    client.idle = [client.connect(READY_TIMEOUT_S) for _ in range(args.pool)]
    print("ready", flush=True)
    client.run(wait_go())
    rows = np.array(client.rows, dtype=float).reshape(-1, 4)
    np.savez(
        args.out,
        req=rows[:, 0].astype(np.int64),
        attempt=rows[:, 1].astype(np.int8),
        t_send=rows[:, 2],
        t_done=rows[:, 3],
    )


def bulk_server(args: argparse.Namespace) -> None:
    listener = listen(args.port)
    records: dict[int, list[float]] = {}  # id -> [bytes, first, last, done]
    lock = threading.Lock()

    def receive(conn: socket.socket) -> None:
        with conn:
            ident = TRANSFER.unpack(_recv_exact(conn, TRANSFER.size))[0]
            entry = [0.0, math.nan, math.nan, 0.0]
            with lock:
                records[ident] = entry
            while data := conn.recv(1 << 20):
                now = time.time()
                if math.isnan(entry[1]):
                    entry[1] = now
                entry[0] += len(data)
                entry[2] = now
            entry[3] = 1.0

    _serve_forever(listener, receive)
    print(f"ready {listener.getsockname()[1]}", flush=True)
    _wait_for_stop()
    with lock:
        ids = sorted(records)
        table = np.array([records[i] for i in ids]).reshape(-1, 4)
    np.savez(args.out, id=np.array(ids, dtype=np.int64), table=table)


def _send(dst: str, port: int, *, ident: int, size: float, rate: float, until: float) -> None:
    """One transfer: ``size`` bytes (inf: a stream) at most at ``rate`` bit/s, until ``until``."""
    try:
        conn = connect(dst, port, max(0.1, until - time.time()))
    except OSError:
        return  # no route or refused: nothing moved, as on a real host
    with conn, contextlib.suppress(OSError):  # timed out at the end of the run, or reset
        if rate > 0:
            conn.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE, int(rate / 8))
        conn.sendall(TRANSFER.pack(ident))
        chunk = bytes(CHUNK)
        left = size
        while left > 0 and (remaining := until - time.time()) > 0:
            piece = chunk if left >= CHUNK else chunk[: int(left)]
            conn.settimeout(remaining)
            conn.sendall(piece)
            left -= len(piece)


def bulk_client(args: argparse.Namespace) -> None:
    s = dict(np.load(args.schedule))
    print("ready", flush=True)
    t0 = wait_go()
    threads = []
    for i, at in enumerate(s["at"]):
        while (wait := t0 + float(at) - time.time()) > 0:
            time.sleep(min(wait, 0.05))
        size = float(s["size"][i]) if s["size"][i] > 0 else math.inf
        until = t0 + float(s["stop"][i])
        options = {"ident": int(s["id"][i]), "size": size, "rate": float(s["rate"][i])}
        thread = threading.Thread(
            target=_send,
            args=(args.dst, args.port),
            kwargs={**options, "until": until},
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        with contextlib.suppress(Exception):
            thread.join()
    np.savez(args.out, t0=np.array([t0]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netsim.lab.live.apps")
    sub = parser.add_subparsers(dest="cmd", required=True)
    server = sub.add_parser("rr-server")
    client = sub.add_parser("rr-client")
    bserver = sub.add_parser("bulk-server")
    bclient = sub.add_parser("bulk-client")
    for p in (server, client, bserver, bclient):
        p.add_argument("--port", type=int, default=0)
        p.add_argument("--out", required=True)
    for p in (client, bclient):
        p.add_argument("--dst", required=True)
        p.add_argument("--schedule", required=True)
    client.add_argument("--timeout", type=float, required=True)
    client.add_argument("--per-try", type=float, required=True)
    client.add_argument("--attempts", type=int, default=1)
    client.add_argument("--backoff", type=float, default=0.025)
    client.add_argument("--pool", type=int, default=4)
    args = parser.parse_args(argv)
    if args.cmd == "rr-server":
        rr_server(args)
    elif args.cmd == "rr-client":
        rr_client(args)
    elif args.cmd == "bulk-server":
        bulk_server(args)
    else:
        bulk_client(args)


if __name__ == "__main__":
    main()

"""User-space link emulation: a relay between two TAP devices in two namespaces.

Where the kernel has no netem, a lab link that needs delay, jitter, loss or a rate limit is
not a veth pair: the relay opens a TAP device in each end's namespace (``setns`` then
``/dev/net/tun``) and moves Ethernet frames between them. Each direction is a FIFO link like
the model's (section 4 of the architecture): serialization at ``rate``, a ``buffer`` limit,
then a one-way delay sampled per frame from the link's distribution with a seeded generator.
Frames leave in arrival order (a frame never overtakes the one before it).

Accuracy: the arrival time is taken when the frame is read, the wait uses a 1 ns timer slack
and real-time priority where allowed, and the last ``SPIN_S`` before a release is spent
polling the clock, so the added error is tens of microseconds rather than a scheduler tick.

Run as ``python -m netsim.lab.host.relay CONFIG.json``. It prints ``ready`` once both TAPs exist,
then serves a control socket (one JSON request per connection) to change the fault state:
``{"op": "set", "extra_delay": 0.02, "loss": 0.1, "blackhole": true}`` or ``{"op": "stats"}``.
``{"op": "set", "delay": false}`` stops sampling the link's own delay (``true`` resumes it):
what a path then takes is the lab's own forwarding time, its floor
(:func:`netsim.lab.live.faults.set_link_delays`).
Closing the TAP descriptors (on exit, however it happens) removes both interfaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.clab.params import LinkParams
from netsim.lab.host import linux

if TYPE_CHECKING:
    from netsim.lab.host.jsondoc import JsonDoc

#: Time before a release spent polling the clock instead of sleeping.
SPIN_S = 150e-6
#: The relay's own forwarding latency (wake-up, read, write; measured about 0.1 ms per frame on
#: the 2-core build machines), taken off each sampled delay so that the delay a frame sees
#: end to end matches the sample. Zero-delay frames are never sent early.
BIAS_S = 100e-6
#: Samples drawn from the delay distribution at a time.
BLOCK = 4096
MAX_FRAME = 65536


@dataclass(slots=True)
class Direction:
    """One direction of the link: frames read from ``src`` are written to ``dst``."""

    params: LinkParams
    rng: np.random.Generator
    src: int
    dst: int
    bias: float = BIAS_S
    extra_delay: float = 0.0
    extra_loss: float = 0.0
    blackhole: bool = False
    delay_on: bool = True  # False: the link's own delay is not applied (the lab's floor)
    queue: deque[tuple[float, bytes]] = field(default_factory=deque)
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0))
    next_sample: int = 0
    last_release: float = 0.0
    tx_free: float = 0.0
    counters: dict[str, int] = field(
        default_factory=lambda: {"received": 0, "sent": 0, "dropped": 0, "write_errors": 0}
    )

    def _delay(self) -> float:
        if self.params.delay is None or not self.delay_on:
            return 0.0
        if self.next_sample >= len(self.samples):
            self.samples = self.params.delay.sample(self.rng, BLOCK)
            self.next_sample = 0
        value = float(self.samples[self.next_sample])
        self.next_sample += 1
        return value

    def accept(self, frame: bytes, now: float) -> None:
        """Queue a frame read at ``now`` for its release time, or drop it."""
        self.counters["received"] += 1
        loss = 1 - (1 - self.params.loss) * (1 - self.extra_loss)
        if self.blackhole or (loss > 0 and self.rng.random() < loss):
            self.counters["dropped"] += 1
            return
        ready = now
        rate = self.params.rate_bps
        if rate:
            start = max(now, self.tx_free)
            backlog = (start - now) * rate / 8 + len(frame)
            if self.params.buffer_bytes is not None and backlog > self.params.buffer_bytes:
                self.counters["dropped"] += 1
                return
            self.tx_free = start + len(frame) * 8 / rate
            ready = self.tx_free
        delay = max(self._delay() + self.extra_delay - self.bias, 0.0)
        release = max(ready + delay, self.last_release)
        self.last_release = release
        self.queue.append((release, frame))

    def flush(self, now: float) -> None:
        """Write every frame whose release time has come."""
        queue = self.queue
        while queue and queue[0][0] <= now:
            _, frame = queue.popleft()
            try:
                os.write(self.dst, frame)
                self.counters["sent"] += 1
            except OSError:
                # The far interface is down or its queue is full: the frame is lost,
                # as it would be on a real wire.
                self.counters["write_errors"] += 1


def _drain(fd: int, direction: Direction, now: float) -> None:
    while True:
        try:
            frame = os.read(fd, MAX_FRAME)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # interface down: nothing to read
        if not frame:
            return
        direction.accept(frame, now)


def _control(server: socket.socket, directions: list[Direction]) -> None:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return
    with conn:
        conn.settimeout(1.0)
        try:
            request = json.loads(conn.makefile("r").readline() or "{}")
            reply = _apply(request, directions)
        except (OSError, ValueError) as exc:
            reply = {"ok": False, "error": str(exc)}
        with contextlib.suppress(OSError):
            conn.sendall((json.dumps(reply) + "\n").encode())


# The relay's control socket speaks one JSON object per line, request and reply.
def _apply(request: JsonDoc, directions: list[Direction]) -> JsonDoc:
    if request.get("op") == "set":
        for d in directions:
            d.extra_delay = float(request.get("extra_delay", d.extra_delay))
            d.extra_loss = float(request.get("loss", d.extra_loss))
            d.blackhole = bool(request.get("blackhole", d.blackhole))
            d.delay_on = bool(request.get("delay", d.delay_on))
    elif request.get("op") != "stats":
        return {"ok": False, "error": f"unknown op {request.get('op')!r}"}
    return {
        "ok": True,
        "state": {
            "extra_delay": directions[0].extra_delay,
            "loss": directions[0].extra_loss,
            "blackhole": directions[0].blackhole,
            "delay": directions[0].delay_on,
        },
        "counters": [d.counters for d in directions],
    }


#: SCHED_FIFO priority of the relays (the stall watchers run one above, the apps below).
RELAY_PRIORITY = 10


def _realtime() -> None:
    linux.set_timer_slack(1)
    # Best effort: without real-time priority the timing is a little worse.
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(RELAY_PRIORITY))


def run(config: JsonDoc) -> None:  # config: the JSON file the deployer wrote
    """Create both TAPs, signal readiness, then relay frames until killed."""
    raw = config["params"]  # one object for both directions, or one per direction
    params = [LinkParams.from_json(p) for p in (raw if isinstance(raw, list) else [raw, raw])]
    ends = config["ends"]
    fds = []
    for end in ends:
        with linux.in_netns(end["netns"]):
            fds.append(linux.open_tap(end["ifname"]))
    # Stay in the first end's namespace: teardown finds every lab process by namespace.
    linux.setns(linux.netns_path(ends[0]["netns"]))
    seed = int(config.get("seed", 0))
    rngs = [np.random.default_rng([seed, i]) for i in range(2)]
    bias = float(config.get("bias_s", BIAS_S))
    directions = [
        Direction(params[0], rngs[0], fds[0], fds[1], bias),
        Direction(params[1], rngs[1], fds[1], fds[0], bias),
    ]
    control_path = Path(config["control"])
    control_path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(control_path))
    server.listen(4)
    server.setblocking(False)
    _realtime()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    _loop(directions, server)


def _loop(directions: list[Direction], server: socket.socket) -> None:
    by_fd = {d.src: d for d in directions}
    watched = [*by_fd, server.fileno()]
    clock = time.perf_counter
    while True:
        heads = [d.queue[0][0] for d in directions if d.queue]
        timeout = None
        if heads:
            timeout = max(0.0, min(heads) - clock() - SPIN_S)
        readable, _, _ = select.select(watched, [], [], timeout)
        now = clock()
        for fd in readable:
            if fd in by_fd:
                _drain(fd, by_fd[fd], now)
            else:
                _control(server, directions)
        heads = [d.queue[0][0] for d in directions if d.queue]
        if heads and min(heads) - now <= SPIN_S:
            target = min(heads)
            while clock() < target:
                pass
        now = clock()
        for d in directions:
            d.flush(now)


# A request and its reply are JSON objects of the control socket (see _apply).
def control(path: str | Path, request: JsonDoc, timeout: float = 2.0) -> JsonDoc:
    """Send one request to a running relay and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall((json.dumps(request) + "\n").encode())
        reply: JsonDoc = json.loads(sock.makefile("r").readline())
    return reply


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    run(json.loads(Path(args[0]).read_text()))


if __name__ == "__main__":
    main()

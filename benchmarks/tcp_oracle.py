"""Real Linux TCP against the simulator's TCP model, side by side (run as root, in the lab).

Two network namespaces created here are joined by the lab's user-space link relay
(:mod:`netsim.lab.host.relay`) with a rate, a one-way delay and a loss per frame in each
direction; a Python receiver in one and a sender in the other move a fixed number of bytes over
``streams`` parallel kernel TCP connections (``TCP_CONGESTION`` cubic or bbr; the receiver clamps
its window with ``TCP_WINDOW_CLAMP`` when a window is given). The transfer time (connect to last
byte received, one monotonic clock for both namespaces) is compared with what the simulator
predicts for a one-link topology with the same capacity, delay, loss and buffer. A case with
``loss_at`` starts lossless and sets the loss through the relay's control socket that many
seconds after the sender starts (the simulator: a ``loss:P`` failure as long after its
transfer starts). Traffic stays inside the namespaces; both namespaces, the relay and the
two ends are removed afterwards, even on error.

Usage (as root, under the lab lock): ``flock /tmp/netsim-lab.lock python -m benchmarks.tcp_oracle``.
``--spread K`` instead moves 6 MB over one stream at 1 % loss ``K`` times (relay seeds 1..K)
and sets the spread of Linux's times beside the model's (:func:`netsim.sim.tcp.completion_spread`,
which makes a transfer of several lossy streams end with its slowest).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 5201
A_IP, B_IP = "10.211.0.1", "10.211.0.2"
CHUNK = 65536
MSS = 1448  # Ethernet MTU 1500 - IPv4 20 - TCP 20 - timestamps 12


@dataclass(frozen=True)
class Case:
    """One transfer: the link and the TCP settings (``window`` None: autotuning)."""

    size: float  # bytes in total, split evenly over the streams
    streams: int = 1
    loss: float = 0.0
    window: float | None = None
    cc: str = "cubic"
    rate: float = 20e6  # bit/s per direction (Ethernet frames, as the relay counts them)
    delay: float = 0.020  # one-way, s
    buffer: float = 150_000.0  # bytes per direction
    loss_at: float = 0.0  # s after the transfer starts when the loss begins (0: throughout)

    @property
    def label(self) -> str:
        win = f" window {self.window / 1000:.0f}KB" if self.window else ""
        size = f"{self.size / 1e6:.0f}MB"
        after = f" from {self.loss_at:g}s" if self.loss_at else ""
        return f"{size} {self.streams} stream(s) loss {self.loss:.1%}{after}{win} {self.cc}"


CASES = (
    Case(8e6),
    Case(8e6, loss=0.001),
    Case(4e6, loss=0.01),
    Case(16e6, loss=0.01),
    Case(8e6, streams=4),
    Case(8e6, streams=4, loss=0.001),
    Case(24e6, streams=4, loss=0.01),
    Case(4e6, window=64000.0),
    # a loss that begins mid-transfer, once the streams share the link in congestion avoidance
    Case(24e6, streams=4, loss=0.01, loss_at=4.0),
)
SPREAD_CASE = Case(6e6, loss=0.01)  # one of the streams of the 24 MB, 4-stream case


def simulate(case: Case, engine: str = "exact") -> float:
    """Seconds the simulator takes for ``case``: a two-node topology, one bulk transfer.

    The link's ``overhead`` is the 14 B Ethernet header the relay counts in its rate, so its
    ``mtu`` is the 1500 B IP MTU plus that header.
    """
    from netsim.model import load_scenario
    from netsim.sim.engine import run_control_plane

    window = f"window: {case.window:.0f}B, " if case.window else ""
    with tempfile.TemporaryDirectory(prefix="tcp-oracle-sim-") as tmp:
        Path(tmp, "t.yaml").write_text(f"""
name: tcp-oracle
nodes: {{a: {{role: cloud}}, b: {{role: cloud}}}}
links:
  - {{name: wire, endpoints: [a, b], capacity: {case.rate:.0f}bps, delay: {case.delay * 1e3}ms,
     buffer: {case.buffer:.0f}B, overhead: 14B, mtu: 1514B}}
""")
        at = 1.0 + case.loss_at if case.loss_at else 0.0  # the transfer starts at 1 s
        failures = (
            f'  - {{link: wire, at: {at:g}s, mode: "loss:{case.loss}"}}' if case.loss else "  []"
        )
        Path(tmp, "s.yaml").write_text(f"""
name: tcp-oracle
topology: t.yaml
duration: 600s
traffic:
  - {{name: t, kind: bulk, from: a, to: b, transfers: [{{at: 1s, size: {case.size:.0f}B}}],
     streams: {case.streams}, {window}cc: {case.cc}}}
failures:
{failures}
""")
        scenario = load_scenario(Path(tmp, "s.yaml"))
    del engine  # bulk transfers are the control timeline's: one model for both engines
    timeline = run_control_plane(scenario, scenario.seed, list(scenario.failures))
    (record,) = timeline.transfers
    if record.duration_s is None:
        raise RuntimeError(f"the simulated transfer did not finish: {case.label}")
    return float(record.duration_s)


def _ns(name: str, *cmd: str) -> None:
    subprocess.run(["ip", "netns", "exec", name, *cmd], check=True, capture_output=True)


def measure(case: Case, tag: str = "i11tcp", seed: int = 1) -> float:
    """Seconds real Linux TCP takes for ``case`` through the relay (root only)."""
    return measure_stalled(case, tag, seed)[0]


def measure_stalled(case: Case, tag: str = "i11tcp", seed: int = 1) -> tuple[float, float]:
    """(seconds real Linux TCP takes for ``case`` through the relay, seconds of that time in
    which the host stalled). A stall (a CPU taken by the hypervisor) holds the relay, sender
    or receiver, so the transfer takes longer than the link makes it; one stall watcher per
    CPU measures them as a lab deploy does."""
    from netsim.lab.host.stalls import read_stalls, stalled_seconds, watcher_argv

    a, b = f"{tag}a{os.getpid()}", f"{tag}b{os.getpid()}"
    relay: subprocess.Popen[bytes] | None = None
    ends: list[subprocess.Popen[bytes]] = []  # the receiver and the sender
    work = Path(tempfile.mkdtemp(prefix="tcp-oracle-"))
    watchers = [
        subprocess.Popen(watcher_argv(work, cpu), cwd=ROOT, stdout=subprocess.DEVNULL)
        for cpu in sorted(os.sched_getaffinity(0))
    ]
    try:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
            _ns(ns, "ip", "link", "set", "lo", "up")
        relay = _relay(case, a, b, work, seed)
        for ns, ip, dev in ((a, A_IP, "to0"), (b, B_IP, "to1")):
            _ns(ns, "ip", "addr", "add", f"{ip}/24", "dev", dev)
            _ns(ns, "ip", "link", "set", dev, "up")
            # no offloads: the relay sees MTU-sized frames, as a wire would
            subprocess.run(
                ["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off"],
                capture_output=True,
                check=False,  # best effort: a TAP without ethtool support has no offloads
            )
        started, finished = _transfer(case, a, b, work / "relay.sock", ends)
        wall = time.time() - time.monotonic()  # both namespaces share the kernel's clocks
        stalled = stalled_seconds(read_stalls(work), started + wall, finished + wall)
        return finished - started, stalled
    finally:
        for end in ends:  # ended already, unless something failed: by PID
            if end.poll() is None:
                end.kill()
            end.wait()
        for watcher in watchers:
            watcher.kill()
            watcher.wait()
        if relay is not None:
            os.kill(relay.pid, signal.SIGTERM)
            relay.wait(timeout=10)
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        for f in work.iterdir():
            f.unlink()
        work.rmdir()


def _relay(case: Case, a: str, b: str, work: Path, seed: int) -> subprocess.Popen[bytes]:
    """The link relay between namespaces ``a`` and ``b``, started and ready (lossless for a
    case whose loss begins later)."""
    from netsim.lab.clab.params import LinkParams
    from netsim.model.dist import Dist

    loss = 0.0 if case.loss_at else case.loss  # a later loss: set through the control socket
    params = LinkParams(Dist.constant(case.delay), loss, case.rate, int(case.buffer))
    config = {
        "ends": [{"netns": a, "ifname": "to0"}, {"netns": b, "ifname": "to1"}],
        "params": params.to_json(),
        "seed": seed,
        "control": str(work / "relay.sock"),
    }
    (work / "relay.json").write_text(json.dumps(config))
    relay = subprocess.Popen(
        [sys.executable, "-m", "netsim.lab.host.relay", str(work / "relay.json")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert relay.stdout is not None
    ready, _, _ = select.select([relay.stdout], [], [], 30.0)
    if not ready or relay.stdout.readline().strip() != b"ready":
        os.kill(relay.pid, signal.SIGTERM)
        relay.wait(timeout=10)
        raise RuntimeError("the relay did not start")
    return relay


def _transfer(
    case: Case, a: str, b: str, control: Path, ends: list[subprocess.Popen[bytes]]
) -> tuple[float, float]:
    """Move ``case``'s bytes from namespace ``a`` to ``b`` (the receiver and the sender are
    appended to ``ends`` for the caller to reap); the sender's start and the receiver's end
    on the monotonic clock."""
    from netsim.lab.host.relay import control as relay_control

    me = str(Path(__file__).resolve())
    window = str(int(case.window or 0))
    recv = subprocess.Popen(
        ["ip", "netns", "exec", b, sys.executable, me, "--recv", str(case.streams), window],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    ends.append(recv)
    assert recv.stdout is not None
    if recv.stdout.readline().strip() != b"listening":
        raise RuntimeError("the receiver did not start")
    size = str(int(case.size))
    send = subprocess.Popen(
        ["ip", "netns", "exec", a, sys.executable, me, "--send", str(case.streams), size, case.cc],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    ends.append(send)
    assert send.stdout is not None
    started = float(send.stdout.readline().decode())  # the sender's first line
    if case.loss_at:
        time.sleep(max(started + case.loss_at - time.monotonic(), 0.0))
        reply = relay_control(control, {"op": "set", "loss": case.loss})
        if not reply.get("ok"):
            raise RuntimeError(f"the relay refused the loss: {reply}")
    if send.wait(timeout=600) != 0:
        raise RuntimeError(f"the sender failed: {case.label}")
    finished = float(recv.stdout.readline().decode())
    recv.wait(timeout=30)
    return started, finished


def _receiver(streams: int, window: int) -> None:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if window:
        # as iperf3 -w: the receive buffer bounds the window the receiver advertises
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
    srv.bind((B_IP, PORT))
    srv.listen(streams)
    print("listening", flush=True)
    conns = [srv.accept()[0] for _ in range(streams)]
    open_ = set(conns)
    while open_:
        readable, _, _ = select.select(list(open_), [], [])
        for c in readable:
            if not c.recv(1 << 20):
                open_.discard(c)
                c.close()
    print(f"{time.monotonic():.6f}", flush=True)


def _sender(streams: int, size: int, cc: str) -> None:
    started = time.monotonic()
    print(f"{started:.6f}", flush=True)  # first: a loss that begins later is timed from it
    socks = []
    for _ in range(streams):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        s.connect((B_IP, PORT))
        s.setblocking(False)
        socks.append(s)
    left = {s: size // streams for s in socks}
    payload = b"\0" * CHUNK
    while left:
        _, writable, _ = select.select([], list(left), [])
        for s in writable:
            try:
                n = s.send(payload[: min(CHUNK, left[s])])
            except BlockingIOError:
                continue
            left[s] -= n
            if left[s] <= 0:
                del left[s]
                s.shutdown(socket.SHUT_WR)


def spread(runs: int, case: Case = SPREAD_CASE) -> None:
    """Linux's spread of one lossy stream's time over ``runs`` transfers, beside the model's."""
    import statistics

    from netsim.sim.tcp import completion_spread

    if runs < 2:  # noqa: PLR2004 - a spread needs two
        raise SystemExit("--spread: at least 2 runs")
    times = []
    for k in range(runs):
        real, stalled = measure_stalled(case, seed=k + 1)
        times.append(real)
        print(f"run {k + 1}: Linux {real:.2f} s (host stalled {stalled:.3f} s)", flush=True)
    sim = simulate(case)
    # as the bulk controller takes them: the path's loss and its base round trip
    model = completion_spread(case.size / MSS, case.loss, 2 * case.delay) * sim
    mean, sd = statistics.mean(times), statistics.stdev(times)
    print(f"{case.label}: Linux mean {mean:.2f} s, standard deviation {sd:.2f} s ({runs} runs)")
    print(f"model: mean {sim:.2f} s, standard deviation {model:.2f} s (slow start and cycles)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recv", nargs=2, type=int, metavar=("STREAMS", "WINDOW"))
    parser.add_argument("--send", nargs=3, metavar=("STREAMS", "SIZE", "CC"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--spread", type=int, metavar="K", help="measure one stream's spread")
    args = parser.parse_args()
    if args.recv:
        _receiver(*args.recv)
        return
    if args.send:
        _sender(int(args.send[0]), int(args.send[1]), args.send[2])
        return
    if args.spread:
        spread(args.spread)
        return
    print(f"{'case':<44}{'Linux s':>9}{'sim s':>8}{'sim/Linux':>11}")
    for case in CASES:
        real = sorted(measure(case, seed=k + 1) for k in range(args.repeat))[args.repeat // 2]
        sim = simulate(case)
        print(f"{case.label:<44}{real:>9.2f}{sim:>8.2f}{sim / real:>11.2f}", flush=True)


if __name__ == "__main__":
    main()

"""A scenario's request-response and bulk classes, played as real TCP between the lab's hosts.

:func:`request_streams` and :func:`bulk_transfers` draw what each class does (Poisson
arrivals, sizes, server times and sidecar waits; transfer times, sizes and rates) from the
scenario's seed (:func:`netsim.model.streams.stream`, purposes of the lab's own);
:class:`TrafficRun` starts a server in each destination host and a client per stream in its
source host (:mod:`netsim.lab.live.apps`), releases them together and collects typed,
columnar results.

Bulk transfers and the lab's link rates run at ``rate_scale`` of the model's (see
:func:`rate_scale`): the lab's user-space link emulation carries on the order of
``LAB_BULK_BPS`` per link on the 2-core build machines (one relay alone moved 1.08 Gbit/s
of iperf3, docs/lab.md), far below a 10 Gbps interconnect. Sizes and rates are multiplied
by the scale before sending and the delivered bytes divided by it after, so throughput is
reported at model scale, and the summary's ``lab`` note says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.host import netns
from netsim.lab.live.helpers import READY_S, await_ready, finish_helper, spawn_helper
from netsim.model.scenario import TrafficKind
from netsim.model.streams import stream

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from netsim.lab.live.lab import Lab
    from netsim.model.scenario import Scenario, TrafficClass

#: Requests per second one client process keeps on time (a stream above it is capped).
MAX_REQUEST_RATE = 200.0
#: What one lab link is asked to carry at most when bulk classes run (ASSUMPTION: a tenth of
#: what one relay moved alone, leaving room for two relays per path, charon and FRR).
LAB_BULK_BPS = 100e6
APPS = "netsim.lab.live.apps"
#: Host sysctls for request traffic: a persistent connection keeps its congestion window
#: between requests (Linux shrinks it after an idle RTO otherwise). The congestion control
#: is set per socket by the applications (:data:`netsim.lab.live.apps.CONGESTION`).
HOST_SYSCTLS = {"net.ipv4.tcp_slow_start_after_idle": "0"}
POOL_MARGIN = 4  # connections opened before the start, beyond the expected concurrency


@dataclass(frozen=True, slots=True)
class RequestStream:
    """The requests of one class to one destination, drawn before the run."""

    class_index: int
    cls: TrafficClass
    dst: str
    at: np.ndarray  # seconds after the start
    request: np.ndarray  # bytes
    response: np.ndarray
    server_s: np.ndarray
    sidecar_s: np.ndarray  # (n, 4): client out, server in, server out, client in
    capped_from: float | None = None  # the class's rate when it was capped


@dataclass(frozen=True, slots=True)
class RequestResult:
    """One row per attempt of a stream's requests (absolute times; NaN: never answered)."""

    stream: RequestStream
    req: np.ndarray
    attempt: np.ndarray
    t_send: np.ndarray
    t_done: np.ndarray


@dataclass(frozen=True, slots=True)
class TransferPlan:
    """One bulk transfer at model scale (``size`` inf: a stream until ``stop``)."""

    class_index: int
    cls: TrafficClass
    dst: str
    ident: int
    at: float
    size: float
    rate_bps: float
    stop: float


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a transfer moved, at model scale; ``finish`` None if it had not finished."""

    plan: TransferPlan
    start: float  # absolute time
    delivered: float
    finish: float | None


def rate_scale(scenario: Scenario) -> float:
    """The fraction of the model's rates the lab runs at: 1 without bulk classes."""
    if not any(c.kind is TrafficKind.BULK for c in scenario.traffic):
        return 1.0
    fastest = max([lk.capacity for lk in scenario.topology.links] + [1.0])
    return min(1.0, LAB_BULK_BPS / fastest)


def _stop(scenario: Scenario, cls: TrafficClass) -> float:
    return min(cls.stop if cls.stop is not None else scenario.duration, scenario.duration)


def request_streams(scenario: Scenario, seed: int) -> list[RequestStream]:
    """Every request-response stream (class x destination) with its draws."""
    out = []
    side = scenario.mesh.sidecar_latency
    for ci, cls in enumerate(scenario.traffic):
        if cls.kind is not TrafficKind.REQUEST_RESPONSE:
            continue
        for di, dst in enumerate(cls.dsts):
            rate = cls.rate / len(cls.dsts)
            capped = rate if rate > MAX_REQUEST_RATE else None
            rate = min(rate, MAX_REQUEST_RATE)
            rng = stream(seed, "lab-requests:" + cls.name, di)
            span = max(_stop(scenario, cls) - cls.start, 0.0)
            count = rng.poisson(rate * span)
            at = np.sort(rng.uniform(cls.start, cls.start + span, count))
            sidecar = (
                side.sample(rng, 4 * count).reshape(count, 4) if side else np.zeros((count, 4))
            )
            out.append(
                RequestStream(
                    ci,
                    cls,
                    dst,
                    at,
                    np.maximum(cls.request_size.sample(rng, count), 1).round(),
                    np.maximum(cls.response_size.sample(rng, count), 1).round(),
                    np.maximum(cls.server_time.sample(rng, count), 0.0),
                    np.maximum(sidecar, 0.0),
                    capped,
                )
            )
    return out


def _class_transfers(
    scenario: Scenario, cls: TrafficClass, index: int, seed: int
) -> list[tuple[float, float, float]]:
    """(start, bytes, bit/s) of one destination's transfers of a bulk class (inf: a stream)."""
    stop = _stop(scenario, cls)
    share = 1.0 / len(cls.dsts)
    out = [
        (tr.at, tr.size * share, cls.max_rate) for tr in cls.transfers if cls.start <= tr.at < stop
    ]
    if cls.volume_rate > 0 and cls.transfer_size is None:  # one stream at the average rate
        out.append((cls.start, math.inf, min(cls.volume_rate * 8 * share, cls.max_rate)))
    elif cls.volume_rate > 0 and cls.transfer_size is not None:
        rng = stream(seed, "lab-bulk:" + cls.name, index)
        count = rng.poisson(cls.volume_rate * share / cls.transfer_size * (stop - cls.start))
        out += [
            (float(at), cls.transfer_size, cls.max_rate)
            for at in np.sort(rng.uniform(cls.start, stop, count))
        ]
    return out


def bulk_transfers(scenario: Scenario, seed: int) -> list[TransferPlan]:
    """Every bulk transfer, made as the simulator makes its fluid flows (model scale)."""
    out: list[TransferPlan] = []
    for ci, cls in enumerate(scenario.traffic):
        if cls.kind is not TrafficKind.BULK:
            continue
        for di, dst in enumerate(cls.dsts):
            for at, size, rate in _class_transfers(scenario, cls, di, seed):
                plan = TransferPlan(ci, cls, dst, len(out), at, size, rate, _stop(scenario, cls))
                out.append(plan)
    return sorted(out, key=lambda t: (t.at, t.ident))


class TrafficRun:
    """The request and bulk applications of a scenario on a deployed lab, from start to results.

    ``start()`` draws nothing new: it writes each client's schedule, starts the servers and
    clients (each waits for ``go``), and returns once all are ready; ``go()`` releases them
    at one moment; ``wait()`` collects the results when the clients are done.
    """

    def __init__(self, lab: Lab, scenario: Scenario, seed: int, scale: float) -> None:
        self.lab = lab
        self.scenario = scenario
        self.scale = scale
        self.streams = request_streams(scenario, seed)
        self.transfers = bulk_transfers(scenario, seed)
        self.workdir = lab.state.directory / "traffic"
        self.servers: list[subprocess.Popen[str]] = []
        self.clients: list[tuple[object, subprocess.Popen[str], Path]] = []

    def _spawn(self, node: str, args: list[str], what: str) -> tuple[subprocess.Popen[str], str]:
        proc = spawn_helper(self.lab.namespace(node), self.lab.name, APPS, args)
        return proc, await_ready(proc, f"{what} in {node}")

    def _server(self, kind: str, node: str, ports: dict[tuple[str, str], int]) -> int:
        if (kind, node) not in ports:
            out = self.workdir / f"{kind}-{node}.npz"
            proc, port = self._spawn(f"host-{node}", [kind, "--out", str(out)], kind)
            self.servers.append(proc)
            ports[(kind, node)] = int(port)
        return ports[(kind, node)]

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        hosts = {c.src for c in self.scenario.traffic} | {
            d for c in self.scenario.traffic for d in c.dsts
        }
        for host in sorted(hosts):
            for key, value in HOST_SYSCTLS.items():
                netns.set_sysctl(self.lab.namespace(f"host-{host}"), key, value)
        ports: dict[tuple[str, str], int] = {}
        for i, s in enumerate(self.streams):
            port = self._server("rr-server", s.dst, ports)
            schedule = self.workdir / f"rr-{i}.schedule.npz"
            np.savez(
                schedule,
                req=np.arange(len(s.at)),
                at=s.at,
                request=s.request.astype(np.int64),
                response=s.response.astype(np.int64),
                server_us=(s.server_s * 1e6).astype(np.int64),
                sidecar_us=(s.sidecar_s * 1e6).astype(np.int64),
            )
            policy = s.cls.retries or self.scenario.mesh.retries
            rate = len(s.at) / max(self.scenario.duration, 1e-9)
            out = self.workdir / f"rr-{i}.npz"
            args = ["rr-client", "--dst", self.lab.address(f"host-{s.dst}"), "--port", str(port)]
            args += ["--schedule", str(schedule), "--out", str(out)]
            args += ["--timeout", str(s.cls.timeout), "--attempts", str(policy.attempts)]
            args += ["--per-try", str(policy.per_try_timeout or s.cls.timeout)]
            args += [
                "--backoff",
                str(policy.backoff),
                "--pool",
                str(math.ceil(rate * 0.2) + POOL_MARGIN),
            ]
            self.clients.append(
                (s, self._spawn(f"host-{s.cls.src}", args, "request client")[0], out)
            )
        pairs = sorted({(t.cls.src, t.dst) for t in self.transfers})
        for src, dst in pairs:
            port = self._server("bulk-server", dst, ports)
            mine = [t for t in self.transfers if (t.cls.src, t.dst) == (src, dst)]
            schedule = self.workdir / f"bulk-{src}-{dst}.schedule.npz"
            np.savez(
                schedule,
                id=np.array([t.ident for t in mine]),
                at=np.array([t.at for t in mine]),
                size=np.array([0.0 if math.isinf(t.size) else t.size * self.scale for t in mine]),
                rate=np.array([t.rate_bps * self.scale for t in mine]),
                stop=np.array([t.stop for t in mine]),
            )
            out = self.workdir / f"bulk-{src}-{dst}.npz"
            args = ["bulk-client", "--dst", self.lab.address(f"host-{dst}"), "--port", str(port)]
            args += ["--schedule", str(schedule), "--out", str(out)]
            self.clients.append(
                ((src, dst), self._spawn(f"host-{src}", args, "bulk client")[0], out)
            )

    def go(self, at: float | None = None) -> None:
        """Start every client; their schedules start at wall-clock time ``at`` (default: soon)."""
        for _, proc, _ in self.clients:
            assert proc.stdin is not None
            proc.stdin.write("go\n" if at is None else f"go {at!r}\n")
            proc.stdin.flush()

    def wait(self, grace: float = 1.0) -> tuple[list[RequestResult], list[TransferResult]]:
        """Wait for every client, then stop the servers; the results of the run."""
        budget = self.scenario.duration + READY_S + max([s.cls.timeout for s in self.streams] + [0])
        for _, proc, _ in self.clients:
            finish_helper(proc, budget, "traffic process")
        time.sleep(grace)  # data in flight reaches the bulk servers
        for proc in self.servers:
            with_stop(proc)
            finish_helper(proc, READY_S, "traffic process")
        requests = []
        for key, _, out in self.clients:
            if isinstance(key, RequestStream):
                got = np.load(out)
                requests.append(
                    RequestResult(key, got["req"], got["attempt"], got["t_send"], got["t_done"])
                )
        return requests, self._transfers()

    def _transfers(self) -> list[TransferResult]:
        received: dict[int, np.ndarray] = {}
        for path in self.workdir.glob("bulk-server-*.npz"):
            got = np.load(path)
            received.update({int(i): row for i, row in zip(got["id"], got["table"], strict=True)})
        starts: dict[tuple[str, str], float] = {}
        for key, _, out in self.clients:
            if isinstance(key, tuple):
                starts[key] = float(np.load(out)["t0"][0])
        results = []
        for t in self.transfers:
            start = starts[(t.cls.src, t.dst)] + t.at
            got_bytes, _, last = received.get(t.ident, np.array([0.0, math.nan, math.nan, 0.0]))[:3]
            delivered = float(got_bytes) / self.scale
            done = not math.isinf(t.size) and delivered >= t.size * (1 - 1e-9)
            results.append(
                TransferResult(t, start, min(delivered, t.size), float(last) if done else None)
            )
        return results


def with_stop(proc: subprocess.Popen[str]) -> None:
    """Ask a helper to stop (a line on its stdin); it may have gone already."""
    try:
        assert proc.stdin is not None
        proc.stdin.write("stop\n")
        proc.stdin.flush()
    except OSError:
        pass

"""The scenario model: traffic classes, failure schedule, service mesh and SLOs.

Frozen dataclasses, pure data (architecture section 3). A :class:`Scenario` holds the
:class:`~netsim.model.topology.Topology` it runs on, so one object is all an engine needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.dist import Dist

if TYPE_CHECKING:
    from netsim.model.topology import Topology


# Linux receive-buffer autotuning stops at net.ipv4.tcp_rmem's maximum, 6 MiB (6291456 B):
# the largest window of a stream whose class sets no ``window``.
DEFAULT_WINDOW = 6291456.0


class TrafficKind(enum.Enum):
    REQUEST_RESPONSE = "request-response"
    ONE_WAY = "one-way"
    BULK = "bulk"


class CongestionControl(enum.Enum):
    """The TCP congestion control of a bulk class: loss-based or model-based."""

    CUBIC = "cubic"  # loss-based (the Linux default): fills bottleneck buffers
    BBR = "bbr"  # model-based: keeps about one bandwidth-delay product queued


class FailureMode(enum.Enum):
    DOWN = "down"  # carrier loss: detected at once
    BLACKHOLE = "blackhole"  # forwarding stops, link stays up: BFD / hold timer / DPD
    LOSS = "loss"  # random loss with probability p: detected when control packets run out


class TargetKind(enum.Enum):
    LINK = "link"
    NODE = "node"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Profile:
    """A diurnal rate profile: ``rate(t) = mean * exp(k cos(2 pi (t - peak_at) / 1 d)) / I0(k)``.

    ``k`` is chosen so that the peak is ``peak_to_mean`` times the mean; the mean over a
    day is exactly the class's rate.
    """

    peak_to_mean: float
    peak_at: float = 14 * 3600.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Istio-style retries: total ``attempts``, each given ``per_try_timeout``."""

    attempts: int = 1
    per_try_timeout: float | None = None
    backoff: float = 0.025


@dataclass(frozen=True, slots=True)
class Mesh:
    """The service mesh on top of the network (Istio): one sidecar sample per traversal."""

    sidecar_latency: Dist | None = None
    retries: RetryPolicy = RetryPolicy()


@dataclass(frozen=True, slots=True)
class Transfer:
    at: float
    size: float


@dataclass(frozen=True, slots=True)
class TrafficClass:
    name: str
    kind: TrafficKind
    src: str
    dsts: tuple[str, ...]
    rate: float = 0.0  # events/s over all destinations (not bulk)
    profile: Profile | None = None
    request_size: Dist = Dist.constant(1000.0)
    response_size: Dist = Dist.constant(1000.0)
    size: Dist = Dist.constant(1000.0)  # one-way datagrams
    server_time: Dist = Dist.constant(0.0)
    timeout: float = 2.0
    retries: RetryPolicy | None = None  # None: the scenario mesh's default
    volume_rate: float = 0.0  # bulk: bytes/s on average over all destinations
    transfer_size: float | None = None  # bulk: bytes per transfer; None = one continuous stream
    transfers: tuple[Transfer, ...] = ()
    max_rate: float = 10e9  # bulk: bit/s per transfer
    streams: int = 1  # bulk: parallel TCP connections per transfer
    window: float = DEFAULT_WINDOW  # bulk: largest window (bytes in flight) per stream
    cc: CongestionControl = CongestionControl.CUBIC  # bulk: TCP congestion control
    start: float = 0.0
    stop: float | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    target: TargetKind
    name: str
    at: float
    duration: float | None  # None: never repaired within the run
    mode: FailureMode = FailureMode.DOWN
    loss: float = 0.0  # the p of loss:p


@dataclass(frozen=True, slots=True)
class Slo:
    name: str
    metric: str  # latency | success_ratio | failover_gap | throughput
    traffic_class: str | None = None
    quantile: float | None = None
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    topology: Topology
    duration: float
    warmup: float
    seed: int
    traffic: tuple[TrafficClass, ...]
    failures: tuple[Failure, ...] = ()
    random_failures: bool = False
    slos: tuple[Slo, ...] = ()
    mesh: Mesh = Mesh()
    description: str = ""
    source: str = ""

    def traffic_class(self, name: str) -> TrafficClass:
        for cls in self.traffic:
            if cls.name == name:
                return cls
        raise KeyError(name)

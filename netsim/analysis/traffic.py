"""Traffic statistics of ``summary.json``: per class counts, success and latency with CIs.

A request-response or one-way class is a :class:`ClassStats` (with :class:`LatencyStats`),
a bulk class a :class:`BulkStats`. Each interval comes with the :class:`CiInfo` saying how
it was built (:mod:`netsim.analysis.intervals`); documents written before intervals said
so read back with those left as None, and write back without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.intervals import CiInfo
from netsim.model.scenario import TrafficKind
from netsim.trace.fields import Fields

if TYPE_CHECKING:
    from collections.abc import Mapping

#: A confidence interval; either end is None where it could not be computed.
Interval = tuple[float | None, float | None]

#: The latency statistics that carry an interval, in ``summary.json`` order.
LATENCY_STATS = ("mean", "p50", "p95", "p99")


def pair(ci: Interval) -> list[float | None]:
    """An interval as ``summary.json`` writes it: ``[low, high]``."""
    return [ci[0], ci[1]]


def methods_json(methods: Mapping[str, CiInfo]) -> dict[str, object]:
    return {name: info.to_json() for name, info in methods.items()}


def methods_from_json(f: Fields, key: str) -> dict[str, CiInfo] | None:
    inner = f.opt_obj(key)
    return None if inner is None else {name: CiInfo.from_json(inner.obj(name)) for name in inner}


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency of the delivered packets of one class (ms), with 95 % CIs of the mean and the
    quantiles; ``methods`` says how each interval was built (None: an older document)."""

    mean: float | None
    max: float | None
    p50: float | None
    p50_ci: Interval
    p95: float | None
    p95_ci: Interval
    p99: float | None
    p99_ci: Interval
    mean_ci: Interval = (None, None)
    methods: Mapping[str, CiInfo] | None = None  # by LATENCY_STATS name

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "mean": self.mean,
            "max": self.max,
            "p50": self.p50,
            "p50_ci": pair(self.p50_ci),
            "p95": self.p95,
            "p95_ci": pair(self.p95_ci),
            "p99": self.p99,
            "p99_ci": pair(self.p99_ci),
        }
        if self.methods is not None:
            doc.update(mean_ci=pair(self.mean_ci), ci_method=methods_json(self.methods))
        return doc

    @classmethod
    def from_json(cls, doc: object) -> LatencyStats:
        f = Fields.of(doc)
        return cls(
            f.opt_number("mean"),
            f.opt_number("max"),
            f.opt_number("p50"),
            f.interval("p50_ci"),
            f.opt_number("p95"),
            f.interval("p95_ci"),
            f.opt_number("p99"),
            f.interval("p99_ci"),
            f.interval("mean_ci"),
            methods_from_json(f, "ci_method"),
        )


@dataclass(frozen=True, slots=True)
class ClassStats:
    """A request-response or one-way class after the warmup: counts, success, latency."""

    kind: TrafficKind
    sent: int
    delivered: int
    success_ratio: float | None  # None: nothing sent
    success_ratio_ci: Interval
    latency_ms: LatencyStats | None  # None: nothing delivered
    retried: int  # requests that needed more than one attempt
    lost_by_reason: Mapping[str, int]  # attempts lost, by reason (netsim.trace.core)
    success_ratio_method: CiInfo | None = None  # None: an older document

    @property
    def lost(self) -> int:
        return self.sent - self.delivered

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "kind": self.kind.value,
            "sent": self.sent,
            "delivered": self.delivered,
            "lost": self.lost,
            "success_ratio": self.success_ratio,
            "success_ratio_ci": pair(self.success_ratio_ci),
            "latency_ms": None if self.latency_ms is None else self.latency_ms.to_json(),
            "retried": self.retried,
            "lost_by_reason": dict(self.lost_by_reason),
        }
        if self.success_ratio_method is not None:
            doc["success_ratio_ci_method"] = self.success_ratio_method.to_json()
        return doc

    @classmethod
    def from_json(cls, doc: object) -> ClassStats:
        f = Fields.of(doc)
        latency = f.opt_obj("latency_ms")
        method = f.opt_obj("success_ratio_ci_method")
        return cls(
            f.member("kind", TrafficKind),
            f.integer("sent"),
            f.integer("delivered"),
            f.opt_number("success_ratio"),
            f.interval("success_ratio_ci"),
            None if latency is None else LatencyStats.from_json(latency),
            f.opt_integer("retried") or 0,
            f.counts("lost_by_reason"),
            None if method is None else CiInfo.from_json(method),
        )


@dataclass(frozen=True, slots=True)
class TransferTimes:
    """How long the completed transfers of a bulk class took (s)."""

    mean: float | None
    max: float | None

    def to_json(self) -> dict[str, object]:
        return {"mean": self.mean, "max": self.max}


@dataclass(frozen=True, slots=True)
class BulkStats:
    """A bulk class: its transfers and the throughput over the time any was running."""

    transfers: int
    completed: int
    delivered_bytes: float
    active_s: float | None
    throughput_mbps: float | None
    transfer_s: TransferTimes | None  # None: no transfer completed

    @property
    def kind(self) -> TrafficKind:
        return TrafficKind.BULK

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "transfers": self.transfers,
            "completed": self.completed,
            "delivered_bytes": self.delivered_bytes,
            "active_s": self.active_s,
            "throughput_mbps": self.throughput_mbps,
            "transfer_s": None if self.transfer_s is None else self.transfer_s.to_json(),
        }

    @classmethod
    def from_json(cls, doc: object) -> BulkStats:
        f = Fields.of(doc)
        times = f.opt_obj("transfer_s")
        return cls(
            f.integer("transfers"),
            f.integer("completed"),
            f.number("delivered_bytes"),
            f.opt_number("active_s"),
            f.opt_number("throughput_mbps"),
            None
            if times is None
            else TransferTimes(times.opt_number("mean"), times.opt_number("max")),
        )


TrafficStats = ClassStats | BulkStats


def traffic_from_json(doc: object) -> TrafficStats:
    f = Fields.of(doc)
    return BulkStats.from_json(f) if f.opt_text("kind") == "bulk" else ClassStats.from_json(f)


__all__ = [
    "LATENCY_STATS",
    "BulkStats",
    "ClassStats",
    "Interval",
    "LatencyStats",
    "TrafficStats",
    "TransferTimes",
    "pair",
    "traffic_from_json",
]

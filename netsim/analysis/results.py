"""The typed ``summary.json`` (architecture section 6): :class:`Summary` and its parts.

:func:`netsim.analysis.summary.summarize` builds a :class:`Summary` from a Trace; the CLI,
the report, sweeps and checks read its attributes. ``Summary.to_json()`` is the one place
that writes the document (key order, rounding and nulls exactly as runs have always
written them: ``tests/analysis/test_summary_fixtures.py`` holds it to runs of the code
before these types), and ``Summary.from_json()`` reads a finished run back, old runs
included.

The parts: per traffic class a :class:`ClassStats` (request-response and one-way, with
:class:`LatencyStats`) or a :class:`BulkStats`; one :class:`SloVerdict` per SLO; one
:class:`FailoverResult` per failure (the control plane's
:class:`~netsim.trace.records.FailoverRecord` and what the data plane measured); one
:class:`LinkStats` per link; the :class:`CostSummary`; and the notes a lab run
(:class:`~netsim.trace.records.LabNote`) or a design review (:class:`ReviewNote`) adds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.scenario import TrafficKind
from netsim.trace.fields import Fields
from netsim.trace.records import FailoverRecord, LabNote

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: A confidence interval; either end is None where it could not be computed.
Interval = tuple[float | None, float | None]


def _pair(ci: Interval) -> list[float | None]:
    return [ci[0], ci[1]]


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency of the delivered packets of one class (ms), with 95 % CIs of the quantiles."""

    mean: float | None
    max: float | None
    p50: float | None
    p50_ci: Interval
    p95: float | None
    p95_ci: Interval
    p99: float | None
    p99_ci: Interval

    def to_json(self) -> dict[str, object]:
        return {
            "mean": self.mean,
            "max": self.max,
            "p50": self.p50,
            "p50_ci": _pair(self.p50_ci),
            "p95": self.p95,
            "p95_ci": _pair(self.p95_ci),
            "p99": self.p99,
            "p99_ci": _pair(self.p99_ci),
        }

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

    @property
    def lost(self) -> int:
        return self.sent - self.delivered

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "sent": self.sent,
            "delivered": self.delivered,
            "lost": self.lost,
            "success_ratio": self.success_ratio,
            "success_ratio_ci": _pair(self.success_ratio_ci),
            "latency_ms": None if self.latency_ms is None else self.latency_ms.to_json(),
            "retried": self.retried,
            "lost_by_reason": dict(self.lost_by_reason),
        }

    @classmethod
    def from_json(cls, doc: object) -> ClassStats:
        f = Fields.of(doc)
        latency = f.opt_obj("latency_ms")
        return cls(
            f.member("kind", TrafficKind),
            f.integer("sent"),
            f.integer("delivered"),
            f.opt_number("success_ratio"),
            f.interval("success_ratio_ci"),
            None if latency is None else LatencyStats.from_json(latency),
            f.opt_integer("retried") or 0,
            f.counts("lost_by_reason"),
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


class Bound(enum.Enum):
    """Whether an SLO's target is an upper (latency, gap) or a lower (success) bound."""

    MAX = "max"
    MIN = "min"


@dataclass(frozen=True, slots=True)
class SloVerdict:
    """One SLO judged on a run: target, measured value with its CI, verdict, a sentence.

    ``target`` and ``measured`` are in ``unit`` (ms, s, Mbps, or none for ratios).
    """

    name: str
    metric: str  # latency | success_ratio | failover_gap | throughput
    traffic_class: str | None
    quantile: float | None
    target: float | None
    bound: Bound
    measured: float | None  # None: no data to judge
    ci: Interval
    unit: str
    passed: bool
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "metric": self.metric,
            "class": self.traffic_class,
            "quantile": self.quantile,
            "target": self.target,
            "bound": self.bound.value,
            "measured": self.measured,
            "ci": _pair(self.ci),
            "unit": self.unit,
            "pass": self.passed,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, doc: object) -> SloVerdict:
        f = Fields.of(doc)
        return cls(
            f.text("name"),
            f.text("metric"),
            f.opt_text("class"),
            f.opt_number("quantile"),
            f.opt_number("target"),
            f.member("bound", Bound),
            f.opt_number("measured"),
            f.interval("ci"),
            f.opt_text("unit") or "",
            f.flag("pass"),
            f.opt_text("text") or "",
        )


@dataclass(frozen=True, slots=True)
class FailoverResult:
    """One failure: the control plane's record and the gap measured from the data plane.

    ``gap_s`` is the longest loss run of the affected flows starting at the failure
    (:mod:`netsim.analysis.failover`), ``lost`` the packets they lost in it, and
    ``model_gap_s`` the control plane's own failure-to-switch time (None: no switch).
    """

    record: FailoverRecord
    gap_s: float
    lost: int
    model_gap_s: float | None
    affected_flows: int

    def to_json(self) -> dict[str, object]:
        # summary.json has always left out the impaired links (trace.json has them).
        return {
            **self.record.times_json(),
            "gap_s": self.gap_s,
            "lost": self.lost,
            "model_gap_s": self.model_gap_s,
            "affected_flows": self.affected_flows,
        }

    @classmethod
    def from_json(cls, doc: object, links: tuple[str, ...] = ()) -> FailoverResult:
        f = Fields.of(doc)
        return cls(
            FailoverRecord.from_json(f, links),
            f.number("gap_s"),
            f.integer("lost"),
            f.opt_number("model_gap_s"),
            f.opt_integer("affected_flows") or 0,
        )


@dataclass(frozen=True, slots=True)
class LinkStats:
    """What one link carried over the run (both directions) and how long it was broken."""

    carried_bytes: float | None
    utilization_mean: float | None  # of both directions' capacity
    down_s: float | None  # seconds blackholed or down

    def to_json(self) -> dict[str, object]:
        return {
            "bytes": self.carried_bytes,
            "utilization_mean": self.utilization_mean,
            "down_s": self.down_s,
        }

    @classmethod
    def from_json(cls, doc: object) -> LinkStats:
        f = Fields.of(doc)
        return cls(f.opt_number("bytes"), f.opt_number("utilization_mean"), f.opt_number("down_s"))


@dataclass(frozen=True, slots=True)
class CostSummary:
    """Monthly cost: fixed fees, per-GB charges scaled from the run to a month (USD)."""

    monthly_usd: float | None
    per_gb_usd: float | None
    total_monthly_usd: float | None
    run_per_gb_usd: float | None  # per-GB charges of the run itself

    def to_json(self) -> dict[str, object]:
        return {
            "monthly_usd": self.monthly_usd,
            "per_gb_usd": self.per_gb_usd,
            "total_monthly_usd": self.total_monthly_usd,
            "run_per_gb_usd": self.run_per_gb_usd,
        }

    @classmethod
    def from_json(cls, doc: object) -> CostSummary:
        f = Fields.of(doc)
        return cls(
            f.opt_number("monthly_usd"),
            f.opt_number("per_gb_usd"),
            f.opt_number("total_monthly_usd"),
            f.opt_number("run_per_gb_usd"),
        )


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """What ``netsim review`` adds to a run it made (:mod:`netsim.report.review`)."""

    notes: tuple[str, ...]  # e.g. "shortened from 1 d to 1 h"
    roles: tuple[str, ...]  # what the report uses the run for ("cost", ...)
    design: str | None  # the alternative design it simulates, if any
    engine_used: str

    def to_json(self) -> dict[str, object]:
        return {
            "notes": list(self.notes),
            "roles": list(self.roles),
            "design": self.design,
            "engine_used": self.engine_used,
        }

    @classmethod
    def from_json(cls, doc: object) -> ReviewNote:
        f = Fields.of(doc)
        return cls(
            f.texts("notes"),
            f.texts("roles"),
            f.opt_text("design"),
            f.opt_text("engine_used") or "",
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """``summary.json`` of one run, simulated or emulated; see the module docstring.

    ``data_plane`` and ``statistics`` are set by runs of the fast engine (which engine
    computed the packets, and whether the statistics come from every row or from
    sketches); ``lab`` by lab runs; ``review`` by runs of ``netsim review``.
    """

    scenario: str
    engine: str  # "sim" or "lab"
    seed: int
    topology: str
    duration_s: float
    warmup_s: float
    wall_s: float
    netsim_version: str
    traffic: Mapping[str, TrafficStats]  # by class name, in scenario order
    slos: tuple[SloVerdict, ...]
    failovers: tuple[FailoverResult, ...]
    links: Mapping[str, LinkStats]  # by link name, in topology order
    cost: CostSummary
    data_plane: str | None = None
    statistics: str | None = None  # "rows" or "sketches"
    lab: LabNote | None = None
    review: ReviewNote | None = None

    @property
    def passed(self) -> bool:
        """Whether every SLO holds (``netsim run`` exits 0)."""
        return all(s.passed for s in self.slos)

    def to_json(self) -> dict[str, object]:
        """The ``summary.json`` document (:func:`netsim.trace.files.dumps` writes it)."""
        doc: dict[str, object] = {
            "scenario": self.scenario,
            "engine": self.engine,
            "seed": self.seed,
            "topology": self.topology,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "wall_s": self.wall_s,
            "netsim_version": self.netsim_version,
        }
        if self.data_plane is not None:
            doc.update(data_plane=self.data_plane, statistics=self.statistics)
        doc.update(
            {
                "traffic": {name: s.to_json() for name, s in self.traffic.items()},
                "slos": [s.to_json() for s in self.slos],
                "pass": self.passed,
                "failovers": [f.to_json() for f in self.failovers],
                "links": {name: s.to_json() for name, s in self.links.items()},
                "cost": self.cost.to_json(),
            }
        )
        if self.lab is not None:
            doc["lab"] = self.lab.to_json()
        if self.review is not None:
            doc["review"] = self.review.to_json()
        return doc

    @classmethod
    def from_json(cls, doc: object, records: Sequence[FailoverRecord] = ()) -> Summary:
        """Read a summary back (a parsed ``summary.json``, or :meth:`to_json`'s output).

        ``summary.json`` leaves out the links each failure impaired; give the run's
        Trace records (``trace.failovers``) to have them in the failover results.
        """
        f = Fields.of(doc)
        links = {r.id: r.links for r in records}
        lab, review = f.opt_obj("lab"), f.opt_obj("review")
        return cls(
            scenario=f.text("scenario"),
            engine=f.opt_text("engine") or "sim",
            seed=f.integer("seed"),
            topology=f.opt_text("topology") or "",
            duration_s=f.number("duration_s"),
            warmup_s=f.opt_number("warmup_s") or 0.0,
            wall_s=f.opt_number("wall_s") or 0.0,
            netsim_version=f.opt_text("netsim_version") or "",
            traffic={name: traffic_from_json(s) for name, s in f.members("traffic")},
            slos=tuple(SloVerdict.from_json(s) for s in f.objs("slos")),
            failovers=tuple(
                FailoverResult.from_json(x, links.get(x.integer("id"), ()))
                for x in f.objs("failovers")
            ),
            links={name: LinkStats.from_json(s) for name, s in f.members("links")},
            cost=CostSummary.from_json(f.obj("cost")),
            data_plane=f.opt_text("data_plane"),
            statistics=f.opt_text("statistics"),
            lab=None if lab is None else LabNote.from_json(lab),
            review=None if review is None else ReviewNote.from_json(review),
        )


__all__ = [
    "Bound",
    "BulkStats",
    "ClassStats",
    "CostSummary",
    "FailoverResult",
    "Interval",
    "LatencyStats",
    "LinkStats",
    "ReviewNote",
    "SloVerdict",
    "Summary",
    "TrafficStats",
    "TransferTimes",
    "traffic_from_json",
]

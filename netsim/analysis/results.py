"""The typed ``summary.json`` (architecture section 6): :class:`Summary` and its parts.

:func:`netsim.analysis.summary.summarize` builds a :class:`Summary` from a Trace; the CLI,
the report, sweeps and checks read its attributes. ``Summary.to_json()`` is the one place
that writes the document (key order, rounding and nulls exactly as runs have always
written them: ``tests/analysis/test_summary_fixtures.py`` holds it to runs of the code
before these types), and ``Summary.from_json()`` reads a finished run back, old runs
included.

The parts: per traffic class a :class:`ClassStats` (request-response and one-way, with
:class:`LatencyStats`) or a :class:`BulkStats` (:mod:`netsim.analysis.traffic`); one
:class:`SloVerdict` per SLO (:mod:`netsim.analysis.verdicts`); one
:class:`FailoverResult` per failure (the control plane's
:class:`~netsim.trace.records.FailoverRecord` and what the data plane measured); one
:class:`LinkStats` per link; the :class:`CostSummary`; and the notes a lab run
(:class:`~netsim.trace.records.LabNote`), a design review (:class:`ReviewNote`) or pooled
replications (:class:`ReplicationNote`) add. Parts added since the first typed summary
(intervals' methods, verdicts, replications) are written only when present, so older
documents read back and write back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.traffic import (
    BulkStats,
    ClassStats,
    Interval,
    LatencyStats,
    TrafficStats,
    TransferTimes,
    traffic_from_json,
)
from netsim.analysis.verdicts import Bound, Settle, SloVerdict, Verdict, overall
from netsim.trace.fields import Fields
from netsim.trace.records import FailoverRecord, LabNote

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


@dataclass(frozen=True, slots=True)
class FailoverResult:
    """One failure: the control plane's record and the gap measured from the data plane.

    ``gap_s`` is the longest loss run of the affected flows starting at the failure
    (:mod:`netsim.analysis.failover`), ``lost`` the packets they lost in it, and
    ``model_gap_s`` the control plane's own failure-to-switch time (None: no switch).
    ``replication`` is set in pooled summaries: the index of the run it happened in.
    """

    record: FailoverRecord
    gap_s: float
    lost: int
    model_gap_s: float | None
    affected_flows: int
    replication: int | None = None

    def to_json(self) -> dict[str, object]:
        # summary.json has always left out the impaired links (trace.json has them).
        doc: dict[str, object] = {
            **self.record.times_json(),
            "gap_s": self.gap_s,
            "lost": self.lost,
            "model_gap_s": self.model_gap_s,
            "affected_flows": self.affected_flows,
        }
        if self.replication is not None:
            doc["replication"] = self.replication
        return doc

    @classmethod
    def from_json(cls, doc: object, links: tuple[str, ...] = ()) -> FailoverResult:
        f = Fields.of(doc)
        return cls(
            FailoverRecord.from_json(f, links),
            f.number("gap_s"),
            f.integer("lost"),
            f.opt_number("model_gap_s"),
            f.opt_integer("affected_flows") or 0,
            f.opt_integer("replication"),
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
    unpriced: tuple[str, ...] = ()  # links and nodes with no cost model, left out

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "monthly_usd": self.monthly_usd,
            "per_gb_usd": self.per_gb_usd,
            "total_monthly_usd": self.total_monthly_usd,
            "run_per_gb_usd": self.run_per_gb_usd,
        }
        if self.unpriced:  # written only when some element has no cost model
            doc["unpriced"] = list(self.unpriced)
        return doc

    @classmethod
    def from_json(cls, doc: object) -> CostSummary:
        f = Fields.of(doc)
        return cls(
            f.opt_number("monthly_usd"),
            f.opt_number("per_gb_usd"),
            f.opt_number("total_monthly_usd"),
            f.opt_number("run_per_gb_usd"),
            f.texts("unpriced"),
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
class ReplicationNote:
    """What ``netsim run --replications N`` pooled (:func:`netsim.analysis.pooled.pool`)."""

    count: int
    seeds: tuple[int, ...]

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "seeds": list(self.seeds)}

    @classmethod
    def from_json(cls, doc: object) -> ReplicationNote:
        f = Fields.of(doc)
        return cls(f.integer("count"), _integers(f, "seeds"))


@dataclass(frozen=True, slots=True)
class ConclusiveNote:
    """What ``netsim run --until-conclusive`` did: each step in words, and whether the
    verdict was settled (False: the cap came first)."""

    steps: tuple[str, ...]
    settled: bool

    def to_json(self) -> dict[str, object]:
        return {"steps": list(self.steps), "settled": self.settled}

    @classmethod
    def from_json(cls, doc: object) -> ConclusiveNote:
        f = Fields.of(doc)
        return cls(f.texts("steps"), f.flag("settled"))


def _integers(f: Fields, key: str) -> tuple[int, ...]:
    out = []
    for i, value in enumerate(f.items(key)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise f.fail(key, f"item {i}: expected an integer")
        out.append(value)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Summary:
    """``summary.json`` of one run, simulated or emulated; see the module docstring.

    ``data_plane`` and ``statistics`` are set by runs of the fast engine (which engine
    computed the packets, and whether the statistics come from every row or from
    sketches); ``lab`` by lab runs; ``review`` by runs of ``netsim review``;
    ``replications`` by pooled runs; ``until_conclusive`` by runs that went on until their
    verdict was settled. ``verdict`` is None only in documents older than verdicts.
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
    verdict: Verdict | None = None  # None: a document written before verdicts
    replications: ReplicationNote | None = None
    until_conclusive: ConclusiveNote | None = None

    @property
    def passed(self) -> bool:
        """Whether every SLO's point estimate meets its target (``"pass"``)."""
        return all(s.passed for s in self.slos)

    @property
    def judged(self) -> Verdict:
        """The run's three-way verdict (for older documents: from ``"pass"`` alone)."""
        if self.verdict is not None:
            return self.verdict
        return overall(
            s.verdict or (Verdict.HOLDS if s.passed else Verdict.FAILS) for s in self.slos
        )

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
                **({} if self.verdict is None else {"verdict": self.verdict.value}),
                "failovers": [f.to_json() for f in self.failovers],
                "links": {name: s.to_json() for name, s in self.links.items()},
                "cost": self.cost.to_json(),
            }
        )
        if self.lab is not None:
            doc["lab"] = self.lab.to_json()
        if self.review is not None:
            doc["review"] = self.review.to_json()
        if self.replications is not None:
            doc["replications"] = self.replications.to_json()
        if self.until_conclusive is not None:
            doc["until_conclusive"] = self.until_conclusive.to_json()
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
        reps, conclusive = f.opt_obj("replications"), f.opt_obj("until_conclusive")
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
            verdict=f.opt_member("verdict", Verdict),
            replications=None if reps is None else ReplicationNote.from_json(reps),
            until_conclusive=None if conclusive is None else ConclusiveNote.from_json(conclusive),
        )


__all__ = [
    "Bound",
    "BulkStats",
    "ClassStats",
    "ConclusiveNote",
    "CostSummary",
    "FailoverResult",
    "Interval",
    "LatencyStats",
    "LinkStats",
    "ReplicationNote",
    "ReviewNote",
    "Settle",
    "SloVerdict",
    "Summary",
    "TrafficStats",
    "TransferTimes",
    "Verdict",
    "traffic_from_json",
]

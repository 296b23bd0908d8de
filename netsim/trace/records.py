"""Typed records a Trace carries beside its events and rows: failovers, transfers, lab notes.

A :class:`FailoverRecord` is the control plane's account of one failure: when it started,
when it was detected (and how, :class:`~netsim.model.effects.DetectionMethod`), when
traffic switched to another path, when it was repaired and when the preferred path came
back. The simulator
(:mod:`netsim.sim.control`) and the lab (:mod:`netsim.lab.live.play`) build the same records;
:mod:`netsim.analysis.failover` adds what the data plane measured. A
:class:`TransferRecord` is one bulk transfer (:mod:`netsim.sim.bulk`), and a
:class:`LabNote` says what part of a scenario a lab run left out.

Each has one ``to_json`` (the form written in ``trace.json``, ``summary.json`` and the
report's numbers) and a ``from_json`` that reads it back.

Examples
--------
>>> from netsim.model.scenario import Failure, FailureMode, TargetKind
>>> f = Failure(TargetKind.LINK, "aws-mcr", 60.0, 30.0, FailureMode.LOSS, 0.05)
>>> rec = FailoverRecord.start(0, f, 60.0, ("aws-mcr",))
>>> rec.mode, rec.link_mode.label
('loss:0.05', 'loss')
>>> FailoverRecord.from_json(rec.to_json()) == rec
True
"""

from __future__ import annotations

from dataclasses import dataclass

from netsim.model.effects import DetectionMethod, LinkMode
from netsim.model.scenario import Failure, FailureMode, TargetKind
from netsim.trace.fields import Fields


def mode_label(failure: Failure) -> str:
    """How files and tables name a failure's mode: ``down``, ``blackhole``, ``loss:<p>``."""
    if failure.mode is FailureMode.LOSS:
        return f"loss:{failure.loss:g}"
    return str(failure.mode.value)


@dataclass(frozen=True, slots=True)
class FailoverRecord:
    """One failure as the control plane saw it; times are seconds since the run started.

    ``links`` are the model links the failure impaired (VPNs over a failed underlay
    included); ``None`` times did not happen within the run.
    """

    id: int
    subject: str  # the failed link, node or group
    target: TargetKind
    mode: str  # :func:`mode_label`, e.g. "blackhole", "loss:0.05"
    failed_at_s: float
    links: tuple[str, ...] = ()
    detected_at_s: float | None = None
    switched_at_s: float | None = None  # traffic moved to another path (or the last did)
    repaired_at_s: float | None = None
    restored_at_s: float | None = None  # the preferred path was used again
    detection: DetectionMethod | None = None

    @classmethod
    def start(
        cls, index: int, failure: Failure, at: float, links: tuple[str, ...]
    ) -> FailoverRecord:
        """The record of failure number ``index`` as it starts at ``at``."""
        return cls(index, failure.name, failure.target, mode_label(failure), at, links)

    @property
    def link_mode(self) -> LinkMode:
        """The state the failure puts its links in (``loss:p`` is :attr:`LinkMode.LOSS`)."""
        return LinkMode.parse(self.mode)

    def times_json(self) -> dict[str, object]:
        """Every member but ``links``, in file order (``summary.json`` leaves links out)."""
        return {
            "id": self.id,
            "subject": self.subject,
            "target": self.target.value,
            "mode": self.mode,
            "failed_at_s": self.failed_at_s,
            "detected_at_s": self.detected_at_s,
            "switched_at_s": self.switched_at_s,
            "repaired_at_s": self.repaired_at_s,
            "restored_at_s": self.restored_at_s,
            "detection": None if self.detection is None else self.detection.value,
        }

    def to_json(self) -> dict[str, object]:
        doc = self.times_json()
        detection = doc.pop("detection")
        return {**doc, "links": list(self.links), "detection": detection}

    @classmethod
    def from_json(cls, doc: object, links: tuple[str, ...] | None = None) -> FailoverRecord:
        """Read a record (``links`` given: for documents that leave them out)."""
        f = Fields.of(doc)
        return cls(
            f.integer("id"),
            f.text("subject"),
            f.member("target", TargetKind),
            f.text("mode"),
            f.number("failed_at_s"),
            f.texts("links") if links is None else links,
            f.opt_number("detected_at_s"),
            f.opt_number("switched_at_s"),
            f.opt_number("repaired_at_s"),
            f.opt_number("restored_at_s"),
            f.opt_member("detection", DetectionMethod),
        )


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One bulk transfer: what it had to move and what it moved before it ended.

    ``finish_s`` and ``duration_s`` are None for a transfer still running at the end.
    """

    traffic_class: str
    src: str
    dst: str
    start_s: float
    size: float  # bytes to move (a stream: the bytes it moved)
    delivered_bytes: float
    finish_s: float | None
    duration_s: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "class": self.traffic_class,
            "src": self.src,
            "dst": self.dst,
            "start_s": self.start_s,
            "bytes": self.size,
            "delivered_bytes": self.delivered_bytes,
            "finish_s": self.finish_s,
            "duration_s": self.duration_s,
        }

    @classmethod
    def from_json(cls, doc: object) -> TransferRecord:
        f = Fields.of(doc)
        return cls(
            f.text("class"),
            f.text("src"),
            f.text("dst"),
            f.number("start_s"),
            f.number("bytes"),
            f.number("delivered_bytes"),
            f.opt_number("finish_s"),
            f.opt_number("duration_s"),
        )


@dataclass(frozen=True, slots=True)
class LabNote:
    """What a lab run left out of its scenario, and how it differs from the model.

    ``rate_scale`` is the fraction of the model's rates the lab's links and bulk transfers
    ran at (throughput is reported at model scale); ``notes`` are sentences for the reader
    (a capped rate, a scaled run).
    """

    not_emulated: tuple[str, ...]  # traffic classes
    slos_skipped: tuple[str, ...]
    random_failures_skipped: bool
    deploy_s: float | None = None  # seconds the deploy took
    rate_scale: float = 1.0
    notes: tuple[str, ...] = ()
    #: (start, end) seconds after the run's start in which the host did not run the lab's
    #: processes (:mod:`netsim.lab.host.stalls`); packets in flight then carry the stall
    host_stalls: tuple[tuple[float, float], ...] = ()

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "not_emulated": list(self.not_emulated),
            "slos_skipped": list(self.slos_skipped),
            "random_failures_skipped": self.random_failures_skipped,
        }
        if self.deploy_s is not None:
            doc["deploy_s"] = self.deploy_s
        if self.rate_scale != 1.0:
            doc["rate_scale"] = self.rate_scale
        if self.notes:
            doc["notes"] = list(self.notes)
        if self.host_stalls:
            doc["host_stalls"] = [[round(a, 6), round(b, 6)] for a, b in self.host_stalls]
        return doc

    @classmethod
    def from_json(cls, doc: object) -> LabNote:
        f = Fields.of(doc)
        scale = f.opt_number("rate_scale")
        return cls(
            f.texts("not_emulated"),
            f.texts("slos_skipped"),
            f.flag("random_failures_skipped"),
            f.opt_number("deploy_s"),
            1.0 if scale is None else scale,
            f.texts("notes") if "notes" in f else (),
            tuple(_stall(f, i, item) for i, item in enumerate(f.items("host_stalls"))),
        )


def _stall(f: Fields, i: int, item: object) -> tuple[float, float]:
    """Item ``i`` of ``host_stalls``: a [start, end] pair of numbers."""
    start, end = Fields.of({"stall": item}).interval("stall")
    if start is None or end is None:
        raise f.fail("host_stalls", f"item {i}: expected [start, end]")
    return float(start), float(end)


__all__ = ["FailoverRecord", "LabNote", "TransferRecord", "mode_label"]

"""The Trace: the only output of an engine, simulated or emulated.

A :class:`Trace` holds the control-plane timeline as :class:`TraceEvent` records
(``failure``, ``detected``, ``switched``, ``repaired``, ``restored``, ...) with one typed
:class:`~netsim.trace.records.FailoverRecord` per failure, and the data plane as columnar
numpy tables (:class:`Columns`): one row per *attempt* (a request, its retries, or a
one-way datagram), plus one :class:`~netsim.trace.records.TransferRecord` per bulk
transfer and per-link byte counters. Analysis
(:mod:`netsim.analysis`) and reports are pure functions of a Trace, so the simulator and the
lab are compared by the same code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from netsim.trace.records import FailoverRecord, LabNote, TransferRecord

# Attempt status codes.
OK, LOST, LATE = 0, 1, 2
# Loss reasons (index into REASONS).
REASONS = ("", "link_down", "blackhole", "loss", "buffer", "no_route", "timeout", "node_down")
R_NONE, R_DOWN, R_BLACKHOLE, R_LOSS, R_BUFFER, R_NO_ROUTE, R_TIMEOUT, R_NODE = range(8)

ATTEMPT_COLUMNS: dict[str, type] = {
    "cls": np.int16,  # index into Trace.classes
    "dst": np.int16,  # index into Trace.nodes
    "req": np.int64,  # request id (one-way: datagram id)
    "attempt": np.int8,  # 0 = first try
    "t_send": np.float64,  # s since start
    "t_done": np.float64,  # response (or datagram) received; NaN if lost
    "status": np.int8,  # OK / LOST / LATE (arrived after the per-try timeout)
    "reason": np.int8,  # index into REASONS
    "path": np.int16,  # index into Trace.paths; -1 no route
    "bytes": np.float64,  # bytes on the wire (request + response)
}


@dataclass(frozen=True, slots=True)
class TraceEvent:
    time: float
    kind: str
    subject: str
    # Event attributes differ per kind and are written to timeline.jsonl as they are.
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "time": round(self.time, 9),
            "kind": self.kind,
            "subject": self.subject,
            **self.attrs,
        }


class Columns:
    """An append-only columnar table: numpy arrays grown in chunks, never Python row objects."""

    def __init__(self, schema: dict[str, type], capacity: int = 1024) -> None:
        self.schema = schema
        self.n = 0
        self._cols: dict[str, np.ndarray] = {
            name: np.empty(capacity, dtype=dt) for name, dt in schema.items()
        }

    def _grow(self, need: int) -> None:
        size = max(need, 2 * len(next(iter(self._cols.values()))))
        for name, col in self._cols.items():
            new = np.empty(size, dtype=col.dtype)
            new[: self.n] = col[: self.n]
            self._cols[name] = new

    def append(self, **row: Any) -> int:
        if self.n >= len(next(iter(self._cols.values()))):
            self._grow(self.n + 1)
        i = self.n
        for name, col in self._cols.items():
            col[i] = row[name]
        self.n += 1
        return i

    def extend(self, **cols: np.ndarray) -> None:
        k = len(next(iter(cols.values())))
        if self.n + k > len(next(iter(self._cols.values()))):
            self._grow(self.n + k)
        for name, col in self._cols.items():
            col[self.n : self.n + k] = cols[name]
        self.n += k

    def set(self, i: int, name: str, value: Any) -> None:
        self._cols[name][i] = value

    def get(self, i: int, name: str) -> Any:
        return self._cols[name][i]

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name][: self.n]

    def __len__(self) -> int:
        return self.n

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: self[name] for name in self.schema}

    @staticmethod
    def from_arrays(schema: dict[str, type], arrays: dict[str, np.ndarray]) -> Columns:
        n = len(next(iter(arrays.values()))) if arrays else 0
        cols = Columns(schema, max(n, 1))
        if n:
            cols.extend(**{k: np.asarray(arrays[k], dtype=schema[k]) for k in schema})
        return cols


@dataclass
class Trace:
    """Everything one run produced; see the module docstring."""

    scenario: str
    engine: str  # "sim" or "lab"
    seed: int
    duration: float
    warmup: float
    classes: list[str]  # traffic class names, indexed by attempts["cls"]
    nodes: list[str]  # node names, indexed by attempts["dst"]
    paths: list[tuple[str, ...]]  # link names per path id
    attempts: Columns = field(default_factory=lambda: Columns(ATTEMPT_COLUMNS))
    events: list[TraceEvent] = field(default_factory=list)
    transfers: list[TransferRecord] = field(default_factory=list)
    failovers: list[FailoverRecord] = field(default_factory=list)
    lab: LabNote | None = None  # lab runs: what the lab left out
    link_bytes: dict[str, float] = field(default_factory=dict)
    link_series: dict[str, np.ndarray] = field(default_factory=dict)  # bytes per bin
    bin_s: float = 1.0
    wall_s: float = 0.0
    # Engine notes (data plane used, row policy, sketches, ...): a JSON document kept and
    # written to trace.json as it is; readers look up the few keys they know.
    meta: dict[str, Any] = field(default_factory=dict)

    def emit(self, time: float, kind: str, subject: str, **attrs: Any) -> None:
        self.events.append(TraceEvent(time, kind, subject, attrs))

    def events_of(self, kind: str) -> list[TraceEvent]:
        return [e for e in self.events if e.kind == kind]

    def timeline_jsonl(self) -> str:
        return "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in self.events)

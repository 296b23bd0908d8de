"""Writing and reading run directories, atomically.

A run directory holds ``summary.json`` (the contract of section 6), ``attempts.parquet``
(one row per attempt, columnar), ``timeline.jsonl`` (the control-plane events) and
``trace.json`` (what else is needed to rebuild the :class:`~netsim.trace.core.Trace`).
Every file is written to a temporary name and renamed into place; ``summary.json`` comes
last, so a directory with a summary is complete.

The Trace's typed records go to ``trace.json`` where runs have always kept them (failover
records under ``meta["failovers"]``, the lab's note under ``meta["lab"]``), so run
directories written before the records were typed still load, and new ones load in older
code.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from netsim.errors import InputError, ModelError
from netsim.trace.core import ATTEMPT_COLUMNS, Columns, Trace, TraceEvent
from netsim.trace.fields import Fields
from netsim.trace.records import FailoverRecord, LabNote, TransferRecord


class Document(Protocol):
    """A typed result that writes itself as one JSON document (e.g. a summary)."""

    def to_json(self) -> dict[str, object]: ...


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(doc: Any) -> bytes:
    return (json.dumps(_clean(doc), indent=2, sort_keys=False) + "\n").encode()


def trace_json(trace: Trace) -> dict[str, object]:
    """What ``trace.json`` holds: everything of the Trace but the attempts and events."""
    meta: dict[str, object] = {"failovers": [r.to_json() for r in trace.failovers]}
    meta.update(trace.meta)
    if trace.lab is not None:
        meta["lab"] = trace.lab.to_json()
    return {
        "scenario": trace.scenario,
        "engine": trace.engine,
        "seed": trace.seed,
        "duration": trace.duration,
        "warmup": trace.warmup,
        "classes": trace.classes,
        "nodes": trace.nodes,
        "paths": [list(p) for p in trace.paths],
        "transfers": [t.to_json() for t in trace.transfers],
        "link_bytes": trace.link_bytes,
        "link_series": {k: v.tolist() for k, v in trace.link_series.items()},
        "bin_s": trace.bin_s,
        "wall_s": trace.wall_s,
        "meta": meta,
    }


def write_run(out: Path, trace: Trace, summary: Document) -> None:
    """Write a complete run directory (summary last)."""
    out.mkdir(parents=True, exist_ok=True)
    table = pa.table({name: trace.attempts[name] for name in ATTEMPT_COLUMNS})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write(out / "attempts.parquet", sink.getvalue().to_pybytes())
    atomic_write(out / "timeline.jsonl", trace.timeline_jsonl().encode())
    atomic_write(out / "trace.json", dumps(trace_json(trace)))
    atomic_write(out / "summary.json", dumps(summary.to_json()))


def load_summary(run_dir: Path) -> dict[str, Any]:  # parsed JSON: Summary.from_json types it
    """The parsed ``summary.json`` of a finished run directory (see
    :meth:`netsim.analysis.results.Summary.from_json`)."""
    path = Path(run_dir) / "summary.json"
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise InputError(
            [ModelError(str(path), 0, "", "no summary.json: not a finished run directory")]
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError([ModelError(str(path), exc.lineno, "", f"not JSON: {exc.msg}")]) from None


def load_trace(run_dir: Path) -> Trace:
    """Rebuild the Trace of a finished run directory."""
    run_dir = Path(run_dir)
    load_summary(run_dir)
    source = str(run_dir / "trace.json")
    meta = json.loads((run_dir / "trace.json").read_text())
    notes = dict(meta["meta"])
    failovers = [
        FailoverRecord.from_json(Fields.of(r, source)) for r in notes.pop("failovers", None) or []
    ]
    lab = LabNote.from_json(Fields.of(notes.pop("lab"), source)) if "lab" in notes else None
    table = pq.read_table(run_dir / "attempts.parquet")
    attempts = Columns.from_arrays(
        ATTEMPT_COLUMNS, {k: table.column(k).to_numpy() for k in ATTEMPT_COLUMNS}
    )
    events = []
    for line in (run_dir / "timeline.jsonl").read_text().splitlines():
        row = json.loads(line)
        events.append(TraceEvent(row.pop("time"), row.pop("kind"), row.pop("subject"), row))
    return Trace(
        scenario=meta["scenario"],
        engine=meta["engine"],
        seed=meta["seed"],
        duration=meta["duration"],
        warmup=meta["warmup"],
        classes=meta["classes"],
        nodes=meta["nodes"],
        paths=[tuple(p) for p in meta["paths"]],
        attempts=attempts,
        events=events,
        transfers=[TransferRecord.from_json(Fields.of(t, source)) for t in meta["transfers"]],
        failovers=failovers,
        lab=lab,
        link_bytes=meta["link_bytes"],
        link_series={k: np.asarray(v) for k, v in meta["link_series"].items()},
        bin_s=meta["bin_s"],
        wall_s=meta["wall_s"],
        meta=notes,
    )

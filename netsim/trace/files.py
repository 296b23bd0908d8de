"""Writing and reading run directories, atomically.

A run directory holds ``summary.json`` (the contract of section 6), ``attempts.parquet``
(one row per attempt, columnar: all of them, those around failures, or, with
``--records none``, no file; :mod:`netsim.trace.rows`), ``timeline.jsonl`` (the
control-plane events) and ``trace.json`` (what else is needed to rebuild the
:class:`~netsim.trace.core.Trace`, written compact). Every file is written to a temporary
name and renamed into place; ``summary.json`` comes last, so a directory with a summary is
complete.

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

from netsim.errors import InputError, ModelError
from netsim.trace.core import ATTEMPT_COLUMNS, Columns, Trace, TraceEvent
from netsim.trace.fields import Fields
from netsim.trace.records import FailoverRecord, LabNote, TransferRecord
from netsim.trace.rows import failure_spans, failure_windows, in_spans


class Document(Protocol):
    """A typed result that writes itself as one JSON document (e.g. a summary)."""

    def to_json(self) -> dict[str, object]: ...


def _clean(value: Any) -> Any:
    """JSON-ready: non-finite floats become null, numpy arrays lists (vectorised)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def _array(value: np.ndarray) -> Any:
    """A numpy array as lists, non-finite floats as null, without a loop per element."""
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        out = value.astype(object)
        out[~np.isfinite(value)] = None
        return out.tolist()
    return value.tolist()


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
    """What ``trace.json`` holds: everything of the Trace but the attempts and events, as
    plain JSON values (the big numeric arrays converted by numpy, not element by element)."""
    meta: dict[str, object] = {"failovers": [r.to_json() for r in trace.failovers]}
    meta.update(trace.meta)
    if trace.lab is not None:
        meta["lab"] = trace.lab.to_json()
    doc: dict[str, object] = _clean(
        {
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
            "link_series": dict(trace.link_series),
            "bin_s": trace.bin_s,
            "wall_s": trace.wall_s,
            "meta": meta,
        }
    )
    return doc


def rows_to_write(trace: Trace) -> dict[str, np.ndarray] | None:
    """The attempt rows ``attempts.parquet`` gets, as ``trace.meta["rows"]`` says: all the
    trace holds, those around its failures, or None (:mod:`netsim.trace.rows`)."""
    policy = trace.meta.get("rows", "all")
    if policy == "none":
        return None
    cols = {name: trace.attempts[name] for name in ATTEMPT_COLUMNS}
    if policy == "failures":  # the rows a long run kept already are exactly these
        spans = failure_spans(failure_windows(trace.failovers, trace.duration))
        keep = in_spans(cols["t_send"], spans)
        if not keep.all():
            cols = {name: col[keep] for name, col in cols.items()}
    return cols


def write_run(out: Path, trace: Trace, summary: Document) -> None:
    """Write a complete run directory (summary last); the rows as ``trace.meta["rows"]``
    says (:func:`rows_to_write`)."""
    out.mkdir(parents=True, exist_ok=True)
    cols = rows_to_write(trace)
    parquet = out / "attempts.parquet"
    if cols is None:
        parquet.unlink(missing_ok=True)  # a rerun into the same directory: no stale rows
    else:
        import pyarrow as pa  # ~0.2 s: only runs that write rows pay for it
        import pyarrow.parquet as pq

        sink = pa.BufferOutputStream()
        pq.write_table(pa.table(cols), sink, compression="zstd")
        atomic_write(parquet, sink.getvalue().to_pybytes())
    atomic_write(out / "timeline.jsonl", trace.timeline_jsonl().encode())
    # compact: Python's C encoder (an indented dump is pure Python, and slow on big lists)
    atomic_write(out / "trace.json", (json.dumps(trace_json(trace)) + "\n").encode())
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
    attempts = Columns(ATTEMPT_COLUMNS)
    if (run_dir / "attempts.parquet").is_file() or notes.get("rows") != "none":
        import pyarrow.parquet as pq

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

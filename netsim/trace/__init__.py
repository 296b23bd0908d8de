"""The Trace: what both engines write and the analysis reads.

:mod:`~netsim.trace.core` holds the :class:`Trace` (control-plane events and columnar
per-attempt rows), :mod:`~netsim.trace.records` its typed failover and transfer records,
:mod:`~netsim.trace.sketch` the mergeable latency sketches of long runs,
and :mod:`~netsim.trace.files` the run directory on disk (written atomically, read back
through the checked JSON reader of :mod:`~netsim.trace.fields`).
The simulator (:mod:`netsim.sim`) and the lab (:mod:`netsim.lab`) import from here; nothing
here imports them.
"""

from __future__ import annotations

from netsim.trace.core import Columns, Trace, TraceEvent
from netsim.trace.records import FailoverRecord, LabNote, TransferRecord

__all__ = ["Columns", "FailoverRecord", "LabNote", "Trace", "TraceEvent", "TransferRecord"]

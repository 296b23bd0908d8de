"""What a lab run measured, as the Trace the simulator would have written.

One attempt row per probe datagram and per request attempt (its path is the lab's
forwarding path when it was sent, from the path snapshots, mapped to model link names), one
:class:`~netsim.trace.records.TransferRecord` per bulk transfer, and the failure and repair
events. A row lost while a failure was in force carries that failure's reason, as the
simulator's rows do; a request that got no answer otherwise is a timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from netsim.model.effects import LinkMode, failure_effects
from netsim.model.scenario import FailureMode
from netsim.trace.core import (
    LOST,
    OK,
    R_BLACKHOLE,
    R_DOWN,
    R_LOSS,
    R_NO_ROUTE,
    R_NONE,
    R_TIMEOUT,
    Trace,
    TraceEvent,
)
from netsim.trace.records import TransferRecord

if TYPE_CHECKING:
    from netsim.lab.live.probes import ProbeResult
    from netsim.lab.live.traffic import RequestResult, TransferResult
    from netsim.model.scenario import Failure, Scenario
    from netsim.model.topology import Topology

IN_FLIGHT_S = 0.1  # a packet sent this long before a failure can still be lost to it
#: (seconds since the start, {(host, host): the model links of its path}) when sampled
Snapshot = tuple[float, dict[tuple[str, str], tuple[str, ...]]]
ProbeStream = tuple[int, str, str, float, int]  # class index, src, dst, rate, size
_REASON = {FailureMode.DOWN: R_DOWN, FailureMode.BLACKHOLE: R_BLACKHOLE, FailureMode.LOSS: R_LOSS}


def failed_links(topology: Topology, failure: Failure) -> list[str]:
    """Model links a failure impairs, with the VPNs that ride over them."""
    return sorted(
        failure_effects(topology, failure.target, failure.name, LinkMode.of(failure.mode))
    )


def model_path(topology: Topology, nodes: tuple[str, ...], via: tuple[str, ...]) -> tuple[str, ...]:
    """A lab forwarding path as model link names (host links dropped, tunnels named)."""
    out = []
    for i, hop in enumerate(via):
        if hop.startswith("vpn"):
            ends = {nodes[i], nodes[i + 1]}
            out += [
                lk.name
                for lk in topology.links
                if lk.kind.value == "vpn" and set(lk.endpoints) == ends
            ][:1]
        elif any(lk.name == hop for lk in topology.links):
            out.append(hop)
    return tuple(out)


class _Rows:
    """Fills a Trace's attempt rows, labelling paths and loss reasons the same way for all."""

    def __init__(
        self, trace: Trace, scenario: Scenario, snapshots: list[Snapshot], events: list[TraceEvent]
    ) -> None:
        self.trace = trace
        self.scenario = scenario
        self.snapshots = snapshots
        self.failures = [e for e in events if e.kind == "failure"]

    def paths(self, src: str, dst: str, t_send: np.ndarray) -> np.ndarray:
        ids = np.full(len(t_send), -1, dtype=np.int16)
        paths = self.trace.paths
        for at, table in self.snapshots:
            path = table.get((f"host-{src}", f"host-{dst}"))
            if path is not None:
                if path not in paths:
                    paths.append(path)
                ids[t_send >= at] = paths.index(path)
        return ids

    def reasons(self, lost: np.ndarray, t_send: np.ndarray, otherwise: int) -> np.ndarray:
        reason = np.where(lost, otherwise, R_NONE).astype(np.int8)
        for event in self.failures:
            failure = self.scenario.failures[event.attrs["id"]]
            end = event.time + (failure.duration or self.scenario.duration)
            window = lost & (t_send >= event.time - IN_FLIGHT_S) & (t_send < end)
            reason[window] = _REASON[failure.mode]
        return reason

    def add(
        self, ci: int, src: str, dst: str, columns: dict[str, np.ndarray], otherwise: int
    ) -> None:
        t_send = columns["t_send"]
        keep = (t_send >= 0) & (t_send < self.scenario.duration)
        lost = np.isnan(columns["t_done"])
        n = len(t_send)
        full = {
            "cls": np.full(n, ci),
            "dst": np.full(n, self.trace.nodes.index(dst)),
            "status": np.where(lost, LOST, OK),
            "reason": self.reasons(lost, t_send, otherwise),
            "path": self.paths(src, dst, t_send),
            **columns,
        }
        self.trace.attempts.extend(**{k: v[keep] for k, v in full.items()})


def lab_trace(
    scenario: Scenario,
    seed: int,
    *,
    t0: float,
    probes: list[tuple[ProbeStream, ProbeResult]],
    requests: list[RequestResult],
    transfers: list[TransferResult],
    snapshots: list[Snapshot],
    events: list[TraceEvent],
) -> Trace:
    """The Trace of a lab run (times relative to ``t0``, the moment traffic started)."""
    trace = Trace(
        scenario.name,
        "lab",
        seed,
        scenario.duration,
        scenario.warmup,
        [c.name for c in scenario.traffic],
        list(scenario.topology.node_names),
        [],
    )
    rows = _Rows(trace, scenario, snapshots, events)
    for (ci, src, dst, _, size), result in probes:
        n = len(result.t_send)
        columns = {
            "req": result.seq,
            "attempt": np.zeros(n),
            "t_send": result.t_send - t0,
            "t_done": result.t_recv - t0,
            "bytes": np.full(n, float(size)),
        }
        rows.add(ci, src, dst, columns, R_NO_ROUTE)
    for got in requests:
        s = got.stream
        sizes = s.request + s.response
        columns = {
            "req": got.req,
            "attempt": got.attempt,
            "t_send": got.t_send - t0,
            "t_done": got.t_done - t0,
            "bytes": sizes[got.req].astype(float),
        }
        rows.add(s.class_index, s.cls.src, s.dst, columns, R_TIMEOUT)
    for t in transfers:
        start = t.start - t0
        finish = None if t.finish is None else t.finish - t0
        trace.transfers.append(
            TransferRecord(
                t.plan.cls.name,
                t.plan.cls.src,
                t.plan.dst,
                round(start, 6),
                t.plan.size if np.isfinite(t.plan.size) else t.delivered,
                t.delivered,
                None if finish is None else round(finish, 6),
                None if finish is None else round(finish - start, 6),
            )
        )
    trace.events.extend(sorted(events, key=lambda e: e.time))
    return trace

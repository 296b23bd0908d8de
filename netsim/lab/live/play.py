"""``netsim lab run``: a scenario played in real time on a deployed lab, as a Trace.

The scenario's topology is exported (:func:`~netsim.lab.clab.plan.plan_lab`,
:func:`~netsim.lab.clab.render.render_lab`) into ``<out>/lab/`` and deployed; its ``one-way``
traffic classes become probe streams between the cloud hosts and its scripted failures are
injected at their times and restored after their durations. The result is a
:class:`~netsim.trace.core.Trace` with ``engine="lab"``: one attempt row per datagram (its
path is the lab's forwarding path, sampled every second and just before every failure, and
mapped to model link names) and the same ``failure``/``repair`` events and failover records
as the simulator writes, so :func:`netsim.analysis.summary.summarize` judges both alike.

What the lab cannot play is left out of the summary and named in the Trace's ``lab`` note
(:class:`~netsim.trace.records.LabNote`): request-response and bulk classes, random
failures, and probe rates above ``MAX_PROBE_RATE`` (capped).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from netsim.lab.clab.plan import plan_lab
from netsim.lab.clab.render import render_lab, write_files
from netsim.lab.host import linux
from netsim.lab.live.lab import Lab
from netsim.lab.live.status import host_paths
from netsim.model.effects import LinkMode, failure_effects
from netsim.model.scenario import FailureMode, TargetKind, TrafficKind
from netsim.trace.core import (
    LOST,
    OK,
    R_BLACKHOLE,
    R_DOWN,
    R_LOSS,
    R_NO_ROUTE,
    R_NONE,
    Trace,
    TraceEvent,
)
from netsim.trace.records import FailoverRecord, LabNote, mode_label

if TYPE_CHECKING:
    from netsim.lab.live.faults import Change
    from netsim.lab.live.probes import ProbeResult
    from netsim.model.scenario import Failure, Scenario
    from netsim.model.topology import Topology

MAX_PROBE_RATE = 1000.0  # datagrams per second per stream
SNAPSHOT_LEAD_S = 1.0  # paths are sampled this long before each failure
IN_FLIGHT_S = 0.1  # a datagram sent this long before a failure can still be lost to it
#: (seconds since the start, {(host, host): the model links of its path}) when sampled
Snapshot = tuple[float, dict[tuple[str, str], tuple[str, ...]]]
_REASON = {FailureMode.DOWN: R_DOWN, FailureMode.BLACKHOLE: R_BLACKHOLE, FailureMode.LOSS: R_LOSS}


def playable(scenario: Scenario) -> tuple[Scenario, LabNote]:
    """The part of ``scenario`` the lab can play, and a note of what it leaves out."""
    kept = tuple(c for c in scenario.traffic if c.kind is TrafficKind.ONE_WAY)
    names = {c.name for c in kept}
    slos = tuple(s for s in scenario.slos if s.traffic_class is None or s.traffic_class in names)
    note = LabNote(
        tuple(c.name for c in scenario.traffic if c.name not in names),
        tuple(s.name for s in scenario.slos if s not in slos),
        scenario.random_failures,
    )
    return dataclasses.replace(scenario, traffic=kept, slos=slos, random_failures=False), note


def failed_links(topology: Topology, failure: Failure) -> list[str]:
    """Model links a failure impairs, with the VPNs that ride over them."""
    return sorted(
        failure_effects(topology, failure.target, failure.name, LinkMode.of(failure.mode))
    )


def _inject(lab: Lab, topology: Topology, failure: Failure) -> list[Change]:
    """Apply one scripted failure; every member of a group fails at the same moment."""
    mode = mode_label(failure)
    if failure.target is TargetKind.LINK:
        return lab.fail([(failure.name, mode)])
    if failure.target is TargetKind.NODE:
        return lab.fail([(failure.name, "down")])
    group = topology.group(failure.name)
    return lab.fail(
        [(link, mode) for link in group.links] + [(node, "down") for node in group.nodes]
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


def run_live(scenario: Scenario, out: Path, seed: int | None = None) -> Trace:
    """Deploy the scenario's topology, play the scenario in real time, return the Trace.

    ``scenario`` should be what :func:`playable` returns; anything else in it is ignored.
    """
    scenario, note = playable(scenario)
    topology = scenario.topology
    seed = scenario.seed if seed is None else seed
    plan = plan_lab(topology)
    write_files(render_lab(plan, source=Path(topology.source).name), out / "lab")
    started = time.monotonic()
    linux.nftables_library()  # loaded now, so the first failure takes effect at once
    with Lab(out / "lab" / f"{plan.name}.clab.yml", seed=seed) as lab:
        note = dataclasses.replace(note, deploy_s=round(lab.deploy_seconds, 3))
        streams = _streams(scenario)
        runs = [
            lab.start_probe(
                f"host-{src}",
                f"host-{dst}",
                rate=rate,
                duration=scenario.duration,
                size=size,
                hold=True,
            )
            for _, src, dst, rate, size in streams
        ]
        t0 = time.time() + 0.05  # senders send their first datagram 50 ms after go
        for run in runs:
            run.go()
        sampler = PathSampler(lab, topology, t0)
        sampler.start()
        try:
            snapshots, records, events = _play(lab, scenario, t0)
        finally:
            sampler.stop()
        snapshots = sorted(snapshots + sampler.snapshots, key=lambda s: s[0])
        results = [run.wait() for run in runs]
    trace = _trace(scenario, seed, streams, results, t0=t0, snapshots=snapshots, events=events)
    trace.failovers = records
    trace.lab = note
    trace.wall_s = time.monotonic() - started
    return trace


class PathSampler(threading.Thread):
    """Samples the lab's forwarding paths every ``SAMPLE_S`` while a scenario plays, so that
    each probe can be labelled with the path in force when it was sent (to within one
    sampling period)."""

    SAMPLE_S = 1.0

    def __init__(self, lab: Lab, topology: Topology, t0: float) -> None:
        super().__init__(name="netsim-path-sampler", daemon=True)
        self.lab, self.topology, self.t0 = lab, topology, t0
        self.snapshots: list[Snapshot] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.SAMPLE_S):
            at = time.time() - self.t0
            paths = {
                (p.src, p.dst): model_path(self.topology, p.nodes, p.via)
                for p in host_paths(self.lab.topology)
            }
            self.snapshots.append((at, paths))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _streams(scenario: Scenario) -> list[tuple[int, str, str, float, int]]:
    """(class index, src, dst, rate, size) of every probe stream."""
    out = []
    for ci, cls in enumerate(scenario.traffic):
        for dst in cls.dsts:
            rate = min(cls.rate / len(cls.dsts), MAX_PROBE_RATE)
            out.append((ci, cls.src, dst, rate, max(64, round(cls.size.mean()))))
    return out


def _sleep_until(t: float) -> None:
    while (left := t - time.time()) > 0:
        time.sleep(min(left, 0.05))


def _play(
    lab: Lab, scenario: Scenario, t0: float
) -> tuple[list[Snapshot], list[FailoverRecord], list[TraceEvent]]:
    """Inject and repair every scripted failure on time; sample paths before each one."""
    topology = scenario.topology
    snapshots: list[Snapshot] = []
    records: dict[int, FailoverRecord] = {}  # by failure number, replaced on repair
    events: list[TraceEvent] = []
    actions: list[tuple[float, int, str, int]] = [(0.0, 0, "snapshot", -1)]
    for i, failure in enumerate(scenario.failures):
        actions.append((max(failure.at - SNAPSHOT_LEAD_S, 0.0), 1, "snapshot", i))
        actions.append((failure.at, 2, "fail", i))
        if failure.duration is not None:
            actions.append((failure.at + failure.duration, 3, "repair", i))
    changes: dict[int, list[Change]] = {}
    for at, _, action, i in sorted(actions):
        if at > scenario.duration:
            continue
        _sleep_until(t0 + at)
        if action == "snapshot":
            paths = {
                (p.src, p.dst): model_path(topology, p.nodes, p.via) for p in lab.status().paths
            }
            snapshots.append((time.time() - t0, paths))
        elif action == "fail":
            failure = scenario.failures[i]
            changes[i] = _inject(lab, topology, failure)
            now = changes[i][0].at - t0
            links = failed_links(topology, failure)
            events.append(
                TraceEvent(
                    now,
                    "failure",
                    failure.name,
                    {
                        "id": i,
                        "target": failure.target.value,
                        "mode": failure.mode.value,
                        "loss": failure.loss,
                        "duration": failure.duration,
                        "links": links,
                    },
                )
            )
            # The lab sees failures and repairs, not the routers' detection or switch:
            # those times stay None (the data plane gives the gap).
            records[i] = FailoverRecord.start(i, failure, now, tuple(links))
        else:
            lab.restore(changes.pop(i))
            now = time.time() - t0
            events.append(TraceEvent(now, "repair", scenario.failures[i].name, {"id": i}))
            records[i] = dataclasses.replace(records[i], repaired_at_s=now)
    _sleep_until(t0 + scenario.duration)
    for i in sorted(changes):
        lab.restore(changes[i])
    return snapshots, list(records.values()), events


def _trace(
    scenario: Scenario,
    seed: int,
    streams: list[tuple[int, str, str, float, int]],
    results: list[ProbeResult],
    *,
    t0: float,
    snapshots: list[Snapshot],
    events: list[TraceEvent],
) -> Trace:
    nodes = list(scenario.topology.node_names)
    paths: list[tuple[str, ...]] = []
    trace = Trace(
        scenario.name,
        "lab",
        seed,
        scenario.duration,
        scenario.warmup,
        [c.name for c in scenario.traffic],
        nodes,
        paths,
    )
    for (ci, src, dst, _, size), result in zip(streams, results, strict=True):
        t_send = result.t_send - t0
        keep = (t_send >= 0) & (t_send < scenario.duration)
        path_ids = np.full(len(t_send), -1, dtype=np.int16)
        for at, table in snapshots:
            path = table.get((f"host-{src}", f"host-{dst}"))
            if path is not None:
                if path not in paths:
                    paths.append(path)
                path_ids[t_send >= at] = paths.index(path)
        lost = result.lost
        reason = np.where(lost, R_NO_ROUTE, R_NONE).astype(np.int8)
        for event in events:
            if event.kind == "failure":
                failure = scenario.failures[event.attrs["id"]]
                end = event.time + (failure.duration or scenario.duration)
                window = lost & (t_send >= event.time - IN_FLIGHT_S) & (t_send < end)
                reason[window] = _REASON[failure.mode]
        trace.attempts.extend(
            **{
                k: v[keep]
                for k, v in {
                    "cls": np.full(len(t_send), ci),
                    "dst": np.full(len(t_send), nodes.index(dst)),
                    "req": result.seq,
                    "attempt": np.zeros(len(t_send)),
                    "t_send": t_send,
                    "t_done": result.t_recv - t0,
                    "status": np.where(lost, LOST, OK),
                    "reason": reason,
                    "path": path_ids,
                    "bytes": np.full(len(t_send), float(size)),
                }.items()
            }
        )
    trace.events.extend(sorted(events, key=lambda e: e.time))
    return trace

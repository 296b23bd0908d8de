"""``netsim lab run``: a whole scenario played in real time on a deployed lab, as a Trace.

The scenario's topology is exported (:func:`~netsim.lab.clab.plan.plan_lab`,
:func:`~netsim.lab.clab.render.render_lab`) into ``<out>/lab/`` and deployed. Its traffic
becomes real traffic between the cloud hosts: ``one-way`` classes probe streams
(:mod:`netsim.lab.live.probes`), ``request-response`` classes request/response exchanges
over TCP, ``bulk`` classes TCP transfers (:mod:`netsim.lab.live.traffic`). Its failures
(the scripted ones, and the random ones the caller drew with the simulator's own schedule,
see :func:`run_live`) are injected at their times and repaired after their durations. The
result is a :class:`~netsim.trace.core.Trace` with ``engine="lab"``
(:mod:`netsim.lab.live.playtrace`), so :func:`netsim.analysis.summary.summarize` judges it
as it judges a simulated run.

What the lab runs differently is named in the Trace's ``lab`` note
(:class:`~netsim.trace.records.LabNote`): rates above what its processes keep up with are
capped, diurnal profiles are flattened to their mean (a lab run lasts minutes), and with
bulk classes the links and transfers run at ``rate_scale`` of the model's rates.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.lab.clab.plan import plan_lab
from netsim.lab.clab.render import render_lab, write_files
from netsim.lab.host import linux
from netsim.lab.host.stalls import PERIOD_S
from netsim.lab.live.lab import Lab
from netsim.lab.live.playtrace import Snapshot, failed_links, lab_trace, model_path
from netsim.lab.live.status import host_paths
from netsim.lab.live.traffic import LAB_BULK_BPS, MAX_REQUEST_RATE, TrafficRun, rate_scale
from netsim.model.scenario import TargetKind, TrafficKind
from netsim.trace.core import TraceEvent
from netsim.trace.records import FailoverRecord, LabNote, mode_label

if TYPE_CHECKING:
    import numpy as np

    from netsim.lab.live.faults import Change
    from netsim.model.scenario import Failure, Scenario
    from netsim.model.topology import Topology
    from netsim.trace.core import Trace

MAX_PROBE_RATE = 1000.0  # datagrams per second per stream
SNAPSHOT_LEAD_S = 1.0  # paths are sampled this long before each failure
START_DELAY_S = 0.05  # helpers send their first packet this long after go


def playable(scenario: Scenario) -> tuple[Scenario, LabNote]:
    """The scenario the lab plays (random failures are the caller's, see :func:`run_live`)."""
    notes = []
    for cls in scenario.traffic:
        per_dst = cls.rate / max(len(cls.dsts), 1)
        if cls.kind is TrafficKind.ONE_WAY and per_dst > MAX_PROBE_RATE:
            notes.append(
                f"{cls.name}: {per_dst:g}/s per destination capped at {MAX_PROBE_RATE:g}/s"
            )
        if cls.kind is TrafficKind.REQUEST_RESPONSE and per_dst > MAX_REQUEST_RATE:
            notes.append(
                f"{cls.name}: {per_dst:g}/s per destination capped at {MAX_REQUEST_RATE:g}/s"
            )
        if cls.profile is not None and cls.kind is not TrafficKind.BULK:
            notes.append(f"{cls.name}: the diurnal profile is played at its mean rate")
    scale = rate_scale(scenario)
    if scale < 1.0:
        notes.append(
            f"links and bulk transfers ran at {scale:g} of the model's rates (the lab's link "
            f"emulation carries about {LAB_BULK_BPS / 1e6:g} Mbit/s per link); bulk "
            "throughput is reported at model scale"
        )
    note = LabNote((), (), scenario.random_failures, rate_scale=scale, notes=tuple(notes))
    return dataclasses.replace(scenario, random_failures=False), note


def _inject(lab: Lab, topology: Topology, failure: Failure) -> list[Change]:
    """Apply one failure; every member of a group fails at the same moment."""
    mode = mode_label(failure)
    if failure.target is TargetKind.LINK:
        return lab.fail([(failure.name, mode)])
    if failure.target is TargetKind.NODE:
        return lab.fail([(failure.name, "down")])
    group = topology.group(failure.name)
    return lab.fail(
        [(link, mode) for link in group.links] + [(node, "down") for node in group.nodes]
    )


def run_live(scenario: Scenario, out: Path, seed: int | None = None) -> Trace:
    """Deploy the scenario's topology, play the scenario in real time, return the Trace.

    The failures played are ``scenario.failures``: a caller that wants the scenario's
    random failures too puts the simulator's draw of them there first (``netsim lab run``
    does), so both engines see the same schedule; ``random: true`` alone is noted as not
    played.
    """
    scenario, note = playable(scenario)
    topology = scenario.topology
    seed = scenario.seed if seed is None else seed
    plan = plan_lab(topology)
    files = render_lab(
        plan, source=Path(topology.source).name, rate_scale=note.rate_scale, directory=out / "lab"
    )
    write_files(files, out / "lab")
    started = time.monotonic()
    linux.nftables_library()  # loaded now, so the first failure takes effect at once
    with Lab(out / "lab" / f"{plan.name}.clab.yml", seed=seed) as lab:
        note = dataclasses.replace(note, deploy_s=round(lab.deploy_seconds, 3))
        streams = probe_streams(scenario)
        probes = [
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
        traffic = TrafficRun(lab, scenario, seed, note.rate_scale)
        traffic.start()
        t0 = time.time() + START_DELAY_S
        for run in probes:
            run.go(t0)
        traffic.go(t0)
        sampler = PathSampler(lab, topology, t0)
        sampler.start()
        try:
            snapshots, records, events = _play(lab, scenario, t0)
        finally:
            sampler.stop()
        snapshots = sorted(snapshots + sampler.snapshots, key=lambda s: s[0])
        results = [run.wait() for run in probes]
        requests, transfers = traffic.wait()
        note = with_stalls(note, lab.stalls() - t0, scenario.duration)
    trace = lab_trace(
        scenario,
        seed,
        t0=t0,
        probes=list(zip(streams, results, strict=True)),
        requests=requests,
        transfers=transfers,
        snapshots=snapshots,
        events=events,
    )
    trace.failovers = records
    trace.lab = note
    trace.wall_s = time.monotonic() - started
    return trace


def with_stalls(note: LabNote, stalls: np.ndarray, duration: float) -> LabNote:
    """``note`` with the host's stalls during the run (seconds after its start) and, if
    there were any, a sentence saying what they mean for the latencies."""
    within = stalls[(stalls[:, 1] > 0) & (stalls[:, 0] < duration)]
    if not len(within):
        return note
    lengths = (within[:, 1] - within[:, 0] - PERIOD_S) * 1e3  # a stall's window has one period
    sentence = (
        f"the host stalled {len(within)} times ({lengths.sum():.0f} ms in all, longest "
        f"{lengths.max():.1f} ms): the lab's processes did not run then, so packets and "
        "requests in flight carry the stall on top of the network's delay (host_stalls)"
    )
    return dataclasses.replace(
        note,
        notes=(*note.notes, sentence),
        host_stalls=tuple((float(a), float(b)) for a, b in within),
    )


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


def probe_streams(scenario: Scenario) -> list[tuple[int, str, str, float, int]]:
    """(class index, src, dst, rate, size) of every probe stream."""
    out = []
    for ci, cls in enumerate(scenario.traffic):
        if cls.kind is not TrafficKind.ONE_WAY:
            continue
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
    """Inject and repair every failure on time; sample paths before each one."""
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
    # A snapshot asks every router (vtysh, swanctl, ip route): on a busy host that takes
    # longer than the nominal lead, which would make the failure after it late. So the lead
    # grows to half again the longest snapshot so far (the first one, at t=0, measures it).
    lead = SNAPSHOT_LEAD_S
    for at, _, action, i in sorted(actions):
        if at > scenario.duration:
            continue
        if action == "snapshot" and i >= 0:
            _sleep_until(t0 + max(scenario.failures[i].at - lead, 0.0))
        else:
            _sleep_until(t0 + at)
        if action == "snapshot":
            began = time.monotonic()
            paths = {
                (p.src, p.dst): model_path(topology, p.nodes, p.via) for p in lab.status().paths
            }
            snapshots.append((time.time() - t0, paths))
            lead = max(lead, 1.5 * (time.monotonic() - began) + 0.1)
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

"""Where a run changes on purpose: the breaks its confidence intervals are stratified at.

Batch means assume the output is stationary. A scenario that fails a link at 2 min and
repairs it at 5 min is not: latency and loss jump at known moments that the scenario
chose. Those moments are not noise, so :mod:`netsim.analysis.intervals` cuts the run into
strata there and estimates the variance within each. The breaks are the scripted parts
of a scenario and what follows from them: each scripted failure's start, detection,
switch, repair and restoration (from the Trace's failover records), the start and stop
of each traffic class, and the start and finish of scripted bulk transfers and streams.

Random failures (``{random: true}``) and Poisson transfers are *not* breaks: they are
part of the random process the run samples, and their effect on a statistic is part of
its sampling error. A run with random failures is judged over many of them (a long run
or replications), not conditioned on the ones it happened to draw.

Examples
--------
>>> from netsim.model import load_scenario
>>> from netsim.sim.engine import build_simulation
>>> scenario = load_scenario("scenarios/interconnect-cut.yaml", ["duration=5m"])
>>> trace = build_simulation(scenario, 1, engine="fast").run()
>>> [round(t, 1) for t in scripted_breaks(trace, scenario)]
[120.0, 121.0, 180.0, 185.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.scenario import TrafficKind

if TYPE_CHECKING:
    from netsim.model.scenario import Scenario
    from netsim.trace.core import Trace


def scripted_breaks(trace: Trace, scenario: Scenario) -> tuple[float, ...]:
    """The moments after the warmup and before the end where the scenario changes on
    purpose (module docstring), sorted and without repeats."""
    times: list[float] = []
    scripted = {(f.name, f.at) for f in scenario.failures}
    found = set()
    for rec in trace.failovers:
        if (rec.subject, rec.failed_at_s) not in scripted:
            continue
        found.add((rec.subject, rec.failed_at_s))
        times += [
            t
            for t in (
                rec.failed_at_s,
                rec.detected_at_s,
                rec.switched_at_s,
                rec.repaired_at_s,
                rec.restored_at_s,
            )
            if t is not None
        ]
    for f in scenario.failures:  # failures the Trace has no record of (e.g. a lab run)
        if (f.name, f.at) not in found:
            times += [f.at] if f.duration is None else [f.at, f.at + f.duration]
    for cls in scenario.traffic:
        times += [cls.start] if cls.stop is None else [cls.start, cls.stop]
        if cls.kind is TrafficKind.BULK and (cls.transfers or cls.transfer_size is None):
            for t in trace.transfers:
                if t.traffic_class == cls.name:
                    times += [t.start_s] if t.finish_s is None else [t.start_s, t.finish_s]
    return tuple(sorted({t for t in times if trace.warmup < t < trace.duration}))


def has_scripted_breaks(scenario: Scenario) -> bool:
    """Whether a run of ``scenario`` has breaks (a scripted failure, a class that starts
    late or stops, scripted transfers): then a longer run would judge another scenario."""
    return bool(scenario.failures) or any(
        cls.start > scenario.warmup
        or cls.stop is not None
        or (cls.kind is TrafficKind.BULK and bool(cls.transfers))
        for cls in scenario.traffic
    )


__all__ = ["has_scripted_breaks", "scripted_breaks"]

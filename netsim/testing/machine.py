"""A hypothesis state machine that drives the control plane with fail / restore / advance.

:class:`FailoverMachine` keeps a failure schedule that grows as rules fire: ``fail`` starts
a failure of a link, node or group *now* (down, blackhole or loss:p), ``restore`` repairs
one that is still active, ``advance`` moves the clock (by amounts chosen around the
topology's detection, convergence and re-establishment times). After every step the
control plane (:func:`netsim.sim.engine.run_control`, no traffic, so a step costs
milliseconds) is run from scratch up to now, its timeline is read back as a Trace, and
the invariants are checked:

- each link's data-plane mode is what the active failures imply;
- no route uses a link that has been broken for longer than its failover bound;
- once nothing has changed for the settle bound, every pair is on its preferred surviving
  path; restoration happens only onto working links, after re-establishment;
- detection of each failure lies within its bounds when it is on its own;
- causality: what happened before the previous step is unchanged by later rules.

Use :func:`failover_machine` to bind it to a topology::

    TestMegaportHub = failover_machine(load_topology("topologies/megaport-hub.yaml")).TestCase
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import simpy
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from netsim.model.scenario import Failure, FailureMode, Scenario
from netsim.sim.engine import run_control, timeline_of
from netsim.testing.strategies import elements
from netsim.trace.core import Trace, TraceEvent
from netsim.verify import bounds, invariants, timing
from netsim.verify.replay import Replay

if TYPE_CHECKING:
    from netsim.model.topology import Topology

STEP_EPS = 1e-6
FAR_S = 1e6  # marks beyond this (inf: a loss may never be detected) are not steps


def control_trace(scenario: Scenario, until: float, seed: int = 0) -> Trace:
    """Run only the control plane of ``scenario`` up to ``until``; its timeline as a Trace."""
    env = simpy.Environment()
    failures = sorted(scenario.failures, key=lambda f: (f.at, f.target.value, f.name))
    control, bulk = run_control(scenario, seed, failures, env)
    env.run(until=until + STEP_EPS)
    timeline = timeline_of(control, bulk)
    trace = Trace(
        scenario=scenario.name,
        engine="sim",
        seed=seed,
        duration=until,
        warmup=0.0,
        classes=[],
        nodes=list(scenario.topology.node_names),
        paths=[],
    )
    trace.events = list(timeline.events)
    trace.failovers = list(timeline.failovers)
    return trace


class FailoverMachine(RuleBasedStateMachine):
    """See the module docstring; subclass with :func:`failover_machine`."""

    topology: ClassVar[Topology]
    seed: ClassVar[int] = 0
    modes: ClassVar[tuple[str, ...]] = ("down", "blackhole", "loss")

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.schedule: list[Failure] = []
        self.previous: list[TraceEvent] = []
        self.previous_now = 0.0
        topo = self.topology
        self.targets = elements(topo)
        settle = bounds.settle_bound(topo)
        marks = {settle}
        for link in topo.routed_links:
            marks |= {
                link.bgp.reestablish,
                bounds.failover_bound(link, "blackhole"),
                bounds.detection_bound(link, "blackhole"),
                bounds.convergence_bound(link),
            }
        # around every interesting instant: just before, at, just after
        self.steps = sorted(
            {
                round(max(0.1, m + d), 1)
                for m in marks
                for d in (-0.1, 0, 0.1)
                if m + d > 0 and m < FAR_S
            }
        )

    # ---- rules -------------------------------------------------------------------------
    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        target, name = data.draw(st.sampled_from(self.targets), label="element")
        mode = FailureMode(data.draw(st.sampled_from(self.modes), label="mode"))
        loss = (
            data.draw(st.integers(1, 50), label="loss %") / 100 if mode is FailureMode.LOSS else 0.0
        )
        self.schedule.append(Failure(target, name, round(self.now, 6), None, mode, loss))

    @precondition(lambda self: any(f.duration is not None for f in self.schedule))
    @rule(data=st.data())
    def fail_again(self, data: st.DataObject) -> None:
        """Fail an element that failed before (flapping, re-failure while re-establishing)."""
        done = sorted(
            {(f.target, f.name) for f in self.schedule if f.duration is not None},
            key=lambda e: (e[0].value, e[1]),
        )
        target, name = data.draw(st.sampled_from(done), label="element")
        mode = FailureMode(data.draw(st.sampled_from(("down", "blackhole")), label="mode"))
        self.schedule.append(Failure(target, name, round(self.now, 6), None, mode))

    @precondition(lambda self: any(f.duration is None and f.at < self.now for f in self.schedule))
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        active = [i for i, f in enumerate(self.schedule) if f.duration is None and f.at < self.now]
        i = data.draw(st.sampled_from(active), label="failure")
        f = self.schedule[i]
        self.schedule[i] = dataclasses.replace(f, duration=round(self.now - f.at, 6))

    @rule(dt=st.one_of(st.integers(1, 50).map(lambda n: n / 10), st.just(-1.0)), data=st.data())
    def advance(self, dt: float, data: st.DataObject) -> None:
        if dt < 0:
            dt = data.draw(st.sampled_from(self.steps), label="step")
        self.now = round(self.now + dt, 6)

    # ---- checks --------------------------------------------------------------------------
    def scenario(self) -> Scenario:
        return Scenario(
            name="machine",
            topology=self.topology,
            duration=max(self.now, 1.0) + 1.0,
            warmup=0.0,
            seed=self.seed,
            traffic=(),
            failures=tuple(self.schedule),
        )

    @invariant()
    def model_holds(self) -> None:
        scenario = self.scenario()
        trace = control_trace(scenario, self.now, self.seed)
        replay = Replay.of(trace, self.topology)
        problems: list[str] = []
        for name, check in (
            ("link states", invariants.check_link_states),
            ("settled routes", invariants.check_settled_routes),
            ("restoration", timing.check_restoration),
        ):
            try:
                check(trace, scenario)
            except AssertionError as exc:
                problems.append(f"{name}: {exc}")
        problems += self._late_routes(replay)
        problems += self._causality(trace)
        if problems:
            lines = "\n".join(
                f"  {f.target.value} {f.name} {f.mode.value}"
                f"{f':{f.loss:g}' if f.loss else ''} at {f.at:g}s for "
                f"{'ever' if f.duration is None else f'{f.duration:g}s'}"
                for f in self.schedule
            )
            raise AssertionError(
                f"at t={self.now:g}s with schedule:\n{lines}\n" + "\n".join(problems)
            )

    def _late_routes(self, replay: Replay) -> list[str]:
        """No route may use a link broken for longer than its failover bound (plus the MRAI
        any withdrawal may wait), unless the withdrawal is still held back: BGP is
        path-vector, so a source learns of a failure only through the links before it on
        its path; the first that is broken, or whose session is down (the router behind it
        withdraws by itself once it converges), decides (on every path of a multipath
        route)."""
        now = self.now
        relay = bounds.relay_bound(self.topology)
        overdue, broken = set(), set()
        for link in self.topology.routed_links:
            for start, end in replay.broken_intervals(link.name):
                if start <= now < end:
                    broken.add(link.name)
                bound = bounds.failover_bound(link, replay.mode_at(link.name, start))
                if end > now and now - start > bound + relay + bounds.EPS:
                    overdue.add(link.name)
        if not overdue:
            return []
        blocking = broken | replay.session_down_at(now)
        late = []
        for (s, d), route in sorted(replay.routes_at(now).items()):
            for p in route.paths if route is not None else ():
                first = next((n for n in p if n in blocking), None)
                if first is not None and first in overdue:
                    late.append(f"{s}->{d} still uses {first} past its failover bound")
                    break
        return late

    def _causality(self, trace: Trace) -> list[str]:
        """Events before the previous step's time are the same in this step's run."""

        def past(events: list[TraceEvent]) -> list[dict[str, object]]:
            # a failure event states its planned duration, which a later restore sets
            return [
                {k: v for k, v in e.to_json().items() if k != "duration"}
                for e in events
                if e.time < self.previous_now - STEP_EPS
            ]

        before, earlier = past(trace.events), past(self.previous)
        then = self.previous_now
        self.previous, self.previous_now = trace.events, self.now
        if before == earlier:
            return []
        first = next(
            (i for i, (a, b) in enumerate(zip(before, earlier, strict=False)) if a != b),
            min(len(before), len(earlier)),
        )
        return [
            f"the past changed: event {first} before t={then:g}s was "
            f"{earlier[first] if first < len(earlier) else '-'}, now "
            f"{before[first] if first < len(before) else '-'}"
        ]


def failover_machine(
    topology: Topology, seed: int = 0, modes: tuple[str, ...] = ("down", "blackhole", "loss")
) -> type[FailoverMachine]:
    """A :class:`FailoverMachine` bound to ``topology`` (use its ``.TestCase`` in pytest)."""
    return type(
        f"FailoverMachine_{topology.name.replace('-', '_')}",
        (FailoverMachine,),
        {"topology": topology, "seed": seed, "modes": modes},
    )


__all__ = ["FailoverMachine", "control_trace", "failover_machine"]

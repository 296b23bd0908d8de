"""Hypothesis strategies for failover testing: schedules, traffic, topologies, scenarios.

All of them build real model objects (:class:`~netsim.model.scenario.Failure`,
:class:`~netsim.model.scenario.TrafficClass`, :class:`~netsim.model.topology.Topology`,
:class:`~netsim.model.scenario.Scenario`), so whatever hypothesis draws runs through the
same engine as a scenario file. Times are drawn on a 0.1 s grid so that shrunk
counterexamples read like a hand-written scenario.

- :func:`failures` -- one failure of a link, node or group (down, blackhole or loss:p);
- :func:`flapping` -- one element failing and recovering several times in a row;
- :func:`schedules` -- a mix of single, overlapping, back-to-back and flapping failures;
- :func:`traffic_mixes` -- one-way, request-response and (optionally) bulk classes between
  the topology's endpoints;
- random topologies are :mod:`netsim.testing.topologies` (multi-hub hub-and-spoke);
- :func:`scenarios` -- a topology (or a strategy of them), a schedule and a traffic mix,
  with a duration long enough for the network to settle after the last failure;
- :func:`fault_sequences` -- a few faults without times, for engines that apply them one
  after another in real time (the live lab).

Example (copy into your own test suite, pointing at your own topology)::

    from hypothesis import given
    from netsim.model import load_topology
    from netsim.sim.engine import build_simulation
    from netsim.verify import invariants
    from netsim.testing import strategies
    TOPOLOGY = load_topology("topologies/megaport-hub.yaml")

    @given(strategies.scenarios(TOPOLOGY))
    def test_failover_holds(scenario):
        trace = build_simulation(scenario).run()
        invariants.check_trace(trace, scenario)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

from netsim.model.dist import Dist
from netsim.model.scenario import (
    Failure,
    FailureMode,
    RetryPolicy,
    Scenario,
    TargetKind,
    TrafficClass,
    TrafficKind,
    Transfer,
)
from netsim.verify.bounds import settle_bound

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.topology import Topology

MODES = ("down", "blackhole", "loss")
TARGETS = ("link", "node", "group")
Element = tuple[TargetKind, str]


def elements(
    topology: Topology, targets: Sequence[str] = TARGETS, exclude_nodes: Sequence[str] = ()
) -> list[Element]:
    """Everything that can fail: links, nodes (minus ``exclude_nodes``) and groups."""
    out: list[Element] = []
    if "link" in targets:
        out += [(TargetKind.LINK, link.name) for link in topology.links]
    if "node" in targets:
        out += [(TargetKind.NODE, n) for n in topology.node_names if n not in exclude_nodes]
    if "group" in targets:
        out += [(TargetKind.GROUP, g.name) for g in topology.groups]
    return out


def _tenths(low: float, high: float) -> st.SearchStrategy[float]:
    """Seconds on a 0.1 s grid in [low, high]."""
    return st.integers(round(low * 10), round(high * 10)).map(lambda n: n / 10)


def _mode(modes: Sequence[str], max_loss: float) -> st.SearchStrategy[tuple[FailureMode, float]]:
    options = []
    if "down" in modes:
        options.append(st.just((FailureMode.DOWN, 0.0)))
    if "blackhole" in modes:
        options.append(st.just((FailureMode.BLACKHOLE, 0.0)))
    if "loss" in modes:
        options.append(
            st.integers(1, max(1, round(max_loss * 100))).map(lambda p: (FailureMode.LOSS, p / 100))
        )
    return st.one_of(options)


def _durations(min_duration: float, max_duration: float) -> st.SearchStrategy[float]:
    # Short failures (often shorter than detection) and long ones, both on purpose.
    short = _tenths(min_duration, min(max_duration, max(min_duration, 5.0)))
    return st.one_of(short, _tenths(min_duration, max_duration))


@st.composite
def failures(
    draw: st.DrawFn,
    topology: Topology,
    *,
    horizon: float = 60.0,
    modes: Sequence[str] = MODES,
    targets: Sequence[str] = TARGETS,
    min_duration: float = 0.1,
    max_duration: float = 60.0,
    permanent: bool = False,
    max_loss: float = 0.3,
    exclude_nodes: Sequence[str] = (),
) -> Failure:
    """One failure of a link, node or group starting in ``[0, horizon]``.

    ``permanent`` allows failures that are never repaired within the run.
    """
    target, name = draw(st.sampled_from(elements(topology, targets, exclude_nodes)))
    mode, loss = draw(_mode(modes, max_loss))
    at = draw(_tenths(0.0, horizon))
    duration: float | None = draw(_durations(min_duration, max_duration))
    if permanent and draw(st.booleans()):
        duration = None
    return Failure(target, name, at, duration, mode, loss)


@st.composite
def flapping(
    draw: st.DrawFn,
    topology: Topology,
    *,
    horizon: float = 60.0,
    targets: Sequence[str] = TARGETS,
    max_cycles: int = 6,
    exclude_nodes: Sequence[str] = (),
) -> tuple[Failure, ...]:
    """One element going down and up ``2..max_cycles`` times (down / blackhole)."""
    target, name = draw(st.sampled_from(elements(topology, targets, exclude_nodes)))
    mode = draw(st.sampled_from((FailureMode.DOWN, FailureMode.BLACKHOLE)))
    cycles = draw(st.integers(2, max_cycles))
    down = draw(_tenths(0.1, 5.0))
    up = draw(_tenths(0.1, 10.0))
    at = draw(_tenths(0.0, horizon))
    return tuple(
        Failure(target, name, round(at + k * (down + up), 6), down, mode) for k in range(cycles)
    )


@st.composite
def _back_to_back(draw: st.DrawFn, /, topology: Topology, **kw: object) -> tuple[Failure, ...]:
    first = draw(failures(topology, **kw))  # type: ignore[arg-type]
    second = draw(failures(topology, **kw))  # type: ignore[arg-type]
    if first.duration is None:
        return (first,)
    return first, Failure(
        second.target,
        second.name,
        round(first.at + first.duration, 6),
        second.duration,
        second.mode,
        second.loss,
    )


@st.composite
def _overlapping(draw: st.DrawFn, /, topology: Topology, **kw: object) -> tuple[Failure, ...]:
    first = draw(failures(topology, **kw))  # type: ignore[arg-type]
    second = draw(failures(topology, **kw))  # type: ignore[arg-type]
    span = first.duration if first.duration is not None else 30.0
    offset = draw(_tenths(0.0, span))
    return first, Failure(
        second.target,
        second.name,
        round(first.at + offset, 6),
        second.duration,
        second.mode,
        second.loss,
    )


@st.composite
def schedules(
    draw: st.DrawFn,
    topology: Topology,
    *,
    max_parts: int = 3,
    horizon: float = 60.0,
    modes: Sequence[str] = MODES,
    targets: Sequence[str] = TARGETS,
    min_duration: float = 0.1,
    max_duration: float = 60.0,
    permanent: bool = False,
    max_loss: float = 0.3,
    exclude_nodes: Sequence[str] = (),
    flaps: bool = True,
    min_parts: int = 0,
) -> tuple[Failure, ...]:
    """A failure schedule: up to ``max_parts`` single, overlapping, back-to-back or
    flapping failures, sorted by start time (the order the engine uses)."""
    kw = {
        "horizon": horizon,
        "modes": modes,
        "targets": targets,
        "min_duration": min_duration,
        "max_duration": max_duration,
        "permanent": permanent,
        "max_loss": max_loss,
        "exclude_nodes": exclude_nodes,
    }
    parts = [
        failures(topology, **kw).map(lambda f: (f,)),  # type: ignore[arg-type]
        _overlapping(topology, **kw),
        _back_to_back(topology, **kw),
    ]
    if flaps:
        parts.append(
            flapping(topology, horizon=horizon, targets=targets, exclude_nodes=exclude_nodes)
        )
    chosen = draw(st.lists(st.one_of(parts), min_size=min_parts, max_size=max_parts))
    out = [f for part in chosen for f in part]
    return tuple(sorted(out, key=lambda f: (f.at, f.target.value, f.name)))


@st.composite
def traffic_mixes(
    draw: st.DrawFn,
    topology: Topology,
    *,
    max_classes: int = 2,
    kinds: Sequence[str] = ("one-way", "request-response"),
    rate: tuple[int, int] = (5, 20),
    endpoints: Sequence[str] | None = None,
) -> tuple[TrafficClass, ...]:
    """1..``max_classes`` traffic classes between distinct ``endpoints`` (default: the
    topology's clouds). Rates are per second; bulk classes are a few fluid transfers."""
    nodes = list(endpoints or topology.endpoints_of())
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=max_classes, unique=True))
    out = []
    for i, (src, dst) in enumerate(chosen):
        kind = TrafficKind(draw(st.sampled_from(tuple(kinds))))
        name = f"c{i}-{src}-{dst}"
        if kind is TrafficKind.BULK:
            transfers = draw(
                st.lists(st.tuples(_tenths(0.0, 60.0), st.integers(1, 50)), min_size=1, max_size=3)
            )
            out.append(
                TrafficClass(
                    name,
                    kind,
                    src,
                    (dst,),
                    transfers=tuple(Transfer(at, size * 1e8) for at, size in sorted(transfers)),
                    max_rate=draw(st.sampled_from((1e8, 1e9, 5e9))),
                )
            )
            continue
        r = float(draw(st.integers(*rate)))
        if kind is TrafficKind.ONE_WAY:
            out.append(
                TrafficClass(
                    name,
                    kind,
                    src,
                    (dst,),
                    rate=r,
                    size=Dist.constant(float(draw(st.integers(64, 1500)))),
                )
            )
            continue
        retries = draw(st.sampled_from((None, RetryPolicy(3, 1.0, 0.025))))
        out.append(
            TrafficClass(
                name,
                kind,
                src,
                (dst,),
                rate=r,
                request_size=Dist.constant(float(draw(st.integers(200, 4000)))),
                response_size=Dist.constant(float(draw(st.integers(200, 50000)))),
                server_time=Dist.constant(draw(st.integers(0, 10)) / 1000),
                timeout=float(draw(st.integers(2, 5))),
                retries=retries,
            )
        )
    return tuple(out)


@st.composite
def fault_sequences(
    draw: st.DrawFn,
    topology: Topology,
    *,
    max_faults: int = 3,
    modes: Sequence[str] = ("down", "blackhole"),
    targets: Sequence[str] = ("link", "node"),
    exclude_nodes: Sequence[str] = (),
) -> tuple[tuple[Element, str], ...]:
    """Short sequences of distinct ``((target, name), mode)`` faults with no times: for an
    engine that applies faults one after another in real time (the lab's chaos test)."""
    chosen = draw(
        st.lists(
            st.sampled_from(elements(topology, targets, exclude_nodes)),
            min_size=1,
            max_size=max_faults,
            unique=True,
        )
    )
    return tuple((e, draw(st.sampled_from(tuple(modes)))) for e in chosen)


@st.composite
def scenarios(
    draw: st.DrawFn,
    topology: Topology | st.SearchStrategy[Topology],
    *,
    schedule: st.SearchStrategy[tuple[Failure, ...]] | None = None,
    traffic: st.SearchStrategy[tuple[TrafficClass, ...]] | None = None,
    horizon: float = 60.0,
    modes: Sequence[str] = MODES,
    max_parts: int = 3,
    seed: st.SearchStrategy[int] | None = None,
) -> Scenario:
    """A runnable scenario: traffic between the endpoints, a schedule starting in
    ``[0, horizon]``, and a duration that leaves the settle bound (plus 10 s) after the
    last change, so every settled-state invariant gets checked at least once."""
    topo = draw(topology) if isinstance(topology, st.SearchStrategy) else topology
    fails = draw(
        schedule
        if schedule is not None
        else schedules(topo, horizon=horizon, modes=modes, max_parts=max_parts)
    )
    classes = draw(traffic if traffic is not None else traffic_mixes(topo))
    last = max((f.at + (f.duration or 0.0) for f in fails), default=0.0)
    duration = round(max(last, horizon) + settle_bound(topo) + 10.0, 1)
    return Scenario(
        name="generated",
        topology=topo,
        duration=duration,
        warmup=0.0,
        seed=draw(seed if seed is not None else st.integers(0, 2**16)),
        traffic=classes,
        failures=fails,
    )


__all__ = [
    "MODES",
    "TARGETS",
    "elements",
    "failures",
    "fault_sequences",
    "flapping",
    "scenarios",
    "schedules",
    "traffic_mixes",
]

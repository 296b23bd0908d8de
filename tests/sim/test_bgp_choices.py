"""BGP's choices and timing (issue 10 item 5): AS-path length, prepending, MRAI.

Oracles: BGP's decision process (RFC 4271 9.1.2.2: local preference, then the shortest
AS_PATH, then, here, the fewest hops), checked on topologies where the answer is known by
hand and against the independent networkx reference; and the timing rule of the contract
(``mrai``: the delay before a router passes an update on), so a withdrawal crossing one
relaying router with MRAI 5 s reaches the source 5 s later, two such routers 10 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netsim.analysis.summary import summarize
from netsim.model.dist import Dist
from netsim.model.load_topology import read_topology
from netsim.model.routing import as_path_length, best_path
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind, TrafficClass
from netsim.model.scenario import TrafficKind as K
from netsim.model.source import parse_yaml
from netsim.sim.engine import build_simulation
from netsim.verify import bounds
from netsim.verify.oracle import preferred_rank

if TYPE_CHECKING:
    from netsim.model.topology import Topology

AS_PATH = """
name: as-path
nodes:
  a: {role: cloud, asn: 1}
  b: {role: cloud, asn: 2}
  r1: {role: router, asn: 1}
  r2: {role: router, asn: 1}
  z: {role: exchange, asn: 9}
links:
  - {name: a-r1, endpoints: [a, r1], capacity: 1Gbps}
  - {name: r1-r2, endpoints: [r1, r2], capacity: 1Gbps}
  - {name: r2-b, endpoints: [r2, b], capacity: 1Gbps}
  - {name: a-z, endpoints: [a, z], capacity: 1Gbps}
  - {name: z-b, endpoints: [z, b], capacity: 1Gbps}
"""

PREPEND = """
name: prepend
nodes:
  a: {role: cloud, asn: 1}
  b: {role: cloud, asn: 2}
  x: {role: exchange, asn: 8}
  y: {role: exchange, asn: 9}
links:
  - {name: a-x, endpoints: [a, x], capacity: 1Gbps%s}
  - {name: x-b, endpoints: [x, b], capacity: 1Gbps}
  - {name: a-y, endpoints: [a, y], capacity: 1Gbps}
  - {name: y-b, endpoints: [y, b], capacity: 1Gbps}
"""


def topology(text: str) -> Topology:
    return read_topology(parse_yaml(text, "<test>"))


def _paths_used(topo: Topology, engine: str) -> set[tuple[str, ...]]:
    probes = TrafficClass("p", K.ONE_WAY, "a", ("b",), rate=20.0, size=Dist.constant(200.0))
    trace = build_simulation(Scenario("bgp", topo, 5.0, 0.0, 1, (probes,)), engine=engine).run()
    return {trace.paths[p] for p in trace.attempts["path"]}


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_as_path_length_picks_the_shorter_of_two_equal_preference_paths(engine: str) -> None:
    """Three hops inside a's own AS then into b (AS path 1) beat two hops through z's AS
    (AS path 2): the fewest hops alone would pick the latter."""
    topo = topology(AS_PATH)
    assert as_path_length(topo, "a", ("a-r1", "r1-r2", "r2-b")) == 1
    assert as_path_length(topo, "a", ("a-z", "z-b")) == 2
    assert best_path(topo, "a", "b", frozenset()) == ("a-r1", "r1-r2", "r2-b")
    assert preferred_rank(topo, "a", "b", frozenset()) == (100, 1, 3)
    assert _paths_used(topo, engine) == {("a-r1", "r1-r2", "r2-b")}
    # that path lost: the longer AS path is next
    assert best_path(topo, "a", "b", frozenset({"r1-r2"})) == ("a-z", "z-b")


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_prepending_moves_traffic_to_the_other_path(engine: str) -> None:
    plain, prepended = topology(PREPEND % ""), topology(PREPEND % ", prepend: 2")
    assert best_path(plain, "a", "b", frozenset()) == ("a-x", "x-b")  # tie: link names
    assert best_path(prepended, "a", "b", frozenset()) == ("a-y", "y-b")
    assert as_path_length(prepended, "a", ("a-x", "x-b")) == 4
    assert preferred_rank(prepended, "a", "b", frozenset()) == (100, 2, 2)
    assert _paths_used(prepended, engine) == {("a-y", "y-b")}
    # prepending applies to routes learned over the link either way
    assert best_path(prepended, "b", "a", frozenset()) == ("y-b", "a-y")


MRAI = """
name: mrai
nodes:
  s: {role: cloud, asn: 1}
  m1: {role: router, asn: 2, mrai: %s}
  m2: {role: router, asn: 3, mrai: %s}
  n: {role: router, asn: 4, mrai: 5s}
  d: {role: cloud, asn: 5}
links:
  - {name: s-m1, endpoints: [s, m1], capacity: 1Gbps, delay: 1ms}
  - {name: m1-m2, endpoints: [m1, m2], capacity: 1Gbps, delay: 1ms}
  - {name: m2-n, endpoints: [m2, n], capacity: 1Gbps, delay: 1ms}
  - {name: n-d, endpoints: [n, d], capacity: 1Gbps, delay: 1ms}
  - {name: vpn, kind: vpn, endpoints: [s, d], capacity: 1Gbps, delay: 5ms}
"""


def _withdrawal(mrai: tuple[str, str], engine: str) -> tuple[float, object]:
    topo = topology(MRAI % mrai)
    probes = TrafficClass("p", K.ONE_WAY, "s", ("d",), rate=100.0, size=Dist.constant(200.0))
    cut = Failure(TargetKind.LINK, "n-d", 10.0, 30.0, FailureMode.DOWN)
    scenario = Scenario("mrai", topo, 80.0, 0.0, 1, (probes,), (cut,))
    trace = build_simulation(scenario, engine=engine).run()
    (result,) = summarize(trace, scenario).failovers
    return result.gap_s, trace


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_mrai_delays_the_withdrawal_hop_by_hop(engine: str) -> None:
    """n-d loses carrier at 10 s: n sees it at once and withdraws after 1 s of convergence
    (n sends its own news at once: its MRAI only holds what it passes on). The withdrawal
    crosses m2 and m1 on its way to s: with no MRAI s moves at 11 s (a 1 s gap), with 5 s
    on m2 alone 5 s later, with 5 s on both 10 s later."""
    gap0, _ = _withdrawal(("0s", "0s"), engine)
    gap5, trace = _withdrawal(("0s", "5s"), engine)
    gap10, _ = _withdrawal(("5s", "5s"), engine)
    # Poisson probes every 10 ms on average: the measured gap's midpoint between the last
    # lost and the first delivered probe is within a few spacings of the switch
    assert gap0 == pytest.approx(1.0, abs=0.05)
    assert gap5 == pytest.approx(6.0, abs=0.05)
    assert gap10 == pytest.approx(11.0, abs=0.05)
    rec = trace.failovers[0]  # type: ignore[attr-defined]
    assert rec.switched_at_s == pytest.approx(16.0)  # the record follows the late move
    # the way back: repaired at 40 s, session up at 45 s, announced past m2 at 50 s
    restored = [
        (e.time, e.subject)
        for e in trace.events  # type: ignore[attr-defined]
        if e.kind == "restored" and "s>d" in e.attrs["routes"]
    ]
    assert restored == [(pytest.approx(50.0), "n-d")]


def test_mrai_in_the_bounds() -> None:
    """The timing bounds of netsim check and the invariants include the MRAI wait."""
    topo = topology(MRAI % ("5s", "5s"))
    assert bounds.relay_bound(topo) == 15.0  # every router that may pass news on
    assert bounds.relay_delay(topo, "s", ("s-m1", "m1-m2", "m2-n", "n-d"), 3) == 10.0
    effects = bounds.failure_effects(topo, "link", "n-d", "down")
    gap, path = bounds.worst_case_gap(topo, "s", "d", effects)
    assert gap == pytest.approx(1.0 + 10.0)  # carrier + 1 s convergence + two relays
    assert path == ("vpn",)

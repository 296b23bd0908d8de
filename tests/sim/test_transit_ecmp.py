"""Transit and multipath (issue 10 items 1, 2, 7), with their oracles.

- Transit: a hand-built topology whose only surviving path crosses a cloud. The oracle
  is the rule itself (a path never crosses a node that carries no transit), checked the
  same way by the routing, the independent networkx reference, ``netsim check``, the
  availability closed form and Monte Carlo, and both data planes.
- ECMP: two equal tunnels and one-way Poisson datagrams of one size at 150 % of one
  tunnel. Per-packet hashing splits a Poisson stream into two independent Poisson streams
  of half the rate (thinning), so each tunnel is an M/D/1 queue at rho = 0.75 whose buffer
  holds K = 5 packets in the system (a packet is admitted when the work ahead of it plus
  itself fits the buffer). The loss of M/D/1/K is exact from its embedded Markov chain at
  departures and PASTA.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.analysis.availability import closed_form, path_sets, simulate_pairs
from netsim.analysis.summary import summarize
from netsim.model.dist import Dist
from netsim.model.load_topology import read_topology
from netsim.model.routing import best_path, route
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind, TrafficClass
from netsim.model.scenario import TrafficKind as K
from netsim.model.source import parse_yaml
from netsim.sim.engine import build_simulation
from netsim.trace.core import LOST, OK, R_NO_ROUTE
from netsim.verify.oracle import preferred_rank
from netsim.verify.search import Element, FailureSpace, exhaustive, outcome_judge

if TYPE_CHECKING:
    from netsim.model.topology import Topology

TRANSIT = """
name: transit
nodes:
  a: {role: cloud, asn: 1}
  b: {role: cloud, asn: 2}
  c: {role: cloud, asn: 3%s}
  hub: {role: exchange, asn: 4}
links:
  - {name: a-hub, endpoints: [a, hub], capacity: 1Gbps, delay: 1ms, mtbf: 100h, mttr: 10h,
     bfd: {interval: 1us, multiplier: 1}, convergence: 0s, bgp: {reestablish: 0s}}
  - {name: b-hub, endpoints: [b, hub], capacity: 1Gbps, delay: 1ms}
  - {name: a-c, endpoints: [a, c], capacity: 1Gbps, delay: 1ms, preference: 50}
  - {name: c-b, endpoints: [c, b], capacity: 1Gbps, delay: 1ms, preference: 50}
"""


def topology(text: str) -> Topology:
    return read_topology(parse_yaml(text, "<test>"))


def test_transit_changes_the_answer() -> None:
    """The partition appears exactly when the only remaining path crosses a cloud."""
    cloud = topology(TRANSIT % "")
    carrier = topology(TRANSIT % ", transit: true")
    assert not cloud.node("c").carries_transit
    assert carrier.node("c").carries_transit
    # nothing down: the hub path, whatever c does
    for topo in (cloud, carrier):
        assert best_path(topo, "a", "b", frozenset()) == ("a-hub", "b-hub")
    # the hub path down: only a-c-b is left, which crosses the cloud c
    down = frozenset({"a-hub"})
    assert best_path(cloud, "a", "b", down) is None
    assert preferred_rank(cloud, "a", "b", down) is None  # the independent reference
    assert best_path(carrier, "a", "b", down) == ("a-c", "c-b")
    assert preferred_rank(carrier, "a", "b", down) == (50, 2, 2)
    # c's own traffic is not transit: it reaches both sides
    assert best_path(cloud, "c", "b", down) == ("c-b",)
    # netsim check: link a-hub alone partitions a-b only when c carries no transit
    space = FailureSpace(cloud, pairs=(("a", "b"),))
    found = {(k, c) for _, k, c in exhaustive(space, 1, (outcome_judge,)).items()}
    assert ("partition", frozenset({Element("link", "a-hub")})) in found
    space = FailureSpace(carrier, pairs=(("a", "b"),))
    found = {(k, c) for _, k, c in exhaustive(space, 1, (outcome_judge,)).items()}
    assert ("degraded", frozenset({Element("link", "a-hub")})) in found


def test_transit_in_availability() -> None:
    """Closed form and Monte Carlo: a-b is up while a-hub is (A = 10/11), and with c as a
    transit also while it is not (the VPN path never fails): 1."""
    cloud = topology(TRANSIT % "")
    carrier = topology(TRANSIT % ", transit: true")
    assert path_sets(cloud, "a", "b") == [frozenset({"a-hub", "b-hub"})]
    assert len(path_sets(carrier, "a", "b")) == 2
    assert closed_form(cloud, "a", "b") == pytest.approx(10 / 11)
    assert closed_form(carrier, "a", "b") == pytest.approx(1.0)
    (ab,) = [p for p in simulate_pairs(cloud, 2000, 1) if (p.a, p.b) == ("a", "b")]
    assert ab.ci[0] <= 10 / 11 <= ab.ci[1]
    (ab,) = [p for p in simulate_pairs(carrier, 200, 1) if (p.a, p.b) == ("a", "b")]
    assert ab.simulated == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_transit_in_both_engines(engine: str) -> None:
    """With a-hub cut, a->b traffic has no route (lost as such) unless c carries transit."""
    for text, routed in ((TRANSIT % "", False), (TRANSIT % ", transit: true", True)):
        topo = topology(text)
        probes = TrafficClass("p", K.ONE_WAY, "a", ("b",), rate=50.0, size=Dist.constant(200.0))
        cut = Failure(TargetKind.LINK, "a-hub", 1.0, None, FailureMode.DOWN)
        scenario = Scenario("transit", topo, 20.0, 0.0, 1, (probes,), (cut,))
        a = build_simulation(scenario, engine=engine).run().attempts
        late = a["t_send"] > 2.0
        if routed:
            assert (a["status"][late] == OK).all()
        else:
            assert (a["status"][late] == LOST).all()
            assert (a["reason"][late] == R_NO_ROUTE).all()


# ---- ECMP --------------------------------------------------------------------------------
ECMP = """
name: ecmp
nodes:
  a: {role: cloud, asn: 1, max_paths: %d}
  b: {role: cloud, asn: 2, max_paths: %d}
links:
  - {name: t1, kind: vpn, endpoints: [a, b], capacity: 100Mbps, delay: 1ms, overhead: 0B,
     buffer: 5000B}
  - {name: t2, kind: vpn, endpoints: [a, b], capacity: 100Mbps, delay: 1ms, overhead: 0B,
     buffer: 5000B}
"""
SIZE = 1000.0  # bytes: 80 us of service at 100 Mbit/s
RATE = 1.5 * 100e6 / (8 * SIZE)  # 150 % of one tunnel, 75 % of two


def md1k_loss(rho: float, k: int) -> float:
    """Loss of M/D/1/K (K in the system): the embedded chain at departures gives pi_j
    (j < K); the time-average P(K in system) = 1 - 1 / (pi_0 + rho), which an arrival
    sees (PASTA)."""
    a = [math.exp(-rho) * rho**n / math.factorial(n) for n in range(k + 1)]
    p = np.zeros((k, k))
    for i in range(k):
        for j in range(max(i - 1, 0), k):
            n = j - max(i, 1) + 1  # arrivals during the next service
            p[i, j] = a[n] if j < k - 1 else 1.0 - sum(a[: k - max(i, 1)])
    w, v = np.linalg.eig(p.T)
    pi = np.real(v[:, np.argmin(abs(w - 1))])
    pi /= pi.sum()
    return float(1.0 - 1.0 / (pi[0] + rho))


def test_md1k_loss_oracle() -> None:
    # K = 1 is M/D/1/1 (Erlang loss with one server): rho / (1 + rho)
    assert md1k_loss(0.75, 1) == pytest.approx(0.75 / 1.75)
    assert md1k_loss(0.75, 5) == pytest.approx(0.024764, rel=1e-4)


def _ecmp_run(engine: str, max_paths: int = 2, duration: float = 40.0) -> tuple[object, ...]:
    topo = topology(ECMP % (max_paths, max_paths))
    probes = TrafficClass("p", K.ONE_WAY, "a", ("b",), rate=RATE, size=Dist.constant(SIZE))
    scenario = Scenario("ecmp", topo, duration, 0.0, 3, (probes,))
    trace = build_simulation(scenario, engine=engine).run()
    return trace, summarize(trace, scenario)


def test_route_shares_flows_over_equal_tunnels() -> None:
    r = route(topology(ECMP % (2, 2)), "a", "b", frozenset())
    assert r is not None
    assert r.paths == (("t1",), ("t2",))
    assert r.shares == (0.5, 0.5)
    r = route(topology(ECMP % (1, 1)), "a", "b", frozenset())
    assert r is not None
    assert r.paths == (("t1",),)


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_ecmp_splits_datagrams_evenly_in_both_engines(engine: str) -> None:
    """The quick version: per-datagram hashing puts each datagram on either tunnel with
    probability 1/2 (binomial: 0.5 +- 0.01 for 9,375 datagrams is 2 standard errors);
    both engines spread the flows over the paths with the same shares."""
    trace, _ = _ecmp_run(engine, duration=0.5)
    a = trace.attempts  # type: ignore[attr-defined]
    on_t1 = np.array([trace.paths[p] == ("t1",) for p in a["path"]])  # type: ignore[attr-defined]
    assert on_t1.mean() == pytest.approx(0.5, abs=0.01)
    assert len(a) == pytest.approx(RATE * 0.5, rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_ecmp_over_two_tunnels_is_two_md1k_queues(engine: str) -> None:
    """Both tunnels carry 40-60 % of the bytes, and the loss is M/D/1/5 at rho = 0.75
    (2.48 %). Tolerance: the loss of about 750,000 packets has a standard error near 0.03
    percentage points even with the queue's correlation (batches of a busy period are a
    few packets); 0.25 points is about eight of them."""
    trace, _summary = _ecmp_run(engine)
    carried = [trace.link_bytes["t1"], trace.link_bytes["t2"]]
    share = carried[0] / sum(carried)
    assert 0.4 < share < 0.6
    a = trace.attempts
    loss = float((a["status"] == LOST).mean())
    assert loss == pytest.approx(md1k_loss(0.75, 5), abs=0.0025)
    # without multipath everything rides t1, far beyond its capacity
    single, _ = _ecmp_run(engine, max_paths=1, duration=5.0)
    assert single.link_bytes.get("t2", 0.0) == 0.0  # type: ignore[attr-defined]


@pytest.mark.slow
def test_engines_agree_on_ecmp() -> None:
    """P95/P99 of the delivered datagrams within 1 % (or the exact engine's interval)."""
    _, exact = _ecmp_run("exact")
    _, fast = _ecmp_run("fast")
    e, f = exact.traffic["p"].latency_ms, fast.traffic["p"].latency_ms  # type: ignore[attr-defined]
    for q in ("p95", "p99"):
        lo, hi = getattr(e, f"{q}_ci")
        got, want = getattr(f, q), getattr(e, q)
        assert lo <= got <= hi or got == pytest.approx(want, rel=0.01)


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_ecmp_failover_follows_each_path(engine: str) -> None:
    """One tunnel blackholed (DPD 30 s, hold 30 s - U(0, 10 s)): the flows hashed onto it
    are lost until detection, those on the other tunnel never; then all ride the other."""
    topo = topology(ECMP % (2, 2))
    probes = TrafficClass("p", K.ONE_WAY, "a", ("b",), rate=200.0, size=Dist.constant(SIZE))
    hole = Failure(TargetKind.LINK, "t1", 5.0, None, FailureMode.BLACKHOLE)
    trace = build_simulation(
        Scenario("ecmp-fail", topo, 60.0, 0.0, 4, (probes,), (hole,)), engine=engine
    ).run()
    a = trace.attempts
    during = (a["t_send"] > 6.0) & (a["t_send"] < 20.0)  # before any detection (>= 20 s)
    on_t1 = np.array([trace.paths[p] == ("t1",) for p in a["path"]])
    assert (a["status"][during & on_t1] == LOST).all()
    assert (a["status"][during & ~on_t1] == OK).all()
    assert 0.4 < on_t1[during].mean() < 0.6
    after = a["t_send"] > 35.0
    assert not on_t1[after].any()
    assert (a["status"][after] == OK).all()


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_bulk_only_scenario_runs_on_both_engines(engine: str) -> None:
    """Issue 10 item 7: the fast engine used to crash on a scenario with only bulk traffic."""
    topo = topology(ECMP % (1, 1))
    bulk = TrafficClass("bulk", K.BULK, "a", ("b",), volume_rate=1e6, max_rate=50e6)
    scenario = Scenario("bulk-only", topo, 60.0, 0.0, 1, (bulk,))
    summary = summarize(build_simulation(scenario, engine=engine).run(), scenario)
    assert summary.to_json()["links"]["t1"]["bytes"] == pytest.approx(60e6, rel=1e-6)

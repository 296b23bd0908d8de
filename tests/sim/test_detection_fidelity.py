"""Failure modes of random failures and loss that BFD sees (issue 10 items 3, 4, 5).

Oracles:

- ``failure_mode: blackhole`` on the MCR group: a random MCR outage must cost exactly what
  the scripted blackhole of the same group costs (the scripted run is the oracle), i.e.
  GCP's BFD 1 s x 5 + 1 s convergence, about 6.0-6.1 s; as a carrier loss, 1 s.
- ``loss:p`` with BFD: each direction's control packets (one per ``interval`` after the
  loss starts) are lost independently with probability p, and the session goes down at
  the packet that completes the first run of ``multiplier`` losses in either direction.
  The number N of packets to a run of m losses is a Markov chain on the current run
  length; ``P(N > n)`` is its survival, and the earlier of the two directions has
  ``E[min] = sum_n P(N > n)^2`` (and ``E[min^2] = sum_n (2n + 1) P(N > n)^2``). For BFD
  300 ms x 3 at p = 0.5: 0.3 s x 8.057 = 2.417 s. Without BFD the hold timer expires
  ``hold`` after the last keepalive through, once ``hold / keepalive`` in a row are lost
  (keepalives with a uniform phase per direction), integrated numerically.
- The failover record names the mechanism that fired: for an internet access link cut,
  the tunnels' hold timer or DPD, not the access link's carrier.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from netsim.analysis.summary import summarize
from netsim.model import load_topology
from netsim.model.dist import Dist
from netsim.model.scenario import Failure, FailureMode, Scenario, TargetKind, TrafficClass
from netsim.model.scenario import TrafficKind as K
from netsim.model.topology import Bgp
from netsim.sim.engine import build_simulation
from netsim.testing.machine import control_trace

HUB = load_topology("topologies/megaport-hub.yaml")
PROBES = (
    TrafficClass("to-gcp", K.ONE_WAY, "aws", ("gcp",), rate=50.0, size=Dist.constant(200.0)),
    TrafficClass("from-gcp", K.ONE_WAY, "gcp", ("aws",), rate=50.0, size=Dist.constant(200.0)),
)


def _only_group_fails(mode: FailureMode | None) -> object:
    """megaport-hub where only the MCR group fails at random (every 20 min, for 60 s)."""
    quiet = tuple(dataclasses.replace(x, mtbf=None) for x in HUB.links)
    nodes = tuple(dataclasses.replace(n, mtbf=None) for n in HUB.nodes)
    group = dataclasses.replace(
        HUB.group("megaport-mcr"), mtbf=1200.0, mttr=Dist.constant(60.0), failure_mode=mode
    )
    return dataclasses.replace(HUB, links=quiet, nodes=nodes, groups=(group,))


def _gaps(scenario: Scenario, engine: str) -> list[float]:
    summary = summarize(build_simulation(scenario, engine=engine).run(), scenario)
    return [f.gap_s for f in summary.failovers]


@pytest.mark.parametrize("engine", ["fast", pytest.param("exact", marks=pytest.mark.slow)])
def test_random_mcr_blackhole_costs_what_the_scripted_one_does(engine: str) -> None:
    scripted = Scenario(
        "scripted",
        HUB,
        300.0,
        0.0,
        1,
        PROBES,
        (Failure(TargetKind.GROUP, "megaport-mcr", 100.0, 60.0, FailureMode.BLACKHOLE),),
    )
    (oracle,) = _gaps(scripted, engine)
    assert oracle == pytest.approx(6.0, abs=0.11)  # BFD 1 s x 5 + 1 s, probes every 20 ms
    topo = _only_group_fails(FailureMode.BLACKHOLE)
    randomly = Scenario("random", topo, 7200.0, 0.0, 2, PROBES, random_failures=True)  # type: ignore[arg-type]
    gaps = _gaps(randomly, engine)
    assert len(gaps) >= 3
    assert gaps == pytest.approx([oracle] * len(gaps), abs=0.1)
    # the default (failure_mode unset): a carrier loss, detected at once: 1 s of convergence
    topo = _only_group_fails(None)
    down = _gaps(Scenario("random", topo, 7200.0, 0.0, 2, PROBES, random_failures=True), engine)  # type: ignore[arg-type]
    assert down == pytest.approx([1.0] * len(down), abs=0.1)


def _survival(p: float, m: int, n_max: int) -> np.ndarray:
    """P(N > n), n = 0..n_max: the chain on the current run length (absorbing at m)."""
    t = np.zeros((m, m))
    for r in range(m):
        t[r, 0] = 1 - p  # a packet gets through: the run starts again
        if r + 1 < m:
            t[r, r + 1] = p  # lost: the run grows (at m: detected, leaves the chain)
    state = np.eye(m)[0]
    out = []
    for _ in range(n_max + 1):
        out.append(state.sum())
        state = state @ t
    return np.asarray(out)


def test_survival_oracle() -> None:
    s = _survival(0.5, 3, 2000)
    assert s.sum() == pytest.approx((1 - 0.5**3) / (0.5 * 0.5**3))  # E[N] = 14
    assert (s**2).sum() == pytest.approx(8.057, abs=1e-3)


def _detections(link: str, mode: FailureMode, loss: float, runs: int, topo: object) -> np.ndarray:
    """Seconds from a loss:p start to the link's detection, over ``runs`` seeds."""
    out = []
    for seed in range(runs):
        fail = Failure(TargetKind.LINK, link, 10.0, None, mode, loss)
        scenario = Scenario("loss", topo, 400.0, 0.0, seed, (), (fail,))  # type: ignore[arg-type]
        trace = control_trace(scenario, 400.0, seed)
        first = next(e for e in trace.events if e.kind == "detected" and e.subject == link)
        assert first.attrs["method"] in ("bfd", "hold")
        out.append(first.time - 10.0)
    return np.asarray(out)


def test_loss_half_is_detected_by_bfd_within_the_analytic_expectation() -> None:
    """aws-mcr, BFD 300 ms x 3, loss:0.5: mean detection 2.417 s. 400 runs: the standard
    error is sd / 20 (sd from the same survival); 4 of them is the tolerance."""
    s = _survival(0.5, 3, 3000) ** 2
    mean = 0.3 * s.sum()
    sd = 0.3 * math.sqrt(((2 * np.arange(len(s)) + 1) * s).sum() - s.sum() ** 2)
    got = _detections("aws-mcr", FailureMode.LOSS, 0.5, 400, HUB)
    assert mean == pytest.approx(2.417, abs=1e-3)
    assert abs(got.mean() - mean) < 4 * sd / math.sqrt(len(got))
    assert got.min() >= 0.9 - 1e-9  # at least one full run: 3 x 300 ms
    # at p = 1 it is the blackhole's 0.9 s, every time
    assert set(np.round(_detections("aws-mcr", FailureMode.LOSS, 1.0, 5, HUB), 9)) == {0.9}


def test_loss_without_bfd_is_detected_by_the_hold_timer() -> None:
    """No BFD, keepalive 1 s, hold 3 s, loss:0.5. Per direction T = U + (N - 1) s with U
    uniform on [0, 1 s) and N the packets to a run of 3 losses; the earlier direction's
    mean is the integral of P(T > t)^2."""
    link = dataclasses.replace(HUB.link("aws-mcr"), bfd=None, bgp=Bgp(1.0, 3.0, 5.0))
    topo = dataclasses.replace(
        HUB, links=tuple(link if x.name == "aws-mcr" else x for x in HUB.links)
    )
    s = _survival(0.5, 3, 400)  # P(N > n)
    pn = s[:-1] - s[1:]  # P(N = n + 1)... index n: P(N = n + 1)
    t = np.linspace(0.0, 200.0, 200_001)
    tail = np.zeros_like(t)
    for n, prob in enumerate(pn, start=1):
        # P(U + (n - 1) > t) for U uniform on [0, 1)
        tail += prob * np.clip(n - t, 0.0, 1.0)
    mean = float(np.trapezoid(tail**2, t))
    got = _detections("aws-mcr", FailureMode.LOSS, 0.5, 400, topo)
    sd = math.sqrt(2 * float(np.trapezoid(t * tail**2, t)) - mean**2)
    assert abs(got.mean() - mean) < 4 * sd / math.sqrt(len(got))
    assert got.min() >= 2.0 - 1e-9  # hold - keepalive at the earliest


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_loss_half_fails_over_and_the_record_says_bfd(engine: str) -> None:
    """After detection and 1 s of convergence aws->gcp leaves aws-mcr for the VPN; both
    engines read the same control plane, so the record and the switch agree exactly. The
    session retries at once (``bgp.reestablish`` 5 s) and, while the loss lasts, may go
    down again: the record keeps the first detection and switch."""
    fail = Failure(TargetKind.LINK, "aws-mcr", 10.0, 60.0, FailureMode.LOSS, 0.5)
    scenario = Scenario("loss", HUB, 100.0, 0.0, 5, PROBES[:1], (fail,))
    trace = build_simulation(scenario, engine=engine).run()
    (rec,) = trace.failovers
    assert rec.detection is not None
    assert rec.detection.value == "bfd"
    assert rec.detected_at_s is not None
    assert rec.switched_at_s is not None
    assert rec.switched_at_s - rec.detected_at_s == pytest.approx(1.0)
    a = trace.attempts
    after = (a["t_send"] > rec.switched_at_s + 0.01) & (a["t_send"] < rec.switched_at_s + 4.0)
    paths = {trace.paths[p] for p in a["path"][after]}
    assert paths == {("vpn-aws-gcp",)}
    exact = build_simulation(scenario, engine="exact").run().failovers
    assert trace.failovers == exact


def test_access_link_failover_names_the_tunnels_detection() -> None:
    """Issue 10 item 5: aws-inet loses carrier, the tunnels over it are blackholed and
    found dead by the hold timer (hold 30 s - U(0, 10 s)) or DPD (30 s); the record used
    to say "carrier" at the instant of the cut."""
    fails = (
        Failure(TargetKind.LINK, "aws-mcr", 5.0, None, FailureMode.DOWN),
        Failure(TargetKind.LINK, "aws-inet", 10.0, 200.0, FailureMode.DOWN),
    )
    scenario = Scenario("access", HUB, 300.0, 0.0, 1, PROBES[:1], fails)
    trace = build_simulation(scenario).run()
    rec = trace.failovers[1]
    assert rec.subject == "aws-inet"
    assert rec.detection is not None
    assert rec.detection.value in ("hold", "dpd")
    assert rec.detected_at_s is not None
    assert 20.0 <= rec.detected_at_s - 10.0 <= 30.0
    assert rec.switched_at_s is not None
    assert rec.switched_at_s > rec.detected_at_s

"""Order-preserving delay per flow on internet paths (issue 11, item 4), in both engines.

Oracles:
- Order: a real path does not let a packet overtake the one its connection sent before it.
  On a VPN whose delay is lognormal with a 4 ms scale, packets 0.5 ms apart would reorder
  often if each drew its own delay (the previous model did); with the wander no delivered
  packet of a flow may arrive before an earlier-sent one. Exact: zero reorderings.
- Marginal law: ``Z(t) = cos(a) N_k + sin(a) N_(k+1)`` is standard normal at every ``t``
  (cos^2 + sin^2 = 1), so every packet's delay still has the link's declared distribution.
  Checked by a Kolmogorov-Smirnov test on draws at times a knot apart (independent: each
  uses its own pair of knots), and in a run by the one-way delay quantiles, whose tolerance
  comes from the effective number of independent samples (one per knot spacing).
- The two engines compute the same function of (flow, departure time): on an idle link
  each packet lands at its departure from the FIFO queue plus the wander at that
  moment, to float precision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
import scipy.stats

from netsim.model.dist import Dist
from netsim.sim.wander import Wander, flow_code, knot_spacing
from tests.helpers import run, scenario_on_t

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model.scenario import Scenario

JITTER = Dist("lognorm", (("s", 0.6), ("loc", 0.014), ("scale", 0.004)))
SERVICE_200B = (200 + 62) * 8 / 1e9  # one 200 B datagram plus ESP overhead at 1 Gbit/s


def vpn_pair(tmp_path: Path, traffic: str, duration: str = "60s", kind: str = "vpn") -> Scenario:
    # a VPN's default max_pps (140k/s) would bind before 1 Gbit/s for 200 B: lift it
    extra = "underlay: [], max_pps: 1000000/s," if kind == "vpn" else ""
    (tmp_path / "t.yaml").write_text(f"""
name: wander
nodes: {{a: {{role: cloud}}, b: {{role: cloud}}}}
links:
  - {{name: ab, kind: {kind}, endpoints: [a, b], capacity: 1Gbps, {extra}
     delay: {{dist: lognorm, s: 0.6, loc: 14ms, scale: 4ms}}}}
""")
    return scenario_on_t(tmp_path, traffic, duration)


def test_the_process_is_standard_normal_at_every_moment() -> None:
    w = Wander.of(JITTER, 11, 0)
    rng = np.random.default_rng(5)
    # one draw per knot interval, at a uniform phase within it: independent draws
    t = (np.arange(20_000) + rng.random(20_000)) * w.tau
    z = w.normals(0, np.full(len(t), flow_code(0, 0, 0)), t)
    assert scipy.stats.kstest(z, "norm").pvalue > 0.01


def test_knot_spacing_bounds_the_slope() -> None:
    # Oracle: within 6 sigma dD/dt > -1 by construction (a later packet lands later);
    # measured on a fine grid over 2000 knots, where |Z| and |W| stay far below 6.
    w = Wander.of(JITTER, 3, 1)
    t = np.linspace(0.0, 2000 * w.tau, 4_000_001)
    d = w.delay(1, np.full(len(t), flow_code(2, 1, 1)), t)
    assert np.min(np.diff(d) / np.diff(t)) > -1.0
    assert knot_spacing(Dist.constant(0.01)) == 0.01  # the floor


@pytest.mark.parametrize("engine", ["exact", "fast"])
@pytest.mark.parametrize("kind", ["vpn", "internet"])
def test_a_flow_keeps_its_order(tmp_path: Path, engine: str, kind: str) -> None:
    scenario = vpn_pair(
        tmp_path,
        "  - {name: p, kind: one-way, from: a, to: b, rate: 2000/s, size: 200B}\n"
        "  - {name: q, kind: one-way, from: a, to: b, rate: 2000/s, size: 200B}",
        kind=kind,
    )
    trace, _ = run(scenario, engine=engine)
    a = trace.attempts
    for c in (0, 1):
        rows = (a["cls"] == c) & ~np.isnan(a["t_done"])
        order = np.argsort(a["t_send"][rows], kind="stable")
        done = a["t_done"][rows][order]
        assert len(done) > 100_000
        assert int(np.sum(np.diff(done) < 0)) == 0
    # Two flows wander independently: at the same moments their delays differ by about
    # the law's spread (median |difference| of two independent draws: several ms), where
    # one shared path would give ~0.
    sent = [a["t_send"][a["cls"] == c] for c in (0, 1)]
    lat = [a["t_done"][a["cls"] == c] - sent[c] for c in (0, 1)]
    order = np.argsort(sent[1])
    q_at_p = np.interp(sent[0], sent[1][order], lat[1][order])
    assert np.nanmedian(np.abs(lat[0] - q_at_p)) > 1e-3


def test_request_response_flows_keep_their_order(tmp_path: Path) -> None:
    scenario = vpn_pair(
        tmp_path,
        "  - {name: api, kind: request-response, from: a, to: b, rate: 1000/s,\n"
        "     request_size: 2KB, response_size: 8KB, server_time: 1ms, timeout: 5s}",
        duration="30s",
    )
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        a = trace.attempts
        ok = ~np.isnan(a["t_done"])
        order = np.argsort(a["t_send"][ok], kind="stable")
        # constant server time, no mesh: responses come back in the order requests left
        assert int(np.sum(np.diff(a["t_done"][ok][order]) < 0)) == 0, engine


def test_delays_keep_the_declared_distribution(tmp_path: Path) -> None:
    scenario = vpn_pair(
        tmp_path,
        "  - {name: p, kind: one-way, from: a, to: b, rate: 20/s, size: 200B}",
        duration="6h",
    )
    tau = knot_spacing(JITTER)
    effective = 6 * 3600 / (2 * tau)  # delays 2 tau apart share no knot: independent
    frozen = JITTER.frozen()
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        a = trace.attempts
        delay = a["t_done"] - a["t_send"] - SERVICE_200B
        for q in (0.5, 0.95):
            # 4 standard errors of a quantile estimated from `effective` samples
            se = np.sqrt(q * (1 - q) / effective) / frozen.pdf(frozen.ppf(q))
            assert np.quantile(delay, q) == pytest.approx(frozen.ppf(q), abs=4 * se), (engine, q)


def test_engines_compute_the_same_delays(tmp_path: Path) -> None:
    scenario = vpn_pair(
        tmp_path, "  - {name: p, kind: one-way, from: a, to: b, rate: 200/s, size: 200B}"
    )
    wander = Wander.of(JITTER, scenario.seed, 0)  # link 0, direction a -> b
    for engine in ("exact", "fast"):
        trace, _ = run(scenario, engine=engine)
        a = trace.attempts
        order = np.argsort(a["t_send"], kind="stable")
        sent = a["t_send"][order]
        depart = np.empty(len(sent))  # the FIFO queue: the rare packet waits for the last
        last = -np.inf
        for n, t in enumerate(sent):
            last = depart[n] = max(t, last) + SERVICE_200B
        expected = depart + wander.delay(0, np.full(len(depart), flow_code(0, 0, 0)), depart)
        np.testing.assert_allclose(a["t_done"][order], expected, rtol=0, atol=1e-9)

"""The simulator's queueing against queueing theory (the oracle).

One link direction, Poisson arrivals of one-way messages, no propagation delay and no
mesh: each message's latency is its sojourn time in a FIFO queue served at ``capacity``.
- exponential sizes -> M/M/1: sojourn ~ Exp(mu - lambda): mean 1/(mu-lambda),
  P95 ln(20)/(mu-lambda);
- fixed sizes -> M/D/1: mean sojourn 1/mu + rho / (2 mu (1 - rho)) (Pollaczek-Khinchine);
- Little's law: the time-average number in the system, sampled at independent random
  instants, equals lambda times the mean sojourn, and rho/(1-rho) for M/M/1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.model import load_scenario
from netsim.sim.engine import build_simulation
from netsim.trace.core import OK

if TYPE_CHECKING:
    from pathlib import Path

MU = 1000.0  # messages per second: 1000 B at 8 Mbit/s
CAPACITY = "8Mbps"


def _queue_scenario(
    tmp_path: Path, rate: float, size: str, duration: str = "600s", engine: str = "exact"
) -> tuple[np.ndarray, np.ndarray]:
    (tmp_path / "one-link.yaml").write_text(f"""
name: one-link
nodes: {{a: {{}}, b: {{}}}}
links:
  - {{name: ab, endpoints: [a, b], capacity: {CAPACITY}, delay: 0s}}
""")
    (tmp_path / "queue.yaml").write_text(f"""
name: queue
topology: one-link.yaml
duration: {duration}
warmup: 10s
seed: 12345
traffic:
  - {{name: msgs, kind: one-way, from: a, to: b, rate: {rate}/s, size: {size}, timeout: 1h}}
""")
    scenario = load_scenario(tmp_path / "queue.yaml")
    trace = build_simulation(scenario, engine=engine).run()
    a = trace.attempts
    keep = (a["t_send"] >= 10.0) & (a["status"] == OK)
    return a["t_send"][keep], a["t_done"][keep]


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_mm1_sojourn_mean_and_p95(tmp_path: Path, rho: float) -> None:
    lam = rho * MU
    sent, done = _queue_scenario(
        tmp_path, lam, "{dist: expon, scale: 1000B}", duration="600s" if rho == 0.5 else "1500s"
    )
    sojourn = done - sent
    expected_mean = 1 / (MU - lam)
    expected_p95 = math.log(20) / (MU - lam)
    assert sojourn.mean() == pytest.approx(expected_mean, rel=0.03)
    assert np.quantile(sojourn, 0.95) == pytest.approx(expected_p95, rel=0.03)


@pytest.mark.slow
def test_md1_pollaczek_khinchine(tmp_path: Path) -> None:
    rho = 0.7
    lam = rho * MU
    sent, done = _queue_scenario(tmp_path, lam, "1000B")
    expected = 1 / MU + rho / (2 * MU * (1 - rho))
    assert (done - sent).mean() == pytest.approx(expected, rel=0.03)
    # Deterministic service: nobody is faster than one service time.
    assert (done - sent).min() >= 1 / MU - 1e-12


@pytest.mark.slow
def test_littles_law(tmp_path: Path) -> None:
    rho = 0.6
    lam = rho * MU
    sent, done = _queue_scenario(tmp_path, lam, "{dist: expon, scale: 1000B}")
    rng = np.random.default_rng(99)
    instants = np.sort(rng.uniform(sent[0] + 1, sent[-1] - 1, 20000))
    # number in system at each instant: arrived before it and not yet departed
    arrived = np.searchsorted(sent, instants, side="right")
    departed = np.searchsorted(np.sort(done), instants, side="right")
    in_system = (arrived - departed).mean()
    measured_lambda = len(sent) / (sent[-1] - sent[0])
    assert in_system == pytest.approx(measured_lambda * (done - sent).mean(), rel=0.05)
    assert in_system == pytest.approx(rho / (1 - rho), rel=0.05)

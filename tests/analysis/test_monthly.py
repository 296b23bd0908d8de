"""``window: month``: the monthly figure composed from a run's two states.

Oracles: the failure fraction is one minus the product of the path's elements'
availabilities, ``mtbf / (mtbf + E[mttr])``, worked out here from the topology file; the
monthly P95 is the 95 % point of the mixture ``(1 - f) F_normal + f F_failure``, computed
here with numpy on the run's own requests; a success ratio is the weighted mean.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from netsim.analysis.requests import request_table
from netsim.analysis.windows import failure_spans, in_spans
from netsim.model import load_scenario
from netsim.pipeline import simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def lognorm_mean(s: float, scale_h: float) -> float:
    return scale_h * 3600.0 * math.exp(s * s / 2)


def test_the_month_mixes_the_two_states_by_the_availability_model() -> None:
    scenario = load_scenario(
        SCENARIOS / "interconnect-blackhole.yaml",
        ["duration=6m", "slos.api-p95.window=month", "slos.api-availability.window=month"],
    )
    trace, summary = simulate(scenario, engine="fast")
    p95 = next(s for s in summary.slos if s.name == "api-p95")
    ok = next(s for s in summary.slos if s.name == "api-availability")
    assert p95.month is not None
    assert ok.month is not None
    # aws-mcr, megaport-mcr, gcp-mcr in series (megaport-hub.yaml): links 8760 h with
    # lognormal(s 0.8, scale 4 h) repairs, the group 43800 h with 2 h.
    link = 8760 * 3600.0 / (8760 * 3600.0 + lognorm_mean(0.8, 4.0))
    group = 43800.0 / (43800.0 + 2.0)
    f = 1.0 - link * link * group
    assert p95.month.failure_fraction == np.float64(round(f, 9)) or math.isclose(
        p95.month.failure_fraction, f, rel_tol=1e-6
    )
    req = request_table(trace)
    mine = (req.cls == trace.classes.index("api")) & (req.t_send >= trace.warmup)
    during = in_spans(req.t_send, failure_spans(trace))
    lat = req.latency * 1e3
    normal, failing = lat[mine & req.ok & ~during], lat[mine & req.ok & during]
    x = np.sort(np.concatenate([normal, failing]))
    weights = np.concatenate(
        [np.full(len(normal), (1 - f) / len(normal)), np.full(len(failing), f / len(failing))]
    )[np.argsort(np.concatenate([normal, failing]), kind="stable")]
    expected = x[np.searchsorted(np.cumsum(weights), 0.95 - 1e-12)]
    assert p95.month.measured == round(float(expected), 3)
    lo, hi = p95.month.ci
    assert lo is not None
    assert hi is not None
    assert lo <= p95.month.measured <= hi
    assert np.quantile(normal, 0.95) <= p95.month.measured <= np.quantile(failing, 0.95)
    s_n = req.ok[mine & ~during].mean()
    s_f = req.ok[mine & during].mean()
    assert ok.month.measured == round(float((1 - f) * s_n + f * s_f), 6)
    assert p95.to_json()["window"] == "month"

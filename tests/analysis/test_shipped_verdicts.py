"""The shipped scenarios re-judged by their intervals (issue 15) and their windows (issue 12).

Oracle: the definitions. An SLO without a window (failover gap, throughput) is judged on
the whole run: its verdict must agree with ``"pass"`` wherever the interval is wholly on
one side of the target (an interval holds the point estimate), so a change of verdict is
only ever to *at risk*. A latency or success SLO is judged per window (issue 12): its
verdict is the worst of its windows' (does not hold if any window does not, else at risk
if any is, else holds), while ``"pass"`` stays the whole run's point estimate, as the
contract defines it. Which SLOs are at risk or do not hold as shipped is part of the
closing notes (docs/design.md, "SLO verdicts" and "SLO windows and the month"): a
failover seen through a 5-minute window weighs 5 to 10 times more than in the whole run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netsim.analysis.verdicts import Verdict
from netsim.model import load_scenario
from netsim.pipeline import simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
LONG = {"baseline", "random-failures-month", "baseline-year"}  # a day, a month, a year: benchmarks
#: Worst windows near their targets: interconnect-blackhole's and interconnect-cut's failover
#: window P95 49.6 and 49.4 ms against 50 ms, intervals 3 ms wide (a flow's VPN delay wanders
#: over about a second, sim/wander.py); dr-failover's success ratio in its region outage.
AT_RISK = {
    "interconnect-blackhole": {"api-p95"},
    "interconnect-cut": {"api-p95"},
    "dr-failover": {"dr-api-availability"},
}
#: Whole runs that pass with a window that does not: none since the VPNs keep each flow's
#: order (flapping-interconnect's P95 is 50.1 ms [49.5, 50.8] over the run and 53.7 ms in
#: the window of its flaps: it does not hold either way).
FAILS: dict[str, set[str]] = {}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", sorted(p.stem for p in SCENARIOS.glob("*.yaml") if p.stem not in LONG)
)
def test_shipped_verdicts(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    _, summary = simulate(scenario, engine="fast")
    at_risk, fails = set(), set()
    for slo in summary.slos:
        lo, hi = slo.ci
        if lo is not None and hi is not None and slo.measured is not None:
            assert lo <= slo.measured <= hi
        if slo.verdict is Verdict.AT_RISK:
            at_risk.add(slo.name)
            assert slo.settle is not None
            assert slo.settle.replications is not None
        if slo.windows is not None:
            n = slo.windows
            worst = Verdict.FAILS if n.failing else Verdict.AT_RISK if n.at_risk else Verdict.HOLDS
            assert slo.verdict is worst, slo.name
            if slo.verdict is Verdict.FAILS and slo.passed:
                fails.add(slo.name)  # the whole run passes, a window does not
        elif slo.month is None and slo.verdict is not Verdict.AT_RISK:
            assert slo.passed == (slo.verdict is not Verdict.FAILS), slo.name
    assert at_risk == AT_RISK.get(name, set())
    assert fails == FAILS.get(name, set())

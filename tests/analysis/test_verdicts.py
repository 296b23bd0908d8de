"""Three-way verdicts, what settles them, and replications pooled into one summary.

Oracles: the definitions (an interval inside, outside or across the target), the 1/sqrt(n)
law the extrapolation rests on (checked by running the longer run it asks for), and the
textbook t interval of independent replications (what pooling must give for a quantile).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import pytest
import scipy.stats

from netsim.analysis.intervals import CiMethod, Stat
from netsim.analysis.pooled import between_runs, pool
from netsim.analysis.results import Summary
from netsim.analysis.verdicts import Bound, Verdict, judge, overall, settle
from netsim.model import load_scenario
from netsim.pipeline import run_until_conclusive, simulate
from netsim.sweep import replication_seeds, run_replications

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model import Scenario
    from netsim.model.scenario import Failure


@pytest.mark.parametrize(
    ("ci", "bound", "verdict"),
    [
        ((40.0, 49.0), Bound.MAX, Verdict.HOLDS),
        ((40.0, 50.0), Bound.MAX, Verdict.HOLDS),  # on the target is inside it
        ((49.0, 51.0), Bound.MAX, Verdict.INCONCLUSIVE),
        ((50.5, 52.0), Bound.MAX, Verdict.FAILS),
        ((50.0, 52.0), Bound.MIN, Verdict.HOLDS),
        ((49.0, 51.0), Bound.MIN, Verdict.INCONCLUSIVE),
        ((45.0, 49.9), Bound.MIN, Verdict.FAILS),
        ((None, None), Bound.MAX, Verdict.HOLDS),  # no interval (a failover gap): the value
    ],
)
def test_judge(ci: tuple[float | None, float | None], bound: Bound, verdict: Verdict) -> None:
    assert judge(48.0 if ci[0] is None else (ci[0] + ci[1]) / 2, ci, 50.0, bound) is verdict


def test_no_data_does_not_hold_and_the_worst_verdict_wins() -> None:
    assert judge(None, (None, None), 50.0, Bound.MAX) is Verdict.FAILS
    assert overall([Verdict.HOLDS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert overall([Verdict.INCONCLUSIVE, Verdict.FAILS]) is Verdict.FAILS
    assert overall([]) is Verdict.HOLDS


def test_settle_extrapolates_by_one_over_root_n() -> None:
    how = settle(0.9995, (0.9990, 0.9999), 0.999, duration_s=3600.0, warmup_s=600.0)
    # the low side reaches 0.0005 below the estimate; it must shrink to 0.0005 - 0.0004
    assert how.factor == pytest.approx((0.0005 / 0.0005) ** 2)
    how = settle(49.6, (48.1, 51.2), 50.0, duration_s=600.0, warmup_s=0.0, scripted=True)
    assert how.run_s is None
    assert "dilute" in how.text
    assert how.replications == 19
    # 19 replications: t(18) x se / sqrt(19) <= 0.4 with se = 1.6 / 1.96
    se = 1.6 / scipy.stats.norm.ppf(0.975)
    assert scipy.stats.t.ppf(0.975, 18) * se / math.sqrt(19) <= 0.4
    assert scipy.stats.t.ppf(0.975, 17) * se / math.sqrt(18) > 0.4
    # one SLO window's estimate, no scripted failure: only replications settle it, and the
    # text gives that reason (not the scripted failures the run does not have)
    window = settle(49.6, (48.1, 51.2), 50.0, duration_s=300.0, warmup_s=0.0, window=True)
    assert window.run_s is None
    assert window.replications == how.replications
    assert "adds windows" in window.text
    assert "scripted" not in window.text
    on_target = settle(50.0, (49.0, 51.0), 50.0, duration_s=600.0, warmup_s=0.0)
    assert on_target.factor is None


def test_between_runs_is_the_t_interval_of_the_runs() -> None:
    values = [10.0, 12.0, 11.0, 13.0, 9.5]
    point, (lo, hi) = between_runs(values, [1] * 5, Stat.quantile(0.95))
    mean = sum(values) / 5
    half = scipy.stats.t.ppf(0.975, 4) * scipy.stats.tstd(values) / math.sqrt(5)
    assert point == pytest.approx(mean)
    assert (lo, hi) == pytest.approx((mean - half, mean + half))


def _queue(tmp_path: Path, max_ms: float, duration: str = "40s") -> Scenario:
    (tmp_path / "one-link.yaml").write_text("""
name: one-link
nodes: {a: {}, b: {}}
links:
  - {name: ab, endpoints: [a, b], capacity: 8Mbps, delay: 0s}
""")
    (tmp_path / "queue.yaml").write_text(f"""
name: queue
topology: one-link.yaml
duration: {duration}
warmup: 5s
seed: 3
traffic:
  - {{name: msgs, kind: one-way, from: a, to: b, rate: 700/s,
     size: {{dist: expon, scale: 1000B}}, timeout: 1h}}
slos:
  - {{name: p95, class: msgs, metric: latency, quantile: 0.95, max: {max_ms}ms}}
""")
    return load_scenario(tmp_path / "queue.yaml")


def test_pooled_replications(tmp_path: Path) -> None:
    scenario = _queue(tmp_path, 10.0)
    seeds = replication_seeds(3, 4)
    runs = run_replications(scenario, seeds, engine="fast", workers=1)
    pooled = pool(runs, scenario, seeds, 3)
    msgs, first = pooled.traffic["msgs"], runs[0].traffic["msgs"]
    assert msgs.sent == sum(r.traffic["msgs"].sent for r in runs)  # type: ignore[union-attr]
    assert pooled.seed == 3
    assert pooled.replications is not None
    assert pooled.replications.seeds == tuple(seeds)
    lat = msgs.latency_ms  # type: ignore[union-attr]
    assert lat is not None
    assert lat.methods is not None
    assert lat.methods["p95"].method is CiMethod.REPLICATIONS
    p95s = [r.traffic["msgs"].latency_ms.p95 for r in runs]  # type: ignore[union-attr]
    assert lat.p95 == pytest.approx(sum(p95s) / 4, abs=1e-3)
    assert lat.p95_ci[0] is not None
    assert lat.p95_ci[1] is not None
    assert lat.p95_ci[0] < lat.p95 < lat.p95_ci[1]
    (slo,) = pooled.slos
    assert slo.measured == pytest.approx(lat.p95, abs=1e-3)
    assert slo.verdict is not None
    assert first.kind is msgs.kind
    back = Summary.from_json(pooled.to_json())
    assert back.replications == pooled.replications
    assert back.slos == pooled.slos
    # N identical runs still get a width: their own intervals over sqrt(N)
    same = pool([runs[0]] * 4, scenario, [seeds[0]] * 4, 3)
    ci = same.traffic["msgs"].latency_ms.p95_ci  # type: ignore[union-attr]
    assert ci[0] is not None
    assert ci[1] is not None
    assert ci[0] < ci[1]


@pytest.mark.slow
def test_until_conclusive_runs_longer_until_settled(tmp_path: Path) -> None:
    # The P95 of M/M/1 at load 0.7 is ln(20)/300 s = 9.99 ms: a 10.8 ms target is close
    # enough to be inconclusive after 40 s, far enough to be settled by a longer run.
    scenario = _queue(tmp_path, 10.8)
    _, first = simulate(scenario, engine="fast")
    assert first.judged is Verdict.INCONCLUSIVE
    (slo,) = first.slos
    assert slo.settle is not None
    assert slo.settle.run_s is not None
    settled = run_until_conclusive(scenario, engine="fast", max_duration=40 * 60.0)
    note = settled.summary.until_conclusive
    assert note is not None
    assert note.settled
    assert settled.summary.judged is Verdict.HOLDS
    assert settled.trace is not None
    assert settled.summary.duration_s > scenario.duration
    assert note.steps[0].startswith("ran 40 s: at risk")
    assert note.steps[-1].endswith("holds")


def test_until_conclusive_stops_at_the_cap(tmp_path: Path) -> None:
    scenario = _queue(tmp_path, 10.0)  # the truth is on the target: nothing settles it
    settled = run_until_conclusive(scenario, engine="fast", max_duration=80.0)
    note = settled.summary.until_conclusive
    assert note is not None
    assert not note.settled
    assert settled.summary.duration_s <= 80.0
    assert "cap" in note.steps[-1]


def test_until_conclusive_pools_replications_when_failures_are_scripted(
    tmp_path: Path,
) -> None:
    # the truth (9.99 ms) on the target: inconclusive after 40 s whatever the draws, so
    # the loop has to pool (a 10.8 ms target settled in the first 40 s on some draws)
    scenario = _queue(tmp_path, 10.0)
    scripted = dataclasses.replace(scenario, failures=scripted_failure(tmp_path))
    settled = run_until_conclusive(scripted, engine="fast", max_duration=400.0, workers=1)
    note = settled.summary.until_conclusive
    assert note is not None
    assert settled.trace is None
    assert settled.summary.replications is not None
    assert any("replications" in step for step in note.steps)


def scripted_failure(tmp_path: Path) -> tuple[Failure, ...]:
    """A scripted 1 s carrier loss of the link at 20 s (the scenario's failure list)."""
    text = (tmp_path / "queue.yaml").read_text()
    (tmp_path / "failing.yaml").write_text(
        text + "failures:\n  - {link: ab, at: 20s, duration: 1s, mode: down}\n"
    )
    return load_scenario(tmp_path / "failing.yaml").failures


@pytest.mark.slow
def test_replications_on_dask_pool_like_local_ones(tmp_path: Path) -> None:
    """The same seeds on a Dask cluster give the same pooled summary (the sweep's runner)."""
    from dask.distributed import LocalCluster

    from netsim.pipeline import simulate_replications

    scenario = _queue(tmp_path, 10.0)
    local, _ = simulate_replications(scenario, 3, engine="fast", workers=1)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote, runs = simulate_replications(
            scenario, 3, engine="fast", scheduler=cluster.scheduler_address
        )
    assert len(runs) == 3
    assert dataclasses.replace(remote, wall_s=0.0) == dataclasses.replace(local, wall_s=0.0)

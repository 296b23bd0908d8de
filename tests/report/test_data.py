"""Run directories as the report reads them: one scenario run with several seeds.

``netsim report a b`` over two runs of one scenario with different seeds must review one
scenario, not two: the runs are its replications, pooled as ``netsim run
--replications`` pools them (docs/formats.md, "Pooled runs").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from netsim.errors import InputError
from netsim.report.adr import ADR_003
from netsim.report.data import load_runs
from netsim.report.findings import Context, finding_failover

from .conftest import planned

if TYPE_CHECKING:
    from collections.abc import Callable

    from netsim.report.data import Run
    from netsim.report.jobs import Planned


def _short(seed: int, rate: str = "40/s") -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data.update(duration="4m", warmup="30s", seed=seed)
        data["traffic"][0]["rate"] = rate

    return edit


@pytest.fixture(scope="module")
def seeded(simulate: Callable[[Planned], Run]) -> dict[str, Run]:
    """interconnect-blackhole cut to 4 minutes, with seed 1, seed 2, and seed 3 at
    another API rate (a different scenario under the same name)."""
    out = {
        key: simulate(planned("interconnect-blackhole", _short(seed, rate), key=key))
        for key, seed, rate in (("s1", 1, "40/s"), ("s2", 2, "40/s"), ("other", 3, "20/s"))
    }
    verify = planned("interconnect-blackhole", _short(1, "20/s"), key="rec-verify")
    out["verify"] = simulate(dataclasses.replace(verify, roles=("verify",)))
    return out


def test_two_seeds_of_one_scenario_are_one_pooled_scenario(seeded: dict[str, Run]) -> None:
    """Oracle: the pooled-run format (docs/formats.md): one run whose counts are the sums
    of the two runs', whose failovers are those of both (each with its replication), whose
    replication note lists both seeds; the findings count one failure scenario."""
    a, b = seeded["s1"], seeded["s2"]
    assert a.path is not None
    assert b.path is not None
    runs = load_runs([a.path, b.path])
    assert len(runs) == 1
    run = runs[0]
    reps = run.summary.replications
    assert reps is not None
    assert reps.seeds == (1, 2)
    assert "(seeds 1, 2)" in run.label
    for name, cls in run.summary.traffic.items():
        sent = getattr(cls, "sent", None)
        if sent is not None:
            assert sent == getattr(a.summary.traffic[name], "sent", 0) + getattr(
                b.summary.traffic[name], "sent", 0
            )
    assert len(run.summary.failovers) == len(a.summary.failovers) + len(b.summary.failovers)
    assert {f.replication for f in run.summary.failovers} == {0, 1}
    assert any("pooled as replications: seed 1" in n and "seed 2" in n for n in run.notes)
    ctx = Context(run.topology, runs, ADR_003)
    assert len(ctx.mine) == 1
    finding = finding_failover(ctx)
    assert finding is not None
    assert "1 failure scenario" in finding.text  # not "All 2 failure scenarios"


def test_the_same_run_twice_counts_once(seeded: dict[str, Run]) -> None:
    """Oracle: a run given twice is one observation; its summary is unchanged."""
    a = seeded["s1"]
    assert a.path is not None
    runs = load_runs([a.path, a.path])
    assert len(runs) == 1
    assert runs[0].summary == load_runs([a.path])[0].summary
    assert any("counted once" in n for n in runs[0].notes)


def test_one_name_two_definitions_is_an_input_error(seeded: dict[str, Run]) -> None:
    """Oracle: runs that differ in more than the seed are not replications; the report
    names the run directory and does not pool them."""
    a, other = seeded["s1"], seeded["other"]
    assert a.path is not None
    assert other.path is not None
    with pytest.raises(InputError, match="differ in more than the seed") as exc:
        load_runs([a.path, other.path])
    assert str(other.path) in str(exc.value)


def test_a_reviews_re_simulation_stays_a_run_of_its_own(seeded: dict[str, Run]) -> None:
    """Oracle: a ``netsim review`` run directory keeps the re-simulations of its
    recommendations (role ``verify``) beside the runs they vary, under the same scenario
    name: ``netsim report`` over it neither pools them nor refuses them."""
    a, verify = seeded["s1"], seeded["verify"]
    assert a.path is not None
    assert verify.path is not None
    runs = load_runs([a.path, verify.path])
    assert [r.path for r in runs] == [a.path, verify.path]
    assert all(r.summary.replications is None for r in runs)
    # ... and it is not one of the design's runs: no finding counts it as a scenario.
    ctx = Context(runs[0].topology, runs, ADR_003)
    assert [r.path for r in ctx.mine] == [a.path]
    assert not ctx.what_ifs

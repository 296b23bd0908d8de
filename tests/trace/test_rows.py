"""``--records all|failures|none`` and the statistics that go with left-out rows.

Oracles: scipy.stats for the binomial quantile that order-statistic intervals read (netsim
computes it without importing scipy.stats); the run's own summary for a run directory
written with fewer rows (it must summarise the same, within the sketches' 0.1 %); counting
for which rows a directory holds. A quantile read from the sketches is an order statistic
within 0.1 %, so it must lie inside the rows' distribution-free confidence interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from netsim.analysis.summary import summarize
from netsim.model import load_scenario
from netsim.pipeline import simulate
from netsim.trace.files import load_trace, write_run
from netsim.trace.rows import AUTO_ALL_LIMIT, expected_attempts, resolve_records
from netsim.trace.sketch import binom_ppf

ROOT = Path(__file__).resolve().parents[2]


def test_binomial_quantile_is_scipys() -> None:
    rng = np.random.default_rng(0)
    for _ in range(3000):
        n = int(rng.integers(1, 10 ** int(rng.integers(1, 9))))
        q = float(rng.uniform(0.001, 0.999))
        p = float(rng.choice([0.5, 0.95, 0.99, 0.05, rng.random()]))
        assert binom_ppf(q, n, p) == int(scipy.stats.binom.ppf(q, n, p)), (q, n, p)


def test_auto_keeps_every_row_of_short_runs_only() -> None:
    short = load_scenario(ROOT / "scenarios" / "interconnect-blackhole.yaml")
    day = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert expected_attempts(short) <= AUTO_ALL_LIMIT < expected_attempts(day)
    assert resolve_records("auto", short) == "all"
    assert resolve_records("auto", day) == "failures"
    with pytest.raises(ValueError, match="records must be"):
        resolve_records("some", day)


@pytest.mark.parametrize("engine", ["fast", "exact"])
@pytest.mark.parametrize("records", ["failures", "none"])
def test_a_directory_with_fewer_rows_summarises_like_the_run(
    tmp_path: Path, engine: str, records: str
) -> None:
    scenario = load_scenario(
        ROOT / "scenarios" / "interconnect-blackhole.yaml", ["duration=4m", "failures.0.at=90s"]
    )
    full, _ = simulate(scenario, 2, engine, records="all")
    trace, summary = simulate(scenario, 2, engine, records=records)
    write_run(tmp_path, trace, summary)
    parquet = tmp_path / "attempts.parquet"
    assert parquet.exists() == (records != "none")
    back = load_trace(tmp_path)
    assert back.meta["rows"] == records
    if records == "failures":
        t = back.attempts["t_send"]
        assert 0 < len(t) < len(full.attempts)
        assert t.min() >= 90.0 - 30.0 - 1e-9  # from 30 s before the failure on
    else:
        assert len(back.attempts) == 0
    again = summarize(back, scenario).to_json()
    first = summary.to_json()
    for name, cls in first["traffic"].items():
        for key in ("sent", "delivered", "lost", "retried"):
            assert again["traffic"][name][key] == cls[key], (name, key)
        for q in ("p50", "p95", "p99"):
            # the sketch's order statistic (within 0.1 %) against the rows' interpolated
            # quantile: inside the rows' own confidence interval
            got = again["traffic"][name]["latency_ms"][q]
            lo, hi = cls["latency_ms"][f"{q}_ci"]
            assert lo * (1 - 2e-3) <= got <= hi * (1 + 2e-3), (name, q, got, lo, hi)
    if records == "failures":
        assert [f["gap_s"] for f in again["failovers"]] == [f["gap_s"] for f in first["failovers"]]

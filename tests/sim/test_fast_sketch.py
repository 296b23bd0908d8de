"""The fast engine's latency sketches against the ddsketch library and exact order statistics.

Oracles: ``ddsketch.LogarithmicMapping`` for the bucket keys (the library the sketch claims
to mirror) and numpy order statistics for the quantiles (DDSketch's guarantee: within the
relative accuracy alpha of the exact value of that rank).
"""

from __future__ import annotations

import numpy as np
import pytest
from ddsketch.mapping import LogarithmicMapping

from netsim.analysis.stats import quantile_ci
from netsim.trace.sketch import ALPHA, LatencySketch, SketchSet, keys_of, value_of


def test_keys_are_ddsketch_keys() -> None:
    values = np.random.default_rng(1).lognormal(-3.5, 1.2, 2000)
    mapping = LogarithmicMapping(ALPHA)
    assert keys_of(values).tolist() == [mapping.key(float(v)) for v in values]
    assert np.allclose(
        value_of(keys_of(values)),
        [mapping.value(mapping.key(float(v))) for v in values],
        rtol=1e-12,
    )


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_quantile_and_ci_within_alpha_of_order_statistics(q: float) -> None:
    values = np.random.default_rng(2).lognormal(-3.5, 0.6, 50_000)
    sketch = LatencySketch.of(values)
    x = np.sort(values)
    point, (lo, hi) = sketch.quantile_ci(q)
    assert point == pytest.approx(x[int(q * (len(x) - 1))], rel=ALPHA * 1.01)
    _, (elo, ehi) = quantile_ci(values, q)
    assert lo == pytest.approx(elo, rel=ALPHA * 1.01)
    assert hi == pytest.approx(ehi, rel=ALPHA * 1.01)
    # And ddsketch itself, fed the same buckets, answers the same.
    assert sketch.to_ddsketch().get_quantile_value(q) == pytest.approx(point, rel=1e-9)


def test_merging_buckets_equals_one_sketch_and_json_round_trips() -> None:
    rng = np.random.default_rng(3)
    t0 = rng.uniform(0, 7200, 30_000)
    cls = rng.integers(0, 2, 30_000)
    lat = rng.lognormal(-3.0, 0.5, 30_000)
    ok = rng.random(30_000) > 0.01
    s = SketchSet(["a", "b"], SketchSet.buckets(7200.0, 60.0))
    s.add_requests(cls, t0, ok, lat, np.ones(30_000, np.int64))
    back = SketchSet.from_json(s.to_json())
    for c in (0, 1):
        keep = (cls == c) & ok & (t0 >= 60.0)
        whole = LatencySketch.of(lat[keep])
        for merged in (s.merged(c), back.merged(c)):
            assert merged.offset == whole.offset
            assert np.array_equal(merged.counts, whole.counts)
        assert int(back.count["sent"][c, 1:].sum()) == int(((cls == c) & (t0 >= 60)).sum())
        assert back.lat_max[c, 1:].max() == pytest.approx(lat[keep].max())

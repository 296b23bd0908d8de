"""The fast engine's shortcuts give bit for bit what the plain numpy forms they replace give.

Oracles: ``np.insert``/``np.delete`` for the spliced heads, ``searchsorted`` for the sketch
buckets, ``np.maximum.at`` for the per-group maxima, the FIFO with its buffer test for the
solve that skips it, and the copying sample transform for the one writing in place.
"""

from __future__ import annotations

import numpy as np

from netsim.model.dist import Dist
from netsim.sim.fast.queue import fifo_queue, transform
from netsim.sim.fast.slots import delete_sorted, insert_sorted
from netsim.trace.sketch import SketchSet


def test_spliced_heads_equal_numpy_insert_and_delete() -> None:
    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(0, 40))
        a = rng.random(n)
        pos = np.sort(rng.integers(0, n + 1, int(rng.integers(0, 6))))
        for values in (rng.random(len(pos)), 0.0, -np.inf):
            assert np.array_equal(insert_sorted(a, pos, values), np.insert(a, pos, values))
        spliced = np.insert(a, pos, 0.5)
        where = pos + np.arange(len(pos))  # where np.insert put them
        assert np.array_equal(delete_sorted(spliced, where), np.delete(spliced, where))
        assert np.array_equal(delete_sorted(spliced, where), a)


def test_sketch_buckets_and_maxima_equal_the_plain_forms() -> None:
    rng = np.random.default_rng(4)
    sketches = SketchSet(["a", "b"], SketchSet.buckets(7 * 86400.0, 60.0))
    top = len(sketches.edges) - 2
    for lo, width in ((0.0, 30.0), (5000.0, 40000.0), (0.0, 7 * 86400.0), (6e5, 1e6)):
        t = lo + width * rng.random(1000)
        for times in (t, np.append(t, [np.inf, np.nan])):
            plain = np.clip(np.searchsorted(sketches.edges, times, side="right") - 1, 0, top)
            assert np.array_equal(sketches._bucket(times), plain)
    group = np.sort(rng.integers(0, 20, 3000))
    group[::7] = rng.integers(0, 20, len(group[::7]))  # runs, and strays
    lat = rng.lognormal(-3.0, 1.0, len(group))
    expected = np.full(sketches.lat_max.size, -np.inf)
    np.maximum.at(expected, group, lat)
    sketches._add_max(group, lat)
    assert np.array_equal(sketches.lat_max.reshape(-1)[: len(expected)], expected)


def test_fifo_without_the_buffer_test_where_nothing_can_overflow() -> None:
    rng = np.random.default_rng(5)
    service = rng.uniform(1e-4, 2e-3, 5000)
    tau = np.cumsum(rng.exponential(1e-3, 5000))
    wire = np.minimum(service, 1.5e-3)
    whole = fifo_queue(service, 0.0, tau, wire, buffer_s=1.0)
    plain = fifo_queue(service, 0.0, tau, service)
    assert not whole[1].any()
    assert np.array_equal(whole[0], plain[0])


def test_transform_in_place_equals_the_copy() -> None:
    z = np.random.default_rng(6).standard_normal(1000)
    for dist in (
        Dist("lognorm", (("s", 0.5), ("scale", 0.00055))),
        Dist("lognorm", (("s", 0.6), ("loc", 0.014), ("scale", 0.004))),
        Dist("norm", (("loc", 0.01), ("scale", 0.002))),
        Dist("expon", (("scale", 0.003),)),
        Dist("constant", (("value", 0.002),)),
    ):
        out = np.empty(1000)
        assert np.array_equal(transform(dist, z, out=out), transform(dist, z))
        assert np.array_equal(out, transform(dist, z))

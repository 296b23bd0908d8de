"""The fast engine's shortcuts give bit for bit what the plain numpy forms they replace give.

Oracles: ``np.insert``/``np.delete`` for the spliced heads and for moving traversals in a
direction's order, ``np.bincount`` for the bytes per bin, the
diurnal thinning that computes every candidate's rate for the one that skips it under the
window's least rate, ``searchsorted`` for the sketch
buckets, ``np.maximum.at`` for the per-group maxima, the FIFO with its buffer test for the
solve that skips it, the copying sample transform for the one writing in place, and
``np.argsort`` of the floats for the sort of times by their bit patterns.
"""

from __future__ import annotations

import numpy as np

from netsim.model.dist import Dist
from netsim.model.scenario import Profile
from netsim.sim.arrivals import profile_factor
from netsim.sim.fast.load import arrivals, local_floor, local_peak
from netsim.sim.fast.queue import fifo_queue, time_order, transform
from netsim.sim.fast.slots import SPLICE_LOOP, Slots, delete_sorted, insert_sorted, splice
from netsim.sim.fast.window import bytes_per_bin
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


def test_splice_equals_numpy_delete_then_insert() -> None:
    rng = np.random.default_rng(6)
    for n, changes in [(40, 6)] * 400 + [(3000, SPLICE_LOOP)] * 5:
        a = rng.random(n)
        drop = np.sort(rng.choice(n, int(rng.integers(0, changes + 1)), replace=False))
        pos = np.sort(rng.integers(0, n + 1, int(rng.integers(0, changes + 1))))
        values = rng.random(len(pos))
        kept = np.delete(a, drop)
        plain = np.insert(kept, pos - np.searchsorted(drop, pos), values)
        assert np.array_equal(splice(a, drop, pos, values), plain)


def _plain_move(
    orders: list[np.ndarray],
    times: list[np.ndarray],
    *,
    t: np.ndarray,
    d: np.ndarray,
    gone: np.ndarray,
    gone_d: np.ndarray,
    added: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray], dict[int, np.ndarray]]:
    """The orders after ``gone`` (from directions ``gone_d``) leave and ``added`` (now on
    ``d`` at ``t``) join, by np.delete and np.insert (the form ``Slots.move`` replaced):
    new traversals go after equal times already there."""
    orders, times = list(orders), list(times)
    for k in np.unique(gone_d):
        pos = np.flatnonzero(np.isin(orders[k], gone[gone_d == k]))
        orders[k], times[k] = np.delete(orders[k], pos), np.delete(times[k], pos)
    touched = {}
    for k in np.unique(d[added]):
        new = added[d[added] == k]
        new = new[np.argsort(t[new], kind="stable")]
        pos = np.searchsorted(times[k], t[new], side="right")
        orders[k], times[k] = np.insert(orders[k], pos, new), np.insert(times[k], pos, t[new])
        touched[k] = pos + np.arange(len(new))
    return orders, times, touched


def test_moving_traversals_equals_deleting_and_inserting_them() -> None:
    """Traversals re-walked by a little (updated where they stand), by a lot, onto another
    direction or out of every direction (spliced), with equal arrival times among them."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        n, dirs = 400, 3
        slots = Slots(n, 1, dirs, [1])
        slots.d[:] = rng.integers(-1, dirs, n)
        slots.t[:] = np.round(rng.random(n) * 100, 1 if trial % 4 == 0 else 9)  # ties
        slots.runs = None  # (written one by one: orders from d)
        slots.build_orders()
        before_orders, before_times = list(slots.orders), list(slots.times)
        used = np.flatnonzero(slots.d >= 0)
        moved = np.sort(rng.choice(used, int(rng.integers(1, 12)), replace=False))
        old_d, old_t = slots.d[moved].copy(), slots.t[moved].copy()
        shift = rng.choice([1e-9, 1e-3, 5.0])
        slots.t[moved] += rng.normal(0, shift, len(moved))
        if trial % 3 == 0:
            slots.d[moved[:2]] = rng.integers(-1, dirs, min(2, len(moved)))
        added = moved[slots.d[moved] >= 0]
        want_o, want_t, want_touched = _plain_move(
            before_orders, before_times, t=slots.t, d=slots.d, gone=moved, gone_d=old_d, added=added
        )
        touched, removed = slots.move(moved, old_d, old_t, moved.copy())
        for k in range(dirs):
            assert np.array_equal(slots.orders[k], want_o[k]), (trial, k)
            assert np.array_equal(slots.times[k], want_t[k]), (trial, k)
            assert np.array_equal(touched.get(k, []), want_touched.get(k, [])), (trial, k)
            assert np.array_equal(np.sort(removed.get(k, [])), np.sort(old_t[old_d == k]))


def test_bytes_per_bin_equals_bincount() -> None:
    rng = np.random.default_rng(8)
    for bin_s in (1.0, 512.0, 0.3, 0.1, 7.0):
        for trial in range(200):
            n = int(rng.integers(1, 500))
            t = np.sort(rng.random(n) * rng.choice([1.0, 50.0, 5000.0]))
            if trial % 3 == 0:  # arrivals exactly on bin edges
                t = np.sort(np.round(t / bin_s) * bin_s)
            wire = rng.random(n) * 1500
            n_bins = int(rng.integers(1, 200))
            b = (t * (1.0 / bin_s)).astype(np.int64)
            plain = np.bincount(b[b < n_bins], weights=wire[b < n_bins], minlength=n_bins)
            lo, part = bytes_per_bin(t, wire, bin_s, n_bins)
            got = np.zeros(n_bins)
            got[lo : lo + len(part)] = part
            np.testing.assert_allclose(got, plain[:n_bins], rtol=1e-12, atol=1e-9)


def test_thinning_under_the_least_rate_keeps_what_plain_thinning_keeps() -> None:
    rng = np.random.default_rng(9)
    day = 86400.0
    for trial in range(300):
        profile = Profile(float(rng.uniform(1.0, 6.0)), float(rng.uniform(0, day)))
        start = float(rng.uniform(0, 3 * day))
        stop = start + float(rng.choice([60.0, 3600.0, 6 * 3600.0, day / 2, 2 * day]))
        grid = np.linspace(start, stop, 2001)
        assert local_floor(profile, start, stop) <= profile_factor(profile, grid).min() + 1e-12
        rate = 3000.0 / (stop - start)  # a few thousand candidates
        got = arrivals(np.random.default_rng(trial), rate, profile, start, stop)
        plain_rng = np.random.default_rng(trial)  # the same draws, every rate computed
        top = local_peak(profile, start, stop)
        n = int(plain_rng.poisson(rate * top * (stop - start)))
        total = np.cumsum(plain_rng.standard_exponential(n + 1))
        times = start + (stop - start) * (total[:-1] / total[-1])
        keep = plain_rng.random(n) * top < profile_factor(profile, times)
        assert np.array_equal(got, times[keep]), trial


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


def test_times_sorted_by_their_bits_equal_the_stable_float_sort() -> None:
    rng = np.random.default_rng(11)
    cases = [np.zeros(0), np.array([0.0]), np.array([3.0, 3.0, 1.0, np.inf, 0.0, 3.0])]
    for _ in range(300):
        n = int(rng.integers(1, 400))
        runs = [np.sort(rng.random(n)) * 100 + rng.normal(0, 0.01, n) for _ in range(3)]
        t = np.abs(np.concatenate(runs))
        t[rng.integers(0, len(t), 5)] = t[rng.integers(0, len(t), 5)]  # equal times
        cases.append(t)
        cases.append(np.round(t))  # many ties
    # outside [+0, +inf]: the float sort itself (a negative time, -0.0, a NaN)
    cases += [np.array([1.0, -2.0, 0.5]), np.array([0.0, -0.0, 0.0]), np.array([np.nan, 1.0])]
    # NaNs whose bits differ (the float sort keeps their order; their bits would not)
    cases.append(np.array([0x7FF8000000000001, 0x7FF8000000000000, 0], np.int64).view(float))
    for t in cases:
        assert np.array_equal(time_order(t), np.argsort(t, kind="stable"))

"""Queue traversals of one window of the fast engine, kept across fixed-point rounds.

See :class:`Slots`; :class:`netsim.sim.fast.net.FastNet` fills and solves them.
"""

from __future__ import annotations

import numpy as np

from netsim.sim.fast.queue import distinct, hashed_uniform, time_order


class Slots:
    """Queue traversals of one window, persistent across fixed-point rounds.

    The window has ``n`` requests; each attempt has ``per = 2 H`` hops (``H`` per leg:
    request, response). Slot ``(k * per + j) * n + r`` is hop ``j`` of wave ``k`` of request
    ``r``: hop-major, so the same hop of consecutive requests is contiguous. ``d`` is the
    direction traversed (-1: none), ``t`` the arrival, ``svc`` the service time (``wire``
    its bytes), ``soj`` the
    sojourn from the last queue solve (NaN: the service time alone, e.g. a traversal that
    found its direction idle), ``queue`` the work found and ``drop`` the buffer verdict.
    ``orders[d]`` lists the slots of direction ``d`` sorted by arrival and ``times[d]``
    their arrival times (kept beside the order, so that finding a place in it never gathers
    the whole direction). The uniforms a traversal may need (loss, standing-queue phase)
    are hashed from its place and a key per wave (:meth:`uniform`), so they are drawn only
    where needed.
    When the slots hold a subset of a window's requests (``origin``: their places among
    the window's ``full`` requests), a traversal gets the uniform it has in the whole window.
    """

    def __init__(
        self,
        n: int,
        per: int,
        n_dirs: int,
        keys: list[int],
        *,
        origin: np.ndarray | None = None,
        full: int = -1,
    ) -> None:
        block = n * per
        self.n, self.per, self.block = n, per, block
        self.origin = origin
        self.full = n if origin is None else full
        self.keys = keys  # per wave: key of the hashed uniforms
        self.waves = 1
        self.d = np.full(block, -1, np.int16)
        self.t = np.empty(block)
        self.svc = np.empty(block)
        self.wire = np.empty(block)  # bytes on the wire (the counters')
        self.soj = np.full(block, np.nan)  # NaN: the service time alone
        self.queue = np.zeros(block)
        self.drop = np.zeros(block, dtype=bool)
        self.fresh = np.zeros(block, dtype=bool)
        self.orders: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(n_dirs)]
        self.times: list[np.ndarray] = [np.zeros(0) for _ in range(n_dirs)]  # t of orders
        self.solved = False  # before the first solve: sojourn = service time
        # (direction, first slot, count) of every contiguous run written before the first
        # solve; None once a traversal was written one by one (then orders come from ``d``)
        self.runs: list[tuple[int, int, int]] | None = []

    def grow(self, waves: int) -> None:
        """Make room for ``waves`` waves of attempts."""
        extra = (waves - self.waves) * self.block
        if extra <= 0:
            return
        self.d = np.concatenate([self.d, np.full(extra, -1, np.int16)])
        self.t = np.concatenate([self.t, np.zeros(extra)])
        self.svc = np.concatenate([self.svc, np.zeros(extra)])
        self.wire = np.concatenate([self.wire, np.zeros(extra)])
        self.soj = np.concatenate([self.soj, np.full(extra, np.nan)])
        self.queue = np.concatenate([self.queue, np.zeros(extra)])
        self.drop = np.concatenate([self.drop, np.zeros(extra, dtype=bool)])
        self.fresh = np.concatenate([self.fresh, np.zeros(extra, dtype=bool)])
        self.waves = waves

    def requests(self, slots: np.ndarray) -> np.ndarray:
        """The request of each slot."""
        return np.asarray(slots % self.n)

    def of_requests(self, reqs: np.ndarray) -> np.ndarray:
        """Every slot of the requests ``reqs`` (sorted ascending when ``reqs`` is)."""
        rows = np.arange(self.waves * self.per, dtype=np.int64) * self.n
        return np.asarray((rows[:, None] + reqs).reshape(-1))

    def uniform(self, slots: np.ndarray, purpose: int = 0) -> np.ndarray:
        """The uniform of each of ``slots`` for ``purpose`` (0: loss, 1: standing phase)."""
        wave = slots // self.block
        ident = slots
        if self.origin is not None:
            row, r = np.divmod(slots, self.n)
            ident = row * self.full + self.origin[r]
        out = np.empty(len(slots))
        for k in distinct(wave).tolist():
            m = wave == k
            out[m] = hashed_uniform(self.keys[k] ^ purpose, ident[m])
        return out

    def build_orders(self) -> None:
        """Every direction's traversals sorted by arrival (stable: equal arrival times, which
        continuous draws make vanishingly rare, keep the order they were walked in)."""
        if self.runs is not None:
            by_dir: dict[int, list[tuple[int, int]]] = {}
            for d, lo, m in self.runs:
                by_dir.setdefault(d, []).append((lo, m))
            for k, runs in by_dir.items():
                # each run is nearly sorted already: the stable sort (timsort) merges them;
                # runs are contiguous slots, copied as slices
                seg = np.concatenate([np.arange(lo, lo + m, dtype=np.int64) for lo, m in runs])
                t = np.concatenate([self.t[lo : lo + m] for lo, m in runs])
                order = time_order(t)
                self.orders[k], self.times[k] = seg[order], t[order]
            return
        used = np.flatnonzero(self.d >= 0)
        grouped = used[np.argsort(self.d[used], kind="stable")]
        bounds = np.searchsorted(self.d[grouped], np.arange(len(self.orders) + 1))
        for k in range(len(self.orders)):
            self._order(k, grouped[bounds[k] : bounds[k + 1]])

    def _order(self, k: int, seg: np.ndarray) -> None:
        t = self.t[seg]
        order = time_order(t)
        self.orders[k], self.times[k] = seg[order], t[order]

    def move(
        self, gone: np.ndarray, dirs: np.ndarray, times: np.ndarray, added: np.ndarray
    ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """Take ``gone`` (slots that were in directions ``dirs`` at ``times``) out of the
        orders and put the (re-walked) traversals ``added`` in. Per direction: the
        positions of the added ones in the new order (they stay ``fresh`` until
        re-solved), and the arrival times removed.

        A re-walked traversal usually keeps its slot and moves by less than the gap to its
        neighbours: then it is updated where it stands. Otherwise the order is spliced
        once (one copy of the direction, however many moved).
        """
        added = added[self.d[added] >= 0]
        self.fresh[added] = True
        touched, removed = {}, {}
        new_d = self.d[added]
        for k in distinct(np.concatenate([dirs, new_d]).astype(np.int64)).tolist():
            mine = dirs == k
            out, at_out = gone[mine], times[mine]
            order, when = self.orders[k], self.times[k]
            drop = np.searchsorted(when, at_out, side="left")
            drop = np.minimum(drop, len(order) - 1) if len(order) else drop
            if len(drop) and not np.array_equal(order[drop], out):
                drop = np.flatnonzero(np.isin(order, out))  # equal arrival times
            drop = np.sort(drop)
            new = added[new_d == k]
            at = self.t[new]
            sort = time_order(at)
            new, at = new[sort], at[sort]
            removed[k] = at_out
            if len(drop) == len(new) and _fits(when, drop, at):
                order[drop], when[drop] = new, at
                touched[k] = drop
                continue
            pos = np.searchsorted(when, at, side="right")
            self.orders[k] = splice(order, drop, pos, new)
            self.times[k] = splice(when, drop, pos, at)
            touched[k] = pos - np.searchsorted(drop, pos) + np.arange(len(new))
        return touched, removed


def _fits(when: np.ndarray, drop: np.ndarray, at: np.ndarray) -> bool:
    """Whether the ascending times ``at`` written over the positions ``drop`` (ascending) of
    the ascending ``when`` leave it strictly ascending around them (then that is the order
    a splice would give: no equal times, so no tie to break)."""
    if len(drop) == 0:
        return True
    n = len(when)
    lo = np.maximum(drop - 1, 0)
    hi = np.minimum(drop + 1, n - 1)
    left = np.where(drop > 0, when[lo], -np.inf)
    right = np.where(drop < n - 1, when[hi], np.inf)
    # a neighbour that is itself overwritten is compared with its new time
    prev_new = np.concatenate([[-np.inf], at[:-1]])
    next_new = np.concatenate([at[1:], [np.inf]])
    adjacent_l = np.concatenate([[False], drop[1:] == drop[:-1] + 1])
    adjacent_r = np.concatenate([drop[1:] == drop[:-1] + 1, [False]])
    left = np.where(adjacent_l, prev_new, left)
    right = np.where(adjacent_r, next_new, right)
    return bool(np.all((left < at) & (at < right)))


SPLICE_LOOP = 512  # more changes than this: np.delete and np.insert instead of slices


def splice(a: np.ndarray, drop: np.ndarray, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.insert(np.delete(a, drop), pos', values)`` where ``drop`` are ascending distinct
    positions of ``a`` and ``pos`` ascending positions of ``a`` before which ``values`` go
    (``pos'``: the same places once ``drop`` is gone), as one copy of ``a`` in slices.

    >>> splice(np.array([1, 2, 3, 4]), np.array([1]), np.array([3, 4]), np.array([9, 8])).tolist()
    [1, 3, 9, 4, 8]
    """
    if len(drop) + len(pos) > SPLICE_LOOP:
        return np.insert(np.delete(a, drop), pos - np.searchsorted(drop, pos), values)
    pieces, prev = [], 0
    d, p = drop.tolist(), pos.tolist()
    i = j = 0
    while i < len(d) or j < len(p):
        if j < len(p) and (i >= len(d) or p[j] <= d[i]):
            at, j0 = p[j], j
            while j < len(p) and p[j] == at:
                j += 1
            pieces += [a[prev:at], values[j0:j]]
            prev = at
        else:
            pieces.append(a[prev : d[i]])
            prev = d[i] + 1
            i += 1
    pieces.append(a[prev:])
    return np.concatenate(pieces)


def insert_sorted(a: np.ndarray, pos: np.ndarray, values: np.ndarray | float) -> np.ndarray:
    """``np.insert(a, pos, values)`` for ascending ``pos``, copying only the head of ``a``
    through insertion (a window's ghosts are its first arrivals) and the rest as it is."""
    if len(pos) == 0:
        return a.copy()
    head = int(pos[-1])
    return np.concatenate([np.insert(a[:head], pos, values), a[head:]])


def delete_sorted(a: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``np.delete(a, pos)`` for ascending ``pos``, the same way."""
    if len(pos) == 0:
        return a.copy()
    head = int(pos[-1]) + 1
    return np.concatenate([np.delete(a[:head], pos), a[head:]])

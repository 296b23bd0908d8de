"""Queue traversals of one window of the fast engine, kept across fixed-point rounds.

See :class:`Slots`; :class:`netsim.sim.fast.net.FastNet` fills and solves them.
"""

from __future__ import annotations

import numpy as np

from netsim.sim.fast.queue import distinct, hashed_uniform


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
                order = np.argsort(t, kind="stable")
                self.orders[k], self.times[k] = seg[order], t[order]
            return
        used = np.flatnonzero(self.d >= 0)
        grouped = used[np.argsort(self.d[used], kind="stable")]
        bounds = np.searchsorted(self.d[grouped], np.arange(len(self.orders) + 1))
        for k in range(len(self.orders)):
            self._order(k, grouped[bounds[k] : bounds[k + 1]])

    def _order(self, k: int, seg: np.ndarray) -> None:
        t = self.t[seg]
        order = np.argsort(t, kind="stable")
        self.orders[k], self.times[k] = seg[order], t[order]

    def remove(
        self, slots: np.ndarray, dirs: np.ndarray, times: np.ndarray
    ) -> dict[int, np.ndarray]:
        """Take ``slots`` (which were in directions ``dirs`` at ``times``) out of the
        orders; per direction, the arrival times removed."""
        removed = {}
        for k in distinct(dirs).tolist():
            mine = dirs == k
            gone, at = slots[mine], times[mine]
            removed[k] = at
            order, when = self.orders[k], self.times[k]
            pos = np.searchsorted(when, at, side="left")
            pos = np.minimum(pos, len(order) - 1)
            if not np.array_equal(order[pos], gone):  # equal arrival times: find each one
                pos = np.flatnonzero(np.isin(order, gone))
            self.orders[k], self.times[k] = np.delete(order, pos), np.delete(when, pos)
        return removed

    def insert(self, slots: np.ndarray) -> dict[int, np.ndarray]:
        """Add the (re-walked) traversals in ``slots`` to their directions' orders; per
        direction, their positions in the order (they stay ``fresh`` until re-solved)."""
        slots = slots[self.d[slots] >= 0]
        self.fresh[slots] = True
        touched = {}
        for k in distinct(self.d[slots]).tolist():
            new = slots[self.d[slots] == k]
            at = self.t[new]
            order = np.argsort(at, kind="stable")
            new, at = new[order], at[order]
            pos = np.searchsorted(self.times[k], at, side="right")
            self.orders[k] = np.insert(self.orders[k], pos, new)
            self.times[k] = np.insert(self.times[k], pos, at)
            touched[k] = pos + np.arange(len(new))  # their positions in the new order
        return touched


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

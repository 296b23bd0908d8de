"""Per-flow hashing over a multipath route (BGP multipath, ``max_paths``).

A router with several equal paths hashes each *flow* onto one of them, so every packet of
a flow takes the same path and flows spread over the paths in proportion to their shares
(:class:`netsim.model.routing.Route`). Here a flow is a request (with its retries and its
response), one datagram of a one-way class, or one bulk stream; its hash is a uniform on
[0, 1) that is a pure function of the seed, the class, the destination and the request's
identity: its number in the exact engine; its window and its number within the window in
the fast engine, whose windows are computed independently (:func:`request_hashes`). Both
planes therefore spread flows over the paths with the same shares, and a run of either is
the same for the same seed however it is computed.

Examples
--------
>>> import numpy as np
>>> u = flow_hash(1, 0, 0, np.arange(10000))
>>> bool(0.48 < (u < 0.5).mean() < 0.52), bool(flow_hash(1, 0, 0, np.array([7]))[0] == u[7])
(True, True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.fast.queue import hashed_uniform, stream_key

if TYPE_CHECKING:
    from collections.abc import Sequence

PURPOSE = "flow-hash"


@lru_cache(maxsize=1024)
def _key(seed: int, ci: int, di: int) -> int:
    return stream_key(seed, PURPOSE, ci, di)


def flow_hash(seed: int, ci: int, di: int, req: np.ndarray) -> np.ndarray:
    """The hash of flows ``req`` of class ``ci`` towards its destination ``di``."""
    return hashed_uniform(_key(seed, ci, di), req)


def request_hashes(
    seed: int,
    flows: Sequence[tuple[int, int]],
    bounds: np.ndarray,
    idx: np.ndarray,
    window: int,
) -> np.ndarray:
    """The hashes of one fast-engine window's requests laid out flow after flow: ``flows``
    are the (class, destination) of each flow, ``bounds[i]:bounds[i + 1]`` flow ``i``'s
    requests, ``idx`` their numbers within the window."""
    u = np.zeros(len(idx))
    for i, (ci, di) in enumerate(flows):
        a, b = int(bounds[i]), int(bounds[i + 1])
        if a < b:
            u[a:b] = hashed_uniform(stream_key(seed, PURPOSE, ci, di, window), idx[a:b])
    return u


def bulk_hash(seed: int, index: int) -> float:
    """The hash of bulk flow ``index`` (its position among the scenario's bulk flows)."""
    return float(hashed_uniform(_key(seed, -1, 0), np.array([index]))[0])


__all__ = ["bulk_hash", "flow_hash", "request_hashes"]

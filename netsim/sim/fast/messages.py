"""Requests and responses as segment trains in the fast engine (:mod:`netsim.sim.segments`).

Vectorised helpers of :meth:`netsim.sim.fast.net.FastNet.walk`: which packets are messages
of segments and how many, and which traversals of lossy links are lost (a datagram) or only
delayed by a retransmission (a message), all from the hashed uniforms of their slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from netsim.sim.segments import retransmit_delay, segments
from netsim.sim.tcp import HEADERS

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True, slots=True)
class Messages:
    """Per packet of a walk: a message of segments?, its segments (1: a datagram) and the
    header bytes each segment carries (0: a datagram)."""

    tcp: np.ndarray
    counts: np.ndarray
    headers: np.ndarray


def messages(size: np.ndarray, mss: np.ndarray, tcp: np.ndarray | None) -> Messages:
    """The packets of a walk: ``tcp`` marks messages (None: all datagrams)."""
    tcp = np.zeros(len(size), dtype=bool) if tcp is None else tcp
    return Messages(tcp, np.where(tcp, segments(size, mss), 1.0), tcp * HEADERS)


def lost(
    maybe: np.ndarray,
    *,
    loss: np.ndarray,
    u: Callable[[np.ndarray, int], np.ndarray],
    slot: np.ndarray,
    msgs: Messages,
    i: np.ndarray,
    rtt: np.ndarray,
    late: np.ndarray,
) -> np.ndarray:
    """Which traversals ``maybe`` (at positions of the walk's ``i``) on lossy links are
    lost. A message is not: its retransmission's delay goes to ``late`` unless it would
    never arrive (``loss`` of 1). ``u(slots, purpose)`` gives the slots' uniforms."""
    at = np.flatnonzero(maybe)
    first = u(slot[at], 0)
    segs = msgs.tcp[i[at]]
    if segs.any():  # messages: a retransmission's delay, or never
        m = at[segs]
        extra = retransmit_delay(first[segs], u(slot[m], 2), msgs.counts[i[m]], loss[m], rtt[m])
        late[i[m]] += np.where(np.isinf(extra), 0.0, extra)
        first[segs] = np.where(np.isinf(extra), 0.0, 1.0)
    out = np.zeros(len(maybe), dtype=bool)
    out[at] = first < loss[at]
    return out


def take(late: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``late[i]``, then zero there: a delay is paid once."""
    out = late[i]
    late[i] = 0.0
    return np.asarray(out)


__all__ = ["Messages", "lost", "messages", "take"]

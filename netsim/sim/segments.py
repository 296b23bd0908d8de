"""Messages as TCP segments: wire bytes, buffer occupancy and the cost of a lost segment.

A request or response of a request-response class travels over TCP (issue 11): it is
``ceil(size / MSS)`` segments, MSS being the path's smallest ``mtu - overhead`` less 52 B of
TCP/IP headers (:func:`netsim.sim.tcp.path_mss`). Both engines move the segments of one
message through a hop as one train (they share the hop's FIFO back to back); per hop:

- **wire**: ``size + segments * (52 + overhead)`` bytes, served at ``capacity`` and no
  faster than ``max_pps`` segments (:func:`message_wire`);
- **buffer**: the train never holds more than ``BURST`` full-size packets of the queue at
  once (TCP sends a window, then ack-clocked segments), so a message larger than the buffer
  is delivered when nothing else queues; it is dropped when its first window does not fit;
- **loss**: each segment is lost with the hop's probability ``p``. The first lost segment
  is retransmitted after one round trip when three later segments carry duplicate ACKs
  (fast retransmit), otherwise after an RTO (round trip + 200 ms); each loss of the
  retransmission costs an RTO more, doubling each time (:func:`retransmit_delay`). The
  message arrives that much later, and its request fails only when its timeout passes. At
  ``p = 1`` it never arrives.

Datagrams of one-way classes stay single packets of ``size + overhead``.

Examples
--------
>>> segments(np.array([1.0, 1386.0, 1387.0, 2e6]), 1386.0).tolist()
[1.0, 1.0, 2.0, 1444.0]
>>> float(message_wire(2e6, 1444.0, 62.0))   # 2 MB over a VPN: 1444 segments, 114 B each
2164616.0
"""

from __future__ import annotations

import numpy as np

from netsim.sim.tcp import HEADERS, RTO_MIN

BURST = 10  # segments of one message in a queue at once: the initial window (RFC 6928)
DUPACKS = 3  # later segments needed for a fast retransmit


def segments(size: np.ndarray | float, mss: np.ndarray | float) -> np.ndarray:
    """Segments of a message of ``size`` bytes (at least one)."""
    return np.maximum(np.ceil(np.asarray(size, dtype=float) / mss), 1.0)


def message_wire(
    size: np.ndarray | float, count: np.ndarray | float, overhead: np.ndarray | float
) -> np.ndarray:
    """Bytes on a hop's wire: the payload and, per segment, TCP/IP headers and overhead."""
    return np.asarray(size + count * (HEADERS + overhead))


def rto(rtt: np.ndarray | float) -> np.ndarray:
    """Linux's retransmission timeout for a settled round trip: RTT + the 200 ms minimum."""
    return np.asarray(rtt + RTO_MIN)


def retransmit_delay(
    first: np.ndarray, again: np.ndarray, count: np.ndarray, loss: np.ndarray, rtt: np.ndarray
) -> np.ndarray:
    """Extra seconds a message of ``count`` segments takes over a hop losing ``loss``.

    ``first`` and ``again`` are uniforms: ``first`` places the first lost segment
    (geometric: none lost when it falls past the message, which has probability
    ``(1 - loss) ** count``), ``again`` counts the losses of its retransmission. ``inf``:
    never delivered (``loss`` of 1).

    >>> d = retransmit_delay(np.array([0.5, 0.001, 0.001]), np.array([0.9, 0.9, 0.005]),
    ...                      np.array([1.0, 100.0, 100.0]), np.full(3, 0.01), np.full(3, 0.04))
    >>> [round(float(x), 3) for x in d]  # no loss; fast retransmit; then lost again once
    [0.0, 0.04, 0.28]
    """
    loss = np.asarray(loss, dtype=float)
    out = np.zeros(len(loss))
    some = loss > 0
    if not some.any():
        return out
    p = np.minimum(loss[some], 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # index of the first lost segment: P(j >= k) = (1 - p)^k
        j = np.where(p < 1.0, np.floor(np.log1p(-first[some]) / np.log1p(-p)), 0.0)
        # losses of the retransmission: P(m >= k) = p^k
        m = np.where(p < 1.0, np.floor(np.log(again[some]) / np.log(p)), np.inf)
    n = count[some]
    lost = j < n
    timeout = rto(rtt[some])
    base = np.where(j < n - DUPACKS, rtt[some], timeout)
    backoff = timeout * (np.exp2(np.minimum(m, 60.0)) - 1)  # RTO, 2 RTO, 4 RTO...
    delay = np.where(np.isinf(m), np.inf, base + backoff)
    out[some] = np.where(lost, delay, 0.0)
    return out


__all__ = ["BURST", "message_wire", "retransmit_delay", "rto", "segments"]

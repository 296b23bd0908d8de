"""When the routing sessions of an impaired link go down: the control plane's random draws.

A link's ends learn of an impairment through carrier loss, BFD, the BGP hold timer or (VPN
tunnels) IKE dead-peer detection (architecture section 4). This module draws the instant,
from a generator the control plane keys per (seed, link, time):

- ``down``: at once, by carrier;
- ``blackhole``: the first of BFD after ``interval x multiplier``, the hold timer
  ``hold - U(0, keepalive)`` after the failure (the last keepalive came up to one interval
  earlier) and, on a VPN, DPD after ``timeout``;
- ``loss:p``: each control packet is lost with probability ``p``, independently, in each
  direction. BFD declares the session down when ``multiplier`` consecutive packets of one
  direction are lost (the packets after the failure are due at ``interval``, ``2 interval``
  ...; the ``multiplier``-th lost one in a row is the instant); the hold timer expires
  ``hold`` after the last keepalive that got through, once every keepalive due within
  ``hold`` of it was lost (due every ``keepalive``, phase uniform). DPD never fires: part
  of the traffic still gets through. The earliest of both mechanisms in both directions
  wins; ``p = 1`` gives the blackhole's instants.

The number of packets up to the first run of ``m`` losses is drawn exactly: a geometric
number of failed tries (a run shorter than ``m`` ended by a packet that got through), each
a truncated geometric run, then the ``m`` losses. Beyond ``MAX_TRIES`` failed tries their
total is taken at its mean (a relative error under 0.3 %, on a time far beyond a run);
when ``p ** m`` is below ``NEVER_RUN`` the run never completes.

Examples
--------
>>> import numpy as np
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> rng = np.random.default_rng(1)
>>> detection_delay(rng, topo.link("aws-mcr"), LinkMode.LOSS, 1.0)  # BFD 0.3 s x 3
(0.9, <DetectionMethod.BFD: 'bfd'>)
>>> delay, how = detection_delay(rng, topo.link("aws-mcr"), LinkMode.LOSS, 0.5)
>>> delay >= 0.9, how.value
(True, 'bfd')
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.effects import DetectionMethod, LinkMode
from netsim.model.topology import LinkKind

if TYPE_CHECKING:
    from netsim.model.topology import Link

MAX_TRIES = 100_000
# A run this unlikely per packet is never completed: at one packet a second it would take
# over 30,000 years on average.
NEVER_RUN = 1e-12


def packets_to_run(rng: np.random.Generator, p: float, m: int) -> float:
    """Index (1-based) of the packet that completes the first run of ``m`` losses.

    ``inf`` if ``p`` is 0. Exact below ``MAX_TRIES`` failed tries (see the module doc).
    """
    if p <= 0.0:
        return math.inf
    if p >= 1.0:
        return float(m)
    if p**m < NEVER_RUN:
        return math.inf
    tries = int(rng.geometric(p**m)) - 1  # runs shorter than m before the first long one
    if tries == 0:
        return float(m)
    if tries > MAX_TRIES:
        # E[run + 1 | run < m] for a run ~ Geometric: sum_{r<m} (r + 1) p^r (1 - p) / (1 - p^m)
        mean = sum((r + 1) * p**r * (1 - p) for r in range(m)) / (1 - p**m)
        return tries * mean + m
    # run lengths r < m with P(r) proportional to p^r: inverse CDF of the truncated law,
    # x uniform on (p^m, 1] and r = floor(log x / log p)
    x = 1.0 - rng.random(tries) * (1 - p**m)
    lengths = np.minimum(np.floor(np.log(x) / math.log(p)), m - 1)
    return float(lengths.sum()) + tries + m


def detection_delay(
    rng: np.random.Generator, link: Link, mode: LinkMode, loss: float = 0.0
) -> tuple[float, DetectionMethod]:
    """(seconds after the impairment starts, mechanism) at which the link's ends learn of
    it; ``(inf, NEVER)`` if they never do. ``loss`` is the p of ``loss:p``."""
    if mode is LinkMode.DOWN:
        return 0.0, DetectionMethod.CARRIER
    if mode is LinkMode.UP:
        return math.inf, DetectionMethod.NEVER
    keepalive, hold = link.bgp.keepalive, link.bgp.hold
    # On a tie the list order decides: BFD, then DPD, then the hold timer.
    options: list[tuple[float, DetectionMethod]] = []
    if mode is LinkMode.BLACKHOLE:
        expiry = hold - rng.uniform(0, keepalive)
        if link.bfd is not None:
            options.append((link.bfd.detection, DetectionMethod.BFD))
        if link.dpd is not None and link.kind is LinkKind.VPN:
            options.append((link.dpd.timeout, DetectionMethod.DPD))
        options.append((expiry, DetectionMethod.HOLD))
    else:
        if link.bfd is not None:
            n = min(packets_to_run(rng, loss, link.bfd.multiplier) for _ in range(2))
            options.append((round(n * link.bfd.interval, 9), DetectionMethod.BFD))
        runs = max(1, math.floor(hold / keepalive + 1e-9))  # keepalives due within hold
        for _ in range(2):  # each end's hold timer; keepalives with their own phase
            phase = rng.uniform(0, keepalive)
            n = packets_to_run(rng, loss, runs)
            options.append((phase + (n - runs - 1) * keepalive + hold, DetectionMethod.HOLD))
    delay, method = min(options, key=lambda o: o[0])
    if math.isinf(delay):
        return delay, DetectionMethod.NEVER
    return delay, method


__all__ = ["MAX_TRIES", "NEVER_RUN", "detection_delay", "packets_to_run"]

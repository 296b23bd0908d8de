"""What a failure does to links: their data-plane state, and when the two ends learn of it.

One vocabulary for the state of a link's forwarding, shared by the simulator's control
plane, the engines, verification, the lab and the report: ``up``, ``loss`` (forwards, drops
with a probability), ``blackhole`` (forwarding stops, carrier stays up) and ``down``
(carrier lost). The values are ordered by severity, so the worst of several impairments
is their ``max`` and ``mode >= LinkMode.BLACKHOLE`` means "does not forward".

Two facts derived from the topology alone live here, once, for everyone who needs them
(the verification oracle, the report and the lab); the simulator's control plane derives
them on its own, because it is what the oracle checks:

- :func:`failure_effects`: the links a failure of a link, node or group impairs, and how;
- :func:`detection`: when an impairment of a link is detected (architecture section 4).

Examples
--------
>>> LinkMode.of(FailureMode.BLACKHOLE)
<LinkMode.BLACKHOLE: 2>
>>> max(LinkMode.LOSS, LinkMode.DOWN).label
'down'
>>> LinkMode.BLACKHOLE.broken, LinkMode.LOSS.broken
(True, False)
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from netsim.model.scenario import FailureMode, TargetKind
from netsim.model.topology import Link, LinkKind

if TYPE_CHECKING:
    from netsim.model.topology import Group, Node, Topology


class LinkMode(enum.IntEnum):
    """A link's data-plane state, ordered by severity."""

    UP = 0
    LOSS = 1
    BLACKHOLE = 2
    DOWN = 3

    @property
    def label(self) -> str:
        """The name used in files and on screen (``up``, ``loss``, ``blackhole``, ``down``)."""
        return self.name.lower()

    @property
    def broken(self) -> bool:
        """Whether the link stops forwarding (blackhole or down; loss still forwards)."""
        return self >= LinkMode.BLACKHOLE

    @classmethod
    def of(cls, mode: FailureMode) -> LinkMode:
        """The state a failure of ``mode`` puts a link in."""
        return {
            FailureMode.DOWN: cls.DOWN,
            FailureMode.BLACKHOLE: cls.BLACKHOLE,
            FailureMode.LOSS: cls.LOSS,
        }[mode]

    @classmethod
    def parse(cls, label: str) -> LinkMode:
        """The mode of a label (``loss:0.1`` counts as ``loss``)."""
        return cls[label.partition(":")[0].upper()]


class DetectionMethod(enum.StrEnum):
    """How the ends of a link learn of an impairment; the values are the trace's names."""

    CARRIER = "carrier"  # the interface goes down
    BFD = "bfd"  # interval x multiplier without a BFD packet
    HOLD = "hold"  # the BGP hold timer expires
    DPD = "dpd"  # IKE dead-peer detection gives up (VPN tunnels only)
    NEVER = "never"  # nothing is detected (no loss, or loss too rare to end a session)


@dataclass(frozen=True, slots=True)
class Detection:
    """When an impairment of a link is detected, in seconds after it starts.

    ``floor`` and ``bound`` are the earliest and the latest instant; ``expected`` is the
    hold timer's mean expiry (``hold - keepalive / 2``) or a fixed timer (BFD, DPD),
    whichever is smaller. ``method`` is the mechanism that guarantees ``bound`` (a fixed
    timer wins a tie with the hold timer, BFD one with DPD); ``usual`` is the one with the
    smallest expected time, the one a failover record usually names (BFD, then the hold
    timer, then DPD on a tie). ``loss:p`` is detected at a random time (a run of lost
    control packets), so its ``bound`` is ``inf``; with ``p = 0`` every time is ``inf``.
    """

    floor: float
    bound: float
    expected: float
    method: DetectionMethod
    usual: DetectionMethod


def detection(link: Link, mode: LinkMode, loss: float = 0.0) -> Detection:
    """When an impairment of ``link`` in ``mode`` is detected (architecture section 4).

    ``down`` is detected at once (carrier). ``blackhole`` is a race between the BGP hold
    timer, which expires ``hold - U(0, keepalive)`` after the failure (the last keepalive
    came up to one interval earlier), and the fixed timers configured on the link: BFD
    after ``interval x multiplier``, and on a VPN tunnel DPD after ``timeout``.
    ``loss`` with probability ``loss`` per packet: BFD when ``multiplier`` consecutive
    packets of one direction are lost, the hold timer when every keepalive due within
    ``hold`` is (:func:`loss_detection`).

    Examples
    --------
    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> detection(topo.link("aws-mcr"), LinkMode.DOWN).method
    <DetectionMethod.CARRIER: 'carrier'>
    >>> d = detection(topo.link("vpn-aws-gcp"), LinkMode.BLACKHOLE)  # hold 30/10, DPD 30
    >>> d.floor, d.bound, d.expected, d.method.value, d.usual.value
    (20.0, 30.0, 25.0, 'dpd', 'hold')
    """
    if mode is LinkMode.DOWN:
        return Detection(0.0, 0.0, 0.0, DetectionMethod.CARRIER, DetectionMethod.CARRIER)
    if mode is LinkMode.LOSS:
        return loss_detection(link, loss)
    if mode is not LinkMode.BLACKHOLE:
        raise ValueError(f"a link that is {mode.label} has nothing to detect")
    hold, keepalive = link.bgp.hold, link.bgp.keepalive
    bfd = [(link.bfd.detection, DetectionMethod.BFD)] if link.bfd is not None else []
    dpd = (
        [(link.dpd.timeout, DetectionMethod.DPD)]
        if link.dpd is not None and link.kind is LinkKind.VPN
        else []
    )
    first = min((t for t, _ in bfd + dpd), default=math.inf)
    # min() keeps the first of equal candidates: the list order is the tie-break.
    _, method = min([*bfd, *dpd, (hold, DetectionMethod.HOLD)], key=itemgetter(0))
    _, usual = min([*bfd, (hold - keepalive / 2, DetectionMethod.HOLD), *dpd], key=itemgetter(0))
    return Detection(
        floor=max(0.0, min(hold - keepalive, first)),
        bound=min(hold, first),
        expected=min(hold - keepalive / 2, first),
        method=method,
        usual=usual,
    )


NEVER = Detection(math.inf, math.inf, math.inf, DetectionMethod.NEVER, DetectionMethod.NEVER)
EXACT_RUNS = 1e5  # mean packets to a run below which its expectation is summed exactly
SURVIVAL_EPS = 1e-15  # the exact sum stops when both runs are this unlikely to be unfinished


def packets_to_run_mean(p: float, m: int) -> float:
    """Mean number of packets up to the end of the first run of ``m`` losses, each lost
    with probability ``p``: ``(1 - p^m) / ((1 - p) p^m)``.

    >>> packets_to_run_mean(0.5, 3)
    14.0
    """
    if p <= 0.0:
        return math.inf
    if p >= 1.0:
        return float(m)
    return (1 - p**m) / ((1 - p) * p**m)


def first_of_two_runs_mean(p: float, m: int) -> float:
    """Mean of the earlier of two independent such runs (both directions of a session):
    ``sum_n P(N > n)^2`` by the run-length Markov chain, exactly while the mean is below
    ``EXACT_RUNS`` packets; beyond, the run's end is nearly exponential and half its mean
    is taken.

    >>> round(first_of_two_runs_mean(0.5, 3), 4)
    8.057
    """
    mean = packets_to_run_mean(p, m)
    if math.isinf(mean) or mean > EXACT_RUNS:
        return mean / 2 if math.isfinite(mean) else math.inf
    if p >= 1.0:
        return float(m)
    state = [1.0] + [0.0] * (m - 1)  # P(current run = r, not absorbed), r < m
    total, alive, n = 0.0, 1.0, 0
    while alive > SURVIVAL_EPS or n < m:
        total += alive * alive
        state = [(1 - p) * sum(state)] + [p * x for x in state[:-1]]
        alive = sum(state)
        n += 1
    return total


def loss_detection(link: Link, p: float) -> Detection:
    """:func:`detection` of ``loss:p``: BFD at ``interval x`` the packet completing the
    first run of ``multiplier`` losses of either direction; the hold timer ``hold`` after
    the last keepalive through, once ``floor(hold / keepalive)`` in a row are lost. The
    earliest is one full run (BFD ``multiplier x interval``, hold ``hold - keepalive``);
    there is no latest. ``expected`` is the smaller of the mechanisms' means.

    Examples
    --------
    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> d = loss_detection(topo.link("aws-mcr"), 0.5)   # BFD 300 ms x 3
    >>> round(d.floor, 3), d.bound, round(d.expected, 3), d.usual.value
    (0.9, inf, 2.417, 'bfd')
    """
    if p <= 0.0:
        return NEVER
    keepalive, hold = link.bgp.keepalive, link.bgp.hold
    runs = max(1, math.floor(hold / keepalive + 1e-9))
    hold_mean = hold - keepalive / 2 + (first_of_two_runs_mean(p, runs) - runs) * keepalive
    options = [(hold - keepalive, hold_mean, DetectionMethod.HOLD)]
    if link.bfd is not None:
        bfd = link.bfd
        mean = first_of_two_runs_mean(p, bfd.multiplier) * bfd.interval
        options.insert(0, (bfd.detection, mean, DetectionMethod.BFD))
    if all(math.isinf(mean) for _, mean, _ in options):
        return NEVER
    _, expected, usual = min(options, key=itemgetter(1))
    return Detection(
        floor=min(floor for floor, _, _ in options),
        bound=math.inf,
        expected=expected,
        method=usual,
        usual=usual,
    )


def random_failure_mode(element: Link | Node | Group) -> FailureMode:
    """How an element's random failures (``{random: true}``) behave: its ``failure_mode``,
    by default a blackhole for interconnects and VPN tunnels (a provider-side fault keeps
    the local port up) and a carrier loss for internet access links, nodes and groups.

    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> [random_failure_mode(x).value for x in (topo.link("aws-mcr"), topo.link("aws-inet"),
    ...                                         topo.node("mcr"), topo.group("megaport-mcr"))]
    ['blackhole', 'down', 'down', 'blackhole']
    """
    if element.failure_mode is not None:
        return element.failure_mode
    if isinstance(element, Link) and element.kind is not LinkKind.INTERNET:
        return FailureMode.BLACKHOLE
    return FailureMode.DOWN


def failure_effects(
    topology: Topology, target: TargetKind, name: str, mode: LinkMode
) -> dict[str, LinkMode]:
    """``{link: mode}`` for every link a failure impairs (the most severe mode per link).

    A link failure impairs the link; a node failure all its links; a group failure its
    member links and the links of its member nodes. A VPN tunnel whose underlay link is
    impaired keeps its interface up, so to the routers it is blackholed (``loss`` stays
    loss). A link reached twice keeps the worse mode.

    Examples
    --------
    >>> from netsim.model import load_topology
    >>> topo = load_topology("topologies/megaport-hub.yaml")
    >>> {k: v.label for k, v in failure_effects(topo, TargetKind.LINK, "aws-inet",
    ...                                         LinkMode.DOWN).items()}
    {'aws-inet': 'down', 'vpn-aws-gcp': 'blackhole', 'vpn-aws-azure': 'blackhole'}
    """
    if target is TargetKind.LINK:
        direct = [name]
    elif target is TargetKind.NODE:
        direct = [link.name for link in topology.links_of(name)]
    else:
        group = topology.group(name)
        direct = list(group.links)
        for node in group.nodes:
            direct += [link.name for link in topology.links_of(node)]
    out: dict[str, LinkMode] = {}

    def put(link_name: str, link_mode: LinkMode) -> None:
        if link_mode > out.get(link_name, LinkMode.UP):
            out[link_name] = link_mode

    for link_name in direct:
        put(link_name, mode)
    over = LinkMode.LOSS if mode is LinkMode.LOSS else LinkMode.BLACKHOLE
    for link in topology.links:
        if set(link.underlay) & set(direct):
            put(link.name, over)
    return out


__all__ = [
    "Detection",
    "DetectionMethod",
    "LinkMode",
    "detection",
    "failure_effects",
    "first_of_two_runs_mean",
    "loss_detection",
    "packets_to_run_mean",
    "random_failure_mode",
]

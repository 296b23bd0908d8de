"""What the model promises about timing, computed from the topology alone.

This module turns architecture section 4 into numbers a test can hold the simulator (or
the lab) to. Detection times and the links a failure impairs are
:mod:`netsim.model.effects`'s, shared with the report and the lab; here they are read in
this module's vocabulary of mode labels (``"down"``, ``"blackhole"``, ``"loss:0.1"``):

- :func:`detection_bound` / :func:`detection_floor`: the latest / earliest time after an
  impairment starts at which the two ends can learn of it (carrier at once; BFD
  ``interval x multiplier``; BGP hold timer ``hold - U(0, keepalive)``; DPD ``timeout`` on a
  VPN; ``loss:p`` after a random run of lost control packets, so with no latest time),
  read from :func:`netsim.model.effects.detection`;
- :func:`failover_bound`: detection plus convergence, per link and mode;
- :func:`relay_bound`: the longest any news (withdrawal or announcement) may wait on its way
  to a source for the ``mrai`` of the routers that pass it on;
- :func:`settle_bound`: after the last change, how long until every route must be the
  preferred surviving one (the largest failover bound or BGP re-establishment, plus the
  relay bound);
- :func:`failure_effects`: which links a failure of a link, node or group impairs and in
  which mode (a VPN whose underlay fails is blackholed), from
  :func:`netsim.model.effects.failure_effects`;
- :func:`worst_case_gap`: for simultaneous failures, how long a pair can lose traffic if
  every detection takes as long as it may (and every withdrawal waits for the MRAI of the
  routers it crosses).

Everything here is written from the architecture, not from :mod:`netsim.sim.control`, so
it can serve as an oracle for it.

Examples
--------
>>> from netsim.model import load_topology
>>> topo = load_topology("topologies/megaport-hub.yaml")
>>> round(failover_bound(topo.link("aws-mcr"), "blackhole"), 3)  # BFD 0.3 s x 3 + 1 s
1.9
>>> failover_bound(topo.link("vpn-aws-gcp"), "blackhole")   # min(hold 30, DPD 30) + 2 s
32.0
>>> sorted(failure_effects(topo, "link", "aws-inet", "down").items())
[('aws-inet', 'down'), ('vpn-aws-azure', 'blackhole'), ('vpn-aws-gcp', 'blackhole')]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from netsim.model.effects import LinkMode, detection
from netsim.model.effects import failure_effects as failure_effects_of
from netsim.model.routing import Path, best_path, path_nodes
from netsim.model.routing import route as multipath_route
from netsim.model.scenario import FailureMode, TargetKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from netsim.model.topology import Link, Topology

#: Quantile used as the "worst case" of a random convergence time (a constant is exact).
CONVERGENCE_QUANTILE = 1.0 - 1e-9
#: Slack for float arithmetic when comparing simulated instants with bounds.
EPS = 1e-6

SEVERITY = {mode.label: int(mode) for mode in LinkMode}
BROKEN = frozenset(mode.label for mode in LinkMode if mode.broken)


def link_mode(mode: FailureMode | LinkMode | str) -> LinkMode:
    """The :class:`LinkMode` of a mode in any spelling (``loss:0.1`` counts as ``loss``)."""
    if isinstance(mode, LinkMode):
        return mode
    if isinstance(mode, FailureMode):
        return LinkMode.of(mode)
    return LinkMode.parse(str(mode))


def loss_of(mode: FailureMode | LinkMode | str) -> float:
    """The p of a ``loss:p`` label (0 for every other mode, and for a bare ``loss``)."""
    kind, _, p = str(mode).partition(":")
    return float(p) if kind == "loss" and p else 0.0


# The three views of one :func:`netsim.model.effects.detection`, in this module's string
# vocabulary, for the invariants, the lab tests and users' suites.
def detection_bound(link: Link, mode: FailureMode | str) -> float:
    """Latest time after an impairment of ``mode`` starts at which it is detected."""
    return detection(link, link_mode(mode), loss_of(mode)).bound


def detection_floor(link: Link, mode: FailureMode | str) -> float:
    """Earliest time after an impairment of ``mode`` starts at which it can be detected."""
    return detection(link, link_mode(mode), loss_of(mode)).floor


def detection_method(link: Link, mode: FailureMode | str) -> str:
    """The mechanism that bounds detection: carrier, bfd, hold, dpd or never."""
    return detection(link, link_mode(mode), loss_of(mode)).method.value


def convergence_bound(link: Link) -> float:
    """Latest convergence time (its constant, or a 1 - 1e-9 quantile of its distribution)."""
    return link.convergence.ppf(CONVERGENCE_QUANTILE)


def failover_bound(link: Link, mode: FailureMode | str) -> float:
    """Detection plus convergence: the longest a route may keep using the impaired link."""
    return detection_bound(link, mode) + convergence_bound(link)


def relay_bound(topology: Topology) -> float:
    """The longest MRAI wait of any news: every router that may pass it on (a simple path
    passes each router at most once, so the sum over all nodes bounds it)."""
    return sum(node.mrai for node in topology.nodes)


def relay_delay(topology: Topology, src: str, path: Path, index: int) -> float:
    """MRAI wait of news from the router at the near end of ``path[index]`` to ``src``:
    the ``mrai`` of every router strictly between them (the sender sends at once)."""
    nodes = path_nodes(topology, src, path)
    return sum(topology.node(n).mrai for n in nodes[1:index])


def settle_bound(topology: Topology) -> float:
    """After the last change, the time by which every route is the preferred surviving one.

    Only routed links count (an underlay link is never in a route). Restoration waits for
    ``bgp.reestablish``, so that is a lower limit; news waits up to :func:`relay_bound`.
    """
    worst = 0.0
    for link in topology.routed_links:
        worst = max(worst, failover_bound(link, "blackhole"), link.bgp.reestablish)
    return worst + relay_bound(topology)


def failure_effects(
    topology: Topology, target: TargetKind | str, name: str, mode: FailureMode | str
) -> dict[str, str]:
    """``{link: mode}`` for every link a failure impairs (the most severe mode per link):
    :func:`netsim.model.effects.failure_effects` with modes as labels."""
    effects = failure_effects_of(topology, TargetKind(target), name, link_mode(mode))
    return {link: m.label for link, m in effects.items()}


def merge_effects(effects: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The union of several failures' effects, keeping the most severe mode per link."""
    out: dict[str, str] = {}
    for effect in effects:
        for name, mode in effect.items():
            if SEVERITY[mode] > SEVERITY.get(out.get(name, "up"), 0):
                out[name] = mode
    return out


def broken_links(effects: Mapping[str, str]) -> frozenset[str]:
    """Links of ``effects`` that stop forwarding (blackhole or down; loss still forwards)."""
    return frozenset(name for name, mode in effects.items() if mode in BROKEN)


def worst_case_gap(
    topology: Topology,
    src: str,
    dst: str,
    effects: Mapping[str, str],
    *,
    path_of: Callable[[str, str, frozenset[str]], Path | None] | None = None,
    paths_of: Callable[[str, str], tuple[Path, ...]] | None = None,
) -> tuple[float, Path | None]:
    """(seconds ``src -> dst`` loses traffic, the path it ends on) if ``effects`` start at once.

    Each broken link leaves the routes at its :func:`failover_bound`, but BGP is
    path-vector: ``src`` hears of it only if it is the first broken link on its path (the
    withdrawal travels back over links that forward), and only after the MRAI of the
    routers in between (:func:`relay_delay`). When ``src`` moves, it takes the preferred
    path avoiding every link detected so far. The gap ends at the first instant its route
    has no broken link; it is ``inf`` if none is left (a partition). A pair whose preferred
    path has no broken link has no gap. A multipath route (``max_paths``, ECMP) carries
    flows on each of its paths: the gap is the worst over the paths they start on.
    ``path_of(src, dst, down)`` is :func:`~netsim.model.routing.best_path` on ``topology``
    and ``paths_of(src, dst)`` the paths of the pair's route with nothing down (cached
    ones, for searches that ask the same question many times).
    """
    if path_of is None:

        def path_of(a: str, b: str, down: frozenset[str]) -> Path | None:
            return best_path(topology, a, b, down)

    if paths_of is None:

        def paths_of(a: str, b: str) -> tuple[Path, ...]:
            found = multipath_route(topology, a, b, frozenset())
            return () if found is None else found.paths

    starts = paths_of(src, dst)
    if not starts:
        return math.inf, None
    worst: tuple[float, Path | None] = (0.0, starts[0])
    for start in starts:
        gap, end = _gap_from(topology, src, dst, effects, route=start, path_of=path_of)
        if gap > worst[0]:
            worst = (gap, end)
    return worst


def _gap_from(
    topology: Topology,
    src: str,
    dst: str,
    effects: Mapping[str, str],
    *,
    route: Path | None,
    path_of: Callable[[str, str, frozenset[str]], Path | None],
) -> tuple[float, Path | None]:
    """:func:`worst_case_gap` of the flows that start on the path ``route``."""
    broken = broken_links(effects)
    if route is None:
        return math.inf, None
    if not broken.intersection(route):
        return 0.0, route
    names = broken - topology.underlay_links
    leave = {n: failover_bound(topology.link(n), effects[n]) for n in names}
    detect = {n: detection_bound(topology.link(n), effects[n]) for n in names}
    t = 0.0
    while route is not None:
        first = next((i for i, n in enumerate(route) if n in broken), None)
        if first is None:
            return t, route
        # src hears of it when the link leaves the routes plus the MRAI on the way back
        t = max(t, leave[route[first]] + relay_delay(topology, src, route, first))
        known = {n for n, at in leave.items() if at <= t}
        known |= {n for n, at in detect.items() if at <= t}
        route = path_of(src, dst, frozenset(known))
    return math.inf, None


__all__ = [
    "BROKEN",
    "CONVERGENCE_QUANTILE",
    "EPS",
    "SEVERITY",
    "broken_links",
    "convergence_bound",
    "detection_bound",
    "detection_floor",
    "detection_method",
    "failover_bound",
    "failure_effects",
    "link_mode",
    "loss_of",
    "merge_effects",
    "relay_bound",
    "relay_delay",
    "settle_bound",
    "worst_case_gap",
]

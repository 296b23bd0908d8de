"""The load a scenario declares, per pair of nodes, and what it puts on each link direction.

``netsim availability --load SCENARIO`` judges availability as the SLO sees it: a pair is
down while the route it uses cannot carry the load (architecture section 6, second round).
:func:`demand_of` reads that load from a scenario's traffic as mean rates per ordered
pair (source, destination): requests and datagrams at ``rate x mean size`` (responses flow
back), bulk classes at their mean volume rate (a continuous stream at most its
``max_rate``; scheduled transfers spread over the run). Diurnal peaks are not judged,
only means. :func:`link_loads` spreads every pair's load over its route (a multipath
route by its shares), adding each link's per-packet ``overhead``; :func:`overloaded`
says whether a pair's route crosses a direction loaded to its capacity or beyond.

Examples
--------
>>> from netsim.model import load_scenario
>>> demand = demand_of(load_scenario("scenarios/replication-during-failover.yaml"))
>>> round(demand.bits[("aws", "gcp")] / 1e9, 3)   # 500 GB over 15 min dominates
4.445
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.model.routing import directed_hops
from netsim.model.scenario import TrafficKind

if TYPE_CHECKING:
    from netsim.model.routing import Route
    from netsim.model.scenario import Scenario
    from netsim.model.topology import Topology

Pair = tuple[str, str]
LinkDirection = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Demand:
    """Mean offered load per ordered pair: bit/s, and packets/s (for link overheads)."""

    bits: dict[Pair, float] = field(default_factory=dict)
    packets: dict[Pair, float] = field(default_factory=dict)
    scenario: str = ""

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple(sorted(self.bits))


def demand_of(scenario: Scenario) -> Demand:
    """The mean load of ``scenario``'s traffic per ordered pair (see the module doc)."""
    bits: dict[Pair, float] = {}
    packets: dict[Pair, float] = {}

    def add(pair: Pair, bit_rate: float, packet_rate: float) -> None:
        bits[pair] = bits.get(pair, 0.0) + bit_rate
        packets[pair] = packets.get(pair, 0.0) + packet_rate

    for cls in scenario.traffic:
        share = 1.0 / len(cls.dsts)
        for dst in cls.dsts:
            if cls.kind is TrafficKind.BULK:
                volume = cls.volume_rate * 8 * share
                if cls.transfer_size is None:
                    volume = min(volume, cls.max_rate)
                scheduled = sum(t.size for t in cls.transfers) * 8 * share
                add((cls.src, dst), volume + scheduled / scenario.duration, 0.0)
                continue
            rate = cls.rate * share
            if cls.kind is TrafficKind.REQUEST_RESPONSE:
                add((cls.src, dst), rate * cls.request_size.mean() * 8, rate)
                add((dst, cls.src), rate * cls.response_size.mean() * 8, rate)
            else:
                add((cls.src, dst), rate * cls.size.mean() * 8, rate)
    return Demand(bits, packets, scenario.name)


def link_loads(
    topology: Topology, demand: Demand, routes: dict[Pair, Route | None]
) -> dict[LinkDirection, float]:
    """Bit/s on every link direction when each pair of ``demand`` uses its route."""
    out: dict[LinkDirection, float] = {}
    for pair, bit_rate in demand.bits.items():
        route = routes.get(pair)
        if route is None:
            continue
        for path, share in zip(route.paths, route.shares, strict=True):
            for name, d in directed_hops(topology, pair[0], path):
                overhead = topology.link(name).overhead * 8 * demand.packets.get(pair, 0.0)
                out[(name, d)] = out.get((name, d), 0.0) + (bit_rate + overhead) * share
    return out


def overloaded(
    topology: Topology, src: str, route: Route, loads: dict[LinkDirection, float]
) -> bool:
    """Whether some path of ``route`` crosses a direction loaded to capacity (rho >= 1)."""
    return any(
        loads.get(hop, 0.0) >= topology.link(hop[0]).capacity
        for path in route.paths
        for hop in directed_hops(topology, src, path)
    )


__all__ = ["Demand", "demand_of", "link_loads", "overloaded"]

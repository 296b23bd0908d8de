"""The topology model: nodes, links and shared-risk groups as frozen dataclasses.

These are pure descriptions (architecture section 3): no simpy, subprocess or I/O.
:func:`netsim.model.load.load_topology` builds them from YAML; the simulator
(:func:`netsim.sim.engine.build_simulation`) and the lab (:func:`netsim.lab.clab.plan.plan_lab`)
are built *from* them. All quantities are SI floats: seconds, bit/s, bytes, USD.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.scenario import FailureMode


#: A link's MTU unless its file gives one (Ethernet's; bytes).
DEFAULT_MTU = 1500.0


class Role(enum.Enum):
    CLOUD = "cloud"
    EXCHANGE = "exchange"
    INTERNET = "internet"
    ROUTER = "router"


class LinkKind(enum.Enum):
    INTERCONNECT = "interconnect"
    VPN = "vpn"
    INTERNET = "internet"


@dataclass(frozen=True, slots=True)
class Cost:
    """What an element costs: ``monthly`` (USD) and ``per_gb`` (USD per GB leaving a
    cloud on it). ``declared`` is False when the topology gives the element no ``cost:``
    at all: its price is unknown, not zero (the report names it and leaves it out)."""

    monthly: float = 0.0
    per_gb: float = 0.0
    declared: bool = True

    @classmethod
    def unknown(cls) -> Cost:
        """The cost of an element whose topology says nothing about its price."""
        return cls(declared=False)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    role: Role | None = None
    provider: str | None = None
    region: str | None = None
    asn: int | None = None
    prefixes: tuple[str, ...] = ()
    mtbf: float | None = None
    mttr: Dist | None = None
    cost: Cost = field(default_factory=Cost.unknown)
    transit: bool | None = None  # None: the role's default (see :attr:`carries_transit`)
    max_paths: int = 1  # BGP multipath: equal paths this node hashes flows over
    mrai: float = 0.0  # seconds before this node passes an update on
    failure_mode: FailureMode | None = None  # of its random failures; None: the default

    @property
    def carries_transit(self) -> bool:
        """Whether paths may cross this node: ``transit``, by default every role but cloud.

        Cloud networks do not pass routes learned on one attachment to another unless a
        transit service is set up (architecture section 3, second round).

        >>> Node("aws", Role.CLOUD).carries_transit, Node("mcr", Role.EXCHANGE).carries_transit
        (False, True)
        >>> Node("hub", Role.CLOUD, transit=True).carries_transit
        True
        """
        if self.transit is not None:
            return self.transit
        return self.role is not Role.CLOUD


@dataclass(frozen=True, slots=True)
class Bfd:
    interval: float
    multiplier: int

    @property
    def detection(self) -> float:
        return self.interval * self.multiplier


@dataclass(frozen=True, slots=True)
class Bgp:
    keepalive: float
    hold: float
    reestablish: float


@dataclass(frozen=True, slots=True)
class Dpd:
    delay: float
    timeout: float


@dataclass(frozen=True, slots=True)
class EpisodeState:
    """One state of an internet link's congestion model: how long it lasts on average
    (exponential), the one-way delay it adds and the loss it causes."""

    mean: float  # seconds
    delay: float = 0.0  # seconds added one way
    loss: float = 0.0  # probability per packet


@dataclass(frozen=True, slots=True)
class Congestion:
    """A two-state (calm, congested) episodic model of an internet path (issue 11)."""

    calm: EpisodeState
    congested: EpisodeState

    @property
    def congested_share(self) -> float:
        """The long-run share of time congested (the stationary probability)."""
        return self.congested.mean / (self.calm.mean + self.congested.mean)


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    kind: LinkKind
    endpoints: tuple[str, str]
    capacity: float  # bit/s per direction
    delay: Dist  # one-way, seconds, sampled per packet
    convergence: Dist  # detection -> forwarding on the new path
    preference: int
    bgp: Bgp
    buffer: float | None = None  # bytes per direction
    mtbf: float | None = None
    mttr: Dist | None = None
    bfd: Bfd | None = None
    dpd: Dpd | None = None
    overhead: float = 0.0  # bytes added to every packet
    underlay: tuple[str, ...] = ()
    cost: Cost = field(default_factory=Cost.unknown)
    prepend: int = 0  # AS-path prepending on routes learned over it
    failure_mode: FailureMode | None = None  # of its random failures; None: by kind
    mtu: float = DEFAULT_MTU  # largest packet on the link, its own overhead included (bytes)
    max_pps: float | None = None  # packets/s per direction (VPN tunnels), with capacity
    congestion: Congestion | None = None  # internet links: episodic congestion

    def other(self, node: str) -> str:
        a, b = self.endpoints
        return b if node == a else a


@dataclass(frozen=True, slots=True)
class Group:
    """A shared-risk group: one failure event fails every member link and node."""

    name: str
    links: tuple[str, ...]
    nodes: tuple[str, ...] = ()
    mtbf: float | None = None
    mttr: Dist | None = None
    failure_mode: FailureMode | None = None  # of its random failures; None: down


@dataclass(frozen=True, slots=True)
class Topology:
    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    groups: tuple[Group, ...] = ()
    description: str = ""
    source: str = ""  # the file it was loaded from, for messages
    # Lookups built on first use (routing and checks ask millions of times at 20 regions);
    # not part of the value: no comparison, hash or repr, and a replaced copy starts empty.
    _nodes_by_name: dict[str, Node] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _links_by_name: dict[str, Link] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _routed: list[tuple[Link, ...]] = field(
        default_factory=list, init=False, repr=False, compare=False, hash=False
    )

    def node(self, name: str) -> Node:
        if not self._nodes_by_name:
            self._nodes_by_name.update(_first_by_name(self.nodes))
        try:
            return self._nodes_by_name[name]
        except KeyError:
            raise KeyError(name) from None

    def link(self, name: str) -> Link:
        if not self._links_by_name:
            self._links_by_name.update(_first_by_name(self.links))
        try:
            return self._links_by_name[name]
        except KeyError:
            raise KeyError(name) from None

    def group(self, name: str) -> Group:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    @property
    def underlay_links(self) -> frozenset[str]:
        """Links that only carry VPN tunnels; they are not part of the routed overlay."""
        return frozenset(u for link in self.links for u in link.underlay)

    @property
    def routed_links(self) -> tuple[Link, ...]:
        if not self._routed:
            underlay = self.underlay_links
            self._routed.append(tuple(link for link in self.links if link.name not in underlay))
        return self._routed[0]

    @property
    def unpriced(self) -> tuple[str, ...]:
        """The routed links, then the nodes other than clouds and the internet, that have
        no ``cost:`` key: no cost model, not a price of $0 (underlay links are billed on
        the tunnels over them).

        Examples
        --------
        >>> n = Node("mcr", Role.EXCHANGE)
        >>> n.cost.declared, Node("mcr", Role.EXCHANGE, cost=Cost(0.0)).cost.declared
        (False, True)
        """
        free = (Role.CLOUD, Role.INTERNET)
        return (
            *(x.name for x in self.routed_links if not x.cost.declared),
            *(n.name for n in self.nodes if n.role not in free and not n.cost.declared),
        )

    def endpoints_of(self) -> tuple[str, ...]:
        """The nodes traffic and availability are reported for: role cloud, else all."""
        clouds = tuple(n.name for n in self.nodes if n.role is Role.CLOUD)
        return clouds or self.node_names

    def links_of(self, node: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if node in link.endpoints)


Named = TypeVar("Named", Node, Link)


def _first_by_name(items: tuple[Named, ...]) -> dict[str, Named]:
    """Items by name, the first of a name winning (as a scan in order would find it)."""
    out: dict[str, Named] = {}
    for item in items:
        out.setdefault(item.name, item)
    return out

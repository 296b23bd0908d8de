"""Deterministic address and key allocation for exported labs.

Every value depends only on the topology (names and order), so exporting the same topology
twice gives byte-identical files. Pools (all documentation or private ranges):

- interconnects: consecutive /30s of 172.16.0.0/16 (first endpoint .1, second .2);
- internet links: consecutive /30s of 198.51.100.0/24 (TEST-NET-2);
- tunnel inside addresses: consecutive /30s of 169.254.10.0/23 (link-local, as AWS uses);
- router ids: 192.0.2.<n> (TEST-NET-1), one per FRR node;
- the host subnet of a cloud: the second /24 of its first prefix (gateway .1, host .10).

Pre-shared keys are not allocated here: they are made for each deploy
(:mod:`netsim.lab.daemons.secrets`) and never written into an exported file.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

INTERCONNECT_POOL = ipaddress.IPv4Network("172.16.0.0/16")
INTERNET_POOL = ipaddress.IPv4Network("198.51.100.0/24")
TUNNEL_POOL = ipaddress.IPv4Network("169.254.10.0/23")
ROUTER_ID_POOL = ipaddress.IPv4Network("192.0.2.0/24")
HOST_PREFIX = 24  # a cloud host gets the second /24 of a prefix wider than that
SMALL_SUBNET = 16  # addresses; in a subnet this small the host is .2, not .10


class PoolExhausted(ValueError):
    """A topology needs more addresses than a pool holds."""


@dataclass(frozen=True, slots=True)
class PointToPoint:
    """A /30 for one link: ``a`` and ``b`` are ``address/30`` strings."""

    a: str
    b: str

    @property
    def a_ip(self) -> str:
        return self.a.split("/")[0]

    @property
    def b_ip(self) -> str:
        return self.b.split("/")[0]


def p2p(pool: ipaddress.IPv4Network, index: int) -> PointToPoint:
    """The ``index``-th /30 of ``pool``."""
    base = int(pool.network_address) + 4 * index
    if base + 3 > int(pool.broadcast_address):
        raise PoolExhausted(f"more than {pool.num_addresses // 4} links need addresses from {pool}")
    first = ipaddress.IPv4Address(base + 1)
    return PointToPoint(f"{first}/30", f"{first + 1}/30")


def router_id(index: int) -> str:
    if index + 1 >= ROUTER_ID_POOL.num_addresses - 1:
        raise PoolExhausted("more than 253 routers")
    return str(ROUTER_ID_POOL.network_address + index + 1)


@dataclass(frozen=True, slots=True)
class HostSubnet:
    gateway: str  # address/len on the cloud edge
    host: str  # address/len on the host

    @property
    def gateway_ip(self) -> str:
        return self.gateway.split("/")[0]


def host_subnet(prefix: str) -> HostSubnet:
    """Where a cloud's traffic endpoint lives inside the cloud's first prefix."""
    net = ipaddress.IPv4Network(prefix, strict=False)
    subnet = list(net.subnets(new_prefix=HOST_PREFIX))[1] if net.prefixlen < HOST_PREFIX else net
    host_index = 10 if subnet.num_addresses > SMALL_SUBNET else 2
    return HostSubnet(
        f"{subnet.network_address + 1}/{subnet.prefixlen}",
        f"{subnet.network_address + host_index}/{subnet.prefixlen}",
    )

"""What the providers allow, for recommendations that can be ordered: cited figures.

Each figure cites its row of ``../shared/reference/numbers.md``. A recommendation never
asks for a BFD timer a provider does not offer, or a VPN size it does not sell: when the
provider's limit stops a change, the recommendation says so and proposes what can be done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.model.topology import Link, Topology


@dataclass(frozen=True, slots=True)
class BfdFloor:
    """The fastest BFD a provider's side of a session accepts."""

    interval: float  # s
    multiplier: int
    source: str

    @property
    def detection(self) -> float:
        return self.interval * self.multiplier


#: The fastest BFD per provider (numbers.md section 3).
BFD_FLOOR = {
    "aws": BfdFloor(0.3, 3, 'numbers.md s3 "AWS DX BFD": minimum interval 300 ms, multiplier 3'),
    "azure": BfdFloor(
        0.3, 3, 'numbers.md s3 "Azure ER BFD": example 300 ms × 3 (no minimum published)'
    ),
    "gcp": BfdFloor(
        1.0,
        5,
        'numbers.md s3 "GCP Cloud Router BFD defaults": min tx/rx 1000 ms (range '
        "1000–30000), multiplier 5 (range 5–16)",
    ),
}
#: A session between nodes of no listed provider: the AWS DX minimum, the most common
#: fast setting (a netsim default, cited).
DEFAULT_BFD = BfdFloor(0.3, 3, 'netsim default: numbers.md s3 "AWS DX BFD" 300 ms × 3')

#: VPN capacity steps: ECMP over standard 1.25 Gbit/s tunnels (numbers.md s4 "AWS S2S VPN
#: tunnel, Standard" and "AWS VPN on TGW": ECMP across tunnels and connections).
VPN_TUNNEL_BPS = 1.25e9
VPN_SOURCE = (
    'numbers.md s4 "AWS S2S VPN tunnel, Standard" (1.25 Gbit/s per tunnel) and "AWS VPN on '
    'TGW" (ECMP across tunnels)'
)
#: Internet egress prices compared with (numbers.md s5 "AWS internet egress" $0.09,
#: "GCP internet egress, Premium tier NA" $0.08-$0.12): the range the ADR also quotes.
EGRESS_USD_PER_GB = (0.08, 0.12)
EGRESS_SOURCE = 'numbers.md s5 "AWS internet egress", "GCP internet egress, Premium tier NA"'


def bfd_floor(link: Link, topology: Topology) -> BfdFloor:
    """The fastest BFD ``link`` can run: the slowest floor of its ends' providers."""
    floors = [
        BFD_FLOOR[p]
        for p in (topology.node(n).provider for n in link.endpoints)
        if p is not None and p in BFD_FLOOR
    ]
    return max(floors, key=lambda f: f.detection) if floors else DEFAULT_BFD


__all__ = [
    "BFD_FLOOR",
    "DEFAULT_BFD",
    "EGRESS_SOURCE",
    "EGRESS_USD_PER_GB",
    "VPN_SOURCE",
    "VPN_TUNNEL_BPS",
    "BfdFloor",
    "bfd_floor",
]

"""Designs of any size: ``netsim generate --sites N [--hubs K] [--vpn mesh|ring|none]``.

:func:`netsim.model.design_text.generate_design` builds the YAML text of a topology with ``N`` cloud sites in real
North American regions of AWS, GCP and Azure (taken in turn), ``K`` exchange hubs (MCRs in
Megaport metros), each site's 10 Gbps interconnect to its nearest hub, the hubs meshed by
VXCs, an IPSec VPN overlay between sites (every pair, a ring, or none) over each site's
internet access, and the MCR of each hub as a shared-risk group; and of a scenario with a
day of ADR-003 load scaled to ``N`` sites. Every parameter comes from the same rows of
``numbers.md`` as ``topologies/megaport-hub.yaml`` (cited in a comment next to it) or is a
marked ASSUMPTION; delays are derived from great-circle distances (the derivation is in
the comment). Pure: no files (``netsim/cli/generate.py`` writes them). This module holds
the regions, hubs and numbers;

:mod:`netsim.model.design_text` writes the files' text from these.

Examples
--------
>>> [s.name for s in pick_sites(4, 1, 1)]
['aws-us-east-1', 'gcp-us-central1', 'azure-eastus', 'aws-us-east-2']
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from netsim.errors import UsageError

# (provider, region, city, latitude, longitude): public region locations, approximate.
REGIONS: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    "aws": (
        ("us-east-1", "Ashburn VA", 39.04, -77.49),
        ("us-east-2", "Columbus OH", 39.96, -83.00),
        ("us-west-2", "Boardman OR", 45.84, -119.70),
        ("us-west-1", "San Jose CA", 37.34, -121.89),
        ("ca-central-1", "Montreal QC", 45.50, -73.57),
        ("ca-west-1", "Calgary AB", 51.05, -114.07),
        ("mx-central-1", "Queretaro MX", 20.59, -100.39),
    ),
    "gcp": (
        ("us-central1", "Council Bluffs IA", 41.26, -95.86),
        ("us-east4", "Ashburn VA", 39.04, -77.49),
        ("us-east1", "Moncks Corner SC", 33.20, -80.01),
        ("us-west1", "The Dalles OR", 45.59, -121.18),
        ("us-south1", "Dallas TX", 32.78, -96.80),
        ("us-west2", "Los Angeles CA", 34.05, -118.24),
        ("us-east5", "Columbus OH", 39.96, -83.00),
        ("us-west3", "Salt Lake City UT", 40.76, -111.89),
        ("us-west4", "Las Vegas NV", 36.17, -115.14),
        ("northamerica-northeast1", "Montreal QC", 45.50, -73.57),
        ("northamerica-northeast2", "Toronto ON", 43.65, -79.38),
    ),
    "azure": (
        ("eastus", "Boydton VA", 36.67, -78.39),
        ("centralus", "Des Moines IA", 41.59, -93.62),
        ("westus2", "Quincy WA", 47.23, -119.85),
        ("southcentralus", "San Antonio TX", 29.42, -98.49),
        ("eastus2", "Boydton VA", 36.67, -78.39),
        ("northcentralus", "Chicago IL", 41.88, -87.63),
        ("westus3", "Phoenix AZ", 33.45, -112.07),
        ("westus", "San Francisco CA", 37.77, -122.42),
        ("westcentralus", "Cheyenne WY", 41.14, -104.82),
        ("canadacentral", "Toronto ON", 43.65, -79.38),
        ("canadaeast", "Quebec City QC", 46.81, -71.21),
    ),
}
PROVIDERS = ("aws", "gcp", "azure")
# Megaport metros for the hubs, first the ADR's (Ashburn, next to us-east-1 and eastus).
HUB_METROS = (
    ("ashburn", 39.04, -77.49),
    ("dallas", 32.78, -96.80),
    ("san-jose", 37.34, -121.89),
    ("chicago", 41.88, -87.63),
    ("seattle", 47.61, -122.33),
    ("toronto", 43.65, -79.38),
)
MIN_SITES = 2  # a design joins regions: two at least
MAX_SITES = sum(len(r) for r in REGIONS.values())
VPN_KINDS = ("mesh", "ring", "none")
US_PER_KM = 4.92  # numbers.md s1 "Propagation delay, standard single-mode fibre"
ROUTE_FACTOR = 1.3  # numbers.md s1 "Route inflation, cable length vs great circle": 1.2-1.4x
METRO_KM = 50.0  # ASSUMPTION: cross-connects within one metro, as megaport-hub's aws-mcr

# Per provider, the interconnect's detection and prices exactly as topologies/megaport-hub.yaml.
INTERCONNECT = {
    "aws": (
        'bfd: {interval: 300ms, multiplier: 3}      # s3 "AWS DX BFD": 300 ms x 3 = 0.9 s',
        'bgp: {keepalive: 30s, hold: 90s}           # s3 "AWS DX default BGP hold / keepalive"',
        'cost: {monthly: 2642, per_gb: 0.02}        # s5 "AWS DX dedicated port-hour" 10G $1,642 + ASSUMPTION $1,000 VXC; s5 "AWS DX data transfer out"',
    ),
    "gcp": (
        'bfd: {interval: 1s, multiplier: 5}         # s3 "GCP Cloud Router BFD defaults": 1000 ms x 5',
        'bgp: {keepalive: 20s, hold: 60s}           # s3 "GCP Cloud Router BGP keepalive": 20 s, hold 60 s',
        'cost: {monthly: 2700, per_gb: 0.02}        # ASSUMPTION: s5 "GCP Cloud Interconnect egress per GB" not found; port ~ DX, + $1,000 VXC',
    ),
    "azure": (
        'bfd: {interval: 300ms, multiplier: 3}      # s3 "Azure ER BFD": example 300 ms x 3',
        'bgp: {keepalive: 60s, hold: 180s}          # s3 "Azure ER MSEE BGP keepalive / hold": 60 s / 180 s',
        'cost: {monthly: 2500, per_gb: 0.025}       # ASSUMPTION: s5 "Azure ER metered egress" EUR 0.02-0.11/GB, + $1,000 VXC',
    ),
}
# VPN tunnel capacity per provider end (the lower end limits the tunnel).
VPN_CAPACITY = {
    "aws": (1.25, 's4 "AWS S2S VPN tunnel, Standard": up to 1.25 Gbps per tunnel'),
    "gcp": (1.25, 'ASSUMPTION: s4 "GCP HA VPN per tunnel" 1-3 Gbps; the AWS figure as the floor'),
    "azure": (1.0, 's4 "Azure VPN Gateway aggregate throughput benchmark": VpnGw2 1 Gbps'),
}
EGRESS = {"aws": 0.09, "gcp": 0.12, "azure": 0.087}  # s5 internet egress rows, $/GB


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    provider: str
    region: str
    city: str
    lat: float
    lon: float
    hub: str


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km (numbers.md s1 derives its distances the same way)."""
    (lat1, lon1), (lat2, lon2) = (tuple(math.radians(x) for x in p) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def fibre_ms(km: float) -> float:
    """One-way fibre delay over a route ``ROUTE_FACTOR`` longer than the great circle."""
    return max(km, METRO_KM) * ROUTE_FACTOR * US_PER_KM / 1000.0


def pick_sites(n: int, hubs: int, seed: int) -> list[Site]:
    """``n`` sites: the providers in turn, each provider's regions in order (the seed
    rotates where each provider starts, for other designs of the same size), each homed
    on its nearest hub."""
    if not MIN_SITES <= n <= MAX_SITES:
        raise UsageError(f"--sites must be between 2 and {MAX_SITES}, got {n}")
    if not 1 <= hubs <= len(HUB_METROS):
        raise UsageError(f"--hubs must be between 1 and {len(HUB_METROS)}, got {hubs}")
    # seed 1 (the default) starts at the ADR-003 regions; others rotate each provider's list
    start = {p: ((seed - 1) * (i + 1)) % len(REGIONS[p]) for i, p in enumerate(PROVIDERS)}
    taken = dict.fromkeys(PROVIDERS, 0)
    out = []
    for i in range(n):
        provider = PROVIDERS[i % 3]
        while taken[provider] >= len(REGIONS[provider]):
            provider = PROVIDERS[(PROVIDERS.index(provider) + 1) % 3]
        regions = REGIONS[provider]
        region, city, lat, lon = regions[(start[provider] + taken[provider]) % len(regions)]
        taken[provider] += 1
        hub = min(HUB_METROS[:hubs], key=lambda m: great_circle_km((lat, lon), (m[1], m[2])))
        out.append(Site(f"{provider}-{region}", provider, region, city, lat, lon, f"mcr-{hub[0]}"))
    return _every_hub_used(out, hubs)


def _every_hub_used(sites: list[Site], hubs: int) -> list[Site]:
    """Sites with every one of the ``hubs`` hubs homing one at least: a hub no site is
    nearest to takes the site nearest to it among those of hubs with two or more (a hub
    nobody uses would be paid for and carry nothing). UsageError if there are fewer
    sites than hubs.

    >>> far = [Site(f"s{i}", "aws", "r", "c", 37.0, -122.0, "mcr-san-jose") for i in range(3)]
    >>> sorted({s.hub for s in _every_hub_used(far, 3)})
    ['mcr-ashburn', 'mcr-dallas', 'mcr-san-jose']
    """
    if len(sites) < hubs:
        raise UsageError(
            f"--hubs {hubs} needs at least as many sites: every hub homes one (--sites "
            f"{len(sites)})"
        )
    out = list(sites)
    for metro, lat, lon in HUB_METROS[:hubs]:
        hub = f"mcr-{metro}"
        if any(s.hub == hub for s in out):
            continue
        homes = Counter(s.hub for s in out)
        donors = [i for i, s in enumerate(out) if homes[s.hub] >= MIN_SITES]
        i = min(donors, key=lambda i: great_circle_km((out[i].lat, out[i].lon), (lat, lon)))
        out[i] = replace(out[i], hub=hub)
    return out


def vpn_pairs(n: int, vpn: str) -> list[tuple[int, int]]:
    """Site index pairs joined by a tunnel: every pair, neighbours on a ring, or none.

    >>> vpn_pairs(4, "ring"), len(vpn_pairs(4, "mesh")), vpn_pairs(2, "ring")
    ([(0, 1), (1, 2), (2, 3), (0, 3)], 6, [(0, 1)])
    """
    if vpn == "mesh":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    if vpn == "ring":
        ring = [(i, i + 1) for i in range(n - 1)]
        return ring + ([(0, n - 1)] if n > MIN_SITES else [])
    return []


__all__ = [
    "HUB_METROS",
    "MAX_SITES",
    "REGIONS",
    "VPN_KINDS",
    "Site",
    "fibre_ms",
    "great_circle_km",
    "pick_sites",
    "vpn_pairs",
]

"""The YAML text of a generated design (:mod:`netsim.model.generate`), comments included.

:func:`generate_design` is what ``netsim generate`` writes: ``topology.yaml`` and
``scenario.yaml`` of an ``N``-site design.

Every value is written with its source: the row of ``numbers.md`` it comes from (section and
quantity, as ``topologies/megaport-hub.yaml`` cites them), the derivation of a delay from a
distance, or ``ASSUMPTION``. The text is built line by line so the comments sit next to the
values they explain; ``netsim validate`` reads it like any hand-written file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.errors import UsageError
from netsim.model.generate import (
    EGRESS,
    HUB_METROS,
    INTERCONNECT,
    ROUTE_FACTOR,
    US_PER_KM,
    VPN_CAPACITY,
    VPN_KINDS,
    fibre_ms,
    great_circle_km,
    pick_sites,
    vpn_pairs,
)

if TYPE_CHECKING:
    from netsim.model.generate import Site

FIRST_ASN = 64512  # s3 "AWS TGW / DXGW Amazon-side default ASN": 64512, the private range's start
MEGAPORT_ASN = 133937  # s3 "Megaport ASN": third-party Terraform default, not confirmed
VPN_INFLATION = 1.4  # megaport-hub vpn-aws-gcp: 14 ms internet floor over 10.1 ms of fibre
API_PER_SITE = 1_000_000 // 3  # ADR-003: 1M+ API calls a day among its three clouds


@dataclass(frozen=True, slots=True)
class Design:
    """A generated design: the two files' text and what they hold."""

    name: str
    sites: tuple[str, ...]
    hubs: tuple[str, ...]
    topology: str  # YAML text of topology.yaml
    scenario: str  # YAML text of scenario.yaml (its topology: topology.yaml beside it)


def generate_design(n: int, *, hubs: int = 1, vpn: str = "ring", seed: int = 1) -> Design:
    """The topology and scenario text of an ``n``-site design; see the module docstring."""
    if vpn not in VPN_KINDS:
        raise UsageError(f"--vpn must be one of {', '.join(VPN_KINDS)}, got {vpn!r}")
    sites = pick_sites(n, hubs, seed)
    name = f"generated-{n}-sites-{hubs}-hub{'s' if hubs > 1 else ''}-{vpn}"
    hub_names = tuple(f"mcr-{m[0]}" for m in HUB_METROS[:hubs])
    return Design(
        name,
        tuple(s.name for s in sites),
        hub_names,
        topology_text(name, sites, HUB_METROS[:hubs], vpn),
        scenario_text(name, sites, seed),
    )


def _delay(km: float, what: str) -> str:
    ms = fibre_ms(km)
    jitter_us = max(20.0, round(ms * 10.0))  # ASSUMPTION: 1 % jitter, at least 20 us
    return (
        f"    delay: {{dist: norm, loc: {ms:.3f}ms, scale: {jitter_us:.0f}us}}   # s1: {what} "
        f'{km:.0f} km great circle x {ROUTE_FACTOR} ("Route inflation") x {US_PER_KM} us/km '
        f'("Propagation delay, standard single-mode fibre"); jitter ASSUMPTION 1 %'
    )


def _interconnect(name: str, a: str, b: str, km: float, provider: str | None) -> list[str]:
    bfd, bgp, cost = INTERCONNECT[provider or "aws"]
    lines = [
        f"  - name: {name}",
        "    kind: interconnect",
        f"    endpoints: [{a}, {b}]",
        '    capacity: 10Gbps    # ADR-003; s4 "Megaport AWS Hosted Connection": up to 10 Gbps per VXC',
        _delay(km, f"{a} to {b}"),
        "    buffer: 12MB        # ASSUMPTION: ~10 ms of a 10 Gbps port (as megaport-hub)",
        '    mtbf: 8760h         # ASSUMPTION: s2 "Published MTBF/MTTR": not found; one failure a year',
        '    mttr: {dist: lognorm, s: 0.8, scale: 4h}   # s2 "Fibre break exposure": repair ~4 h (weak)',
        f"    {bfd}",
        f"    {bgp}",
        '    convergence: 1s     # ASSUMPTION: s3 "BGP convergence, single withdraw": under 10 s observed',
        "    preference: 100",
    ]
    if provider is None:  # between two hubs: a Megaport VXC, detection as AWS DX's
        lines[-4] = (
            '    bfd: {interval: 300ms, multiplier: 3}      # ASSUMPTION: MCR-to-MCR VXC with BFD as s3 "AWS DX BFD"'
        )
        lines.append(
            '    cost: {monthly: 1000}   # ASSUMPTION: the $1,000 VXC megaport-hub adds to each port (s5 "Megaport VXC": $ not published)'
        )
    else:
        lines.append(f"    {cost}")
    return lines


def _vpn(a: Site, b: Site) -> list[str]:
    km = great_circle_km((a.lat, a.lon), (b.lat, b.lon))
    floor = fibre_ms(km) * VPN_INFLATION
    tail = max(2.0, floor * 0.3)
    cap, why = min((VPN_CAPACITY[a.provider], VPN_CAPACITY[b.provider]), key=lambda c: c[0])
    per_gb = round((EGRESS[a.provider] + EGRESS[b.provider]) / 2, 4)
    return [
        f"  - name: vpn-{a.name}-{b.name}",
        "    kind: vpn",
        f"    endpoints: [{a.name}, {b.name}]",
        f"    underlay: [{a.name}-inet, {b.name}-inet]",
        f"    capacity: {cap:g}Gbps   # {why}",
        f"    delay: {{dist: lognorm, s: 0.6, loc: {floor:.3f}ms, scale: {tail:.3f}ms}}   # as "
        'megaport-hub vpn-aws-gcp: s1 "Internet path inflation" floor (1.4x the fibre '
        'delay) and "Internet IPsec VPN vs AWS DX jitter" tail (weak)',
        "    buffer: 4MB         # ASSUMPTION: ~25 ms at 1.25 Gbps (as megaport-hub)",
        '    overhead: 62B       # s6 "ESP tunnel-mode overhead, AES-GCM, IPv4": 54 B + 8 B NAT-T',
        '    dpd: {delay: 10s, timeout: 30s}            # s3 "AWS VPN DPD timeout": 30-40 s',
        "    bgp: {keepalive: 10s, hold: 30s}           # ASSUMPTION: AWS VPN tunnel BGP defaults",
        "    mtbf: 2190h         # ASSUMPTION: tunnel resets a few times a year",
        "    mttr: {dist: lognorm, s: 0.5, scale: 5m}   # ASSUMPTION",
        "    convergence: 2s     # ASSUMPTION",
        "    preference: 50",
        f'    cost: {{monthly: 73, per_gb: {per_gb}}}   # s5 "AWS S2S VPN connection" $36.5/mo x 2 '
        "ends; per GB the mean of the two ends' s5 internet egress rows",
    ]


def topology_text(
    name: str, sites: list[Site], metros: tuple[tuple[str, float, float], ...], vpn: str
) -> str:
    """``topology.yaml`` of a generated design (see :mod:`netsim.model.generate`)."""
    hubs = [f"mcr-{m[0]}" for m in metros]
    at = {f"mcr-{m[0]}": (m[1], m[2]) for m in metros}
    lines = [
        f"# Generated by `netsim generate --sites {len(sites)} --hubs {len(hubs)} --vpn {vpn}`: the",
        "# ADR-003 design (clouds on a Megaport Cloud Router over 10 Gbps interconnects, IPSec VPN",
        "# fallback over the internet) at this many regions. Every default cites its row in",
        "# ../shared/reference/numbers.md (section: quantity) as topologies/megaport-hub.yaml does;",
        "# ASSUMPTION marks values with no public figure. Override any of them with --set.",
        f"name: {name}",
        f"description: {len(sites)} cloud regions on {len(hubs)} MCR hub(s), VPN {vpn} fallback",
        "",
        "nodes:",
    ]
    for i, s in enumerate(sites):
        lines += [
            f"  {s.name}:",
            "    role: cloud",
            f"    provider: {s.provider}",
            f"    region: {s.region}   # {s.city}",
            f'    asn: {FIRST_ASN + i}   # ASSUMPTION: one private ASN per site from s3 "AWS TGW / '
            "DXGW Amazon-side default ASN\" 64512 on, so BGP's loop check never drops routes between sites of one provider",
            f"    prefixes: [10.{i + 1}.0.0/16]",
        ]
    for k, hub in enumerate(hubs):
        lines += [
            f"  {hub}:",
            "    role: exchange",
            "    provider: megaport",
            f"    region: {hub.removeprefix('mcr-')}   # ASSUMPTION: MCR in this Megaport metro",
            f"    asn: {MEGAPORT_ASN if k == 0 else 65000 + k}   # "
            + (
                's3 "Megaport ASN": third-party Terraform default, not confirmed'
                if k == 0
                else "ASSUMPTION: a private ASN for each further MCR"
            ),
            '    cost: {monthly: 3000}   # ASSUMPTION: s5 "Megaport MCR": $ amounts not published',
        ]
    if vpn != "none":
        lines += ["  internet:", "    role: internet"]
    lines += [
        "",
        "links:",
        "  # --- primary: each region's 10 Gbps interconnect to its nearest MCR ---",
    ]
    for s in sites:
        km = great_circle_km((s.lat, s.lon), at[s.hub])
        lines += _interconnect(f"{s.name}-{s.hub}", s.name, s.hub, km, s.provider)
    if len(hubs) > 1:
        lines.append("  # --- the MCRs meshed by VXCs ---")
        for i, a in enumerate(hubs):
            for b in hubs[i + 1 :]:
                lines += _interconnect(f"{a}-{b}", a, b, great_circle_km(at[a], at[b]), None)
    if vpn != "none":
        lines.append(f"  # --- fallback: IPSec VPN {vpn} over the internet ---")
        for i, j in vpn_pairs(len(sites), vpn):
            lines += _vpn(sites[i], sites[j])
        lines.append("  # --- internet underlay: carries only the tunnels ---")
        for s in sites:
            lines += [
                f"  - name: {s.name}-inet",
                "    kind: internet",
                f"    endpoints: [{s.name}, internet]",
                "    capacity: 10Gbps    # ASSUMPTION: internet access is not the bottleneck",
                "    delay: 1ms          # ASSUMPTION: to the provider's internet edge (as megaport-hub)",
                "    mtbf: 8760h         # ASSUMPTION",
                "    mttr: {dist: lognorm, s: 0.7, scale: 30m}  # ASSUMPTION",
            ]
    lines += [
        "",
        "groups:",
        "  # Each MCR is one virtual router: its failure takes all its links down at once.",
    ]
    for hub in hubs:
        members = [f"{s.name}-{hub}" for s in sites if s.hub == hub]
        members += [f"{a}-{b}" for i, a in enumerate(hubs) for b in hubs[i + 1 :] if hub in (a, b)]
        if not members:
            continue
        lines += [
            f"  megaport-{hub}:",
            f"    members: [{', '.join(members)}]",
            '    mtbf: 43800h        # ASSUMPTION: s2 "Megaport MCR SLA / availability": not found; once in 5 years',
            "    mttr: 2h            # ASSUMPTION",
        ]
    return "\n".join(lines) + "\n"


def scenario_text(name: str, sites: list[Site], seed: int) -> str:
    """``scenario.yaml``: a day of ADR-003 load scaled to the sites, with its SLOs."""
    names = [s.name for s in sites]
    first = names[0]
    api = (
        "request_size: 2KB, response_size: {dist: lognorm, s: 1.0, scale: 20KB}, "
        "server_time: {dist: lognorm, s: 0.5, scale: 5ms}, timeout: 3s"
    )
    lines = [
        '# A day of ADR-003 load scaled to these regions (numbers.md s4 "ADR load"): each region',
        f"# calls every other as much as one ADR-003 cloud does ({API_PER_SITE}/day, a third of",
        "# 1M+/day, diurnal), replicates artifacts from the first region to every other at the",
        "# ADR's 5 TB a month per destination (10 TB/month to two), and sends observability to",
        "# the first region at the ADR's 10/s. SLOs: ADR-003's P95 < 50 ms and 99.99 %.",
        f"name: {name}-day",
        f"description: one day of ADR-003 load scaled to {len(sites)} regions",
        "topology: topology.yaml",
        "duration: 1d",
        "warmup: 60s",
        f"seed: {seed}",
        "mesh:",
        '  sidecar_latency: {dist: lognorm, s: 0.5, scale: 0.55ms}   # numbers.md s1 "Istio sidecar"',
        "  retries: {attempts: 3, per_try_timeout: 1s, backoff: 25ms}  # a typical Istio retry policy",
        "traffic:",
    ]
    for s in names:
        others = ", ".join(n for n in names if n != s)
        lines.append(
            f"  - {{name: api-{s}, kind: request-response, from: {s}, to: [{others}], "
            f"rate: {API_PER_SITE}/day, profile: {{kind: diurnal, peak_to_mean: 2.5}}, {api}}}"
        )
    rest = ", ".join(names[1:])
    lines += [
        "  - name: replication",
        "    kind: bulk",
        f"    from: {first}",
        f"    to: [{rest}]",
        f"    volume: {5 * (len(names) - 1)}TB/month   # 5 TB/month per destination, as ADR-003",
        "    transfer_size: 100GB",
        "    max_rate: 5Gbps",
    ]
    for s in names[1:]:
        lines.append(
            f"  - {{name: observability-{s}, kind: one-way, from: {s}, to: {first}, rate: 10/s, "
            "size: {dist: lognorm, s: 0.5, scale: 30KB}}"
        )
    lines.append("slos:")
    for s in names:
        lines += [
            f"  - {{name: api-{s}-p95, class: api-{s}, metric: latency, quantile: 0.95, max: 50ms}}",
            f"  - {{name: api-{s}-availability, class: api-{s}, metric: success_ratio, min: 0.9999}}",
        ]
    return "\n".join(lines) + "\n"


__all__ = ["Design", "generate_design", "scenario_text", "topology_text"]

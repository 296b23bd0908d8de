"""What ADR-003 claims, quoted, so the report can give each claim a computed verdict.

These are the decision record's own statements (../shared/adr/ADR-003), not model inputs
and not results: each is tested against a number computed from a run, the topology or the
availability model (:mod:`netsim.report.claims`). They apply only when the design under
review is ADR-003's (:func:`is_adr003`); another design is judged on its own scenarios'
SLOs and on netsim's cited defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.model.topology import Topology

#: The topology that is ADR-003's production design, and the ADR's alternatives.
ADR_TOPOLOGY = "megaport-hub"


@dataclass(frozen=True, slots=True)
class AdrClaims:
    """ADR-003's numbers; each attribute's comment is the ADR's own words."""

    p95_slo_ms: float = 50.0  # "Latency <50ms P95 (SLO for cross-cloud API calls)"
    expected_latency_ms: tuple[float, float] = (25.0, 30.0)  # "25-30ms latency"
    bandwidth_bps: float = 10e9  # "Bandwidth: 10+ Gbps sustained"
    link_availability: float = 0.9999  # "10 Gbps per link, 99.99% SLA"
    uptime: float = 0.9999  # "99.99% uptime on interconnects"
    interconnect_monthly_usd: float = 15_000.0  # "Cost: $15K/month"
    egress_monthly_usd: float = 40_000.0  # "$40K/month egress fees"
    savings: float = 0.62  # "(62% savings)"
    egress_usd_per_gb: tuple[float, float] = (0.08, 0.12)  # "egress fees ($0.08-$0.12/GB)"
    replication_tb_month: float = 10.0  # "Model artifact replication (10TB+ monthly)"
    api_per_day: float = 1e6  # "Cross-cloud API calls (1M+ requests/day)"
    full_mesh_monthly_usd: float = 50_000.0  # "Full Mesh ... $50K/month cost"
    internet_latency_ms: tuple[float, float] = (100.0, 500.0)  # "unpredictable (100-500ms)"
    vpn_throughput_bps: float = 1e9  # "1 Gbps throughput"
    vpn_monthly_usd: float = 100.0  # "Cost: $100/month (AWS VPN Gateway)"
    interconnects: int = 3  # "3 interconnects to manage"


ADR_003 = AdrClaims()

#: The ADR's sentences, quoted where a finding names its threshold.
QUOTES = {
    "p95": "Latency <50ms P95 (SLO for cross-cloud API calls)",
    "expected": "Performance: 25-30ms latency (well under 50ms SLO)",
    "bandwidth": "Bandwidth: 10+ Gbps sustained",
    "link_sla": "10 Gbps per link, 99.99% SLA",
    "uptime": "Reliability: 99.99% uptime on interconnects",
    "cost": "Cost: $15K/month interconnect vs $40K/month egress fees (62% savings)",
    "egress": "Cost: Minimize egress fees ($0.08-$0.12/GB)",
    "replication": "Model artifact replication (10TB+ monthly)",
    "api": "Cross-cloud API calls (1M+ requests/day)",
    "full_mesh": "Alternative 2: Full Mesh Dedicated Circuits - Rejected: $50K/month cost",
    "internet": "Alternative 1: Public Internet Only - Rejected: Latency unpredictable (100-500ms)",
    "vpn": "Dev/Staging: Site-to-Site VPN - 1 Gbps throughput",
    "vpn_cost": "Dev/Staging: Cost: $100/month (AWS VPN Gateway)",
    "backup": "Mitigation: Maintain VPN as backup, monitor Megaport SLA",
    "vendor": "Vendor Dependency: Megaport as critical path",
    "interconnects": "Complexity: 3 interconnects to manage",
}


def is_adr003(topology: Topology | None) -> bool:
    """Whether ``topology`` is ADR-003's production design (its claims apply)."""
    return topology is not None and topology.name == ADR_TOPOLOGY


__all__ = ["ADR_003", "ADR_TOPOLOGY", "QUOTES", "AdrClaims", "is_adr003"]

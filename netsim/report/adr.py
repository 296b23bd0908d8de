"""What ADR-003 claims, quoted so the report can test each claim against computed numbers.

These are the decision record's own statements (../shared/adr/ADR-003), not model inputs
and not results: every finding puts a number computed from a run or from the topology next
to the claim it tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AdrClaims:
    p95_slo_ms: float = 50.0  # "Latency <50ms P95"
    expected_latency_ms: tuple[float, float] = (25.0, 30.0)  # "25-30ms latency"
    link_availability: float = 0.9999  # "10 Gbps per link, 99.99% SLA"
    interconnect_monthly_usd: float = 15_000.0  # "Cost: $15K/month"
    egress_monthly_usd: float = 40_000.0  # "$40K/month egress fees"
    savings: float = 0.62  # "(62% savings)"
    egress_usd_per_gb: tuple[float, float] = (0.08, 0.12)  # "egress fees ($0.08-$0.12/GB)"
    full_mesh_monthly_usd: float = 50_000.0  # "Full Mesh ... $50K/month cost"
    vpn_throughput_bps: float = 1e9  # "1 Gbps throughput"


ADR_003 = AdrClaims()

__all__ = ["ADR_003", "AdrClaims"]

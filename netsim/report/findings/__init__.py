"""Findings: short statements generated from the numbers, each with its evidence.

Every function here reads a :class:`~netsim.report.findings.base.Context` (the design's
runs, its availability, its cost, its alternatives) and returns zero or one
:class:`Finding`. No number in a finding is typed in: each comes from a run or a
computation of the same report; the thresholds are the ADR's claims (quoted, only when
the design is ADR-003's), the scenarios' SLOs, or netsim defaults (cited, or marked as
uncited), and each finding names its source. Change the topology (a second MCR, a faster
VPN) and the findings change with it.

The modules: :mod:`~netsim.report.findings.design` (single points of failure,
availability), :mod:`~netsim.report.findings.traffic` (fallback capacity, latency,
success ratio, failover gaps, bandwidth), :mod:`~netsim.report.findings.timing` (detection, cost).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.report.findings.base import Context, Finding
from netsim.report.findings.design import finding_availability, finding_spof
from netsim.report.findings.timing import (
    blackhole_detection_s,
    finding_cost,
    finding_detection,
)
from netsim.report.findings.traffic import (
    finding_bandwidth,
    finding_failover,
    finding_fallback,
    finding_latency,
    finding_success,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

FINDINGS: tuple[Callable[[Context], Finding | None], ...] = (
    finding_latency,
    finding_success,
    finding_failover,
    finding_detection,
    finding_fallback,
    finding_spof,
    finding_availability,
    finding_bandwidth,
    finding_cost,
)


def compute_findings(ctx: Context, extra: Sequence[Finding | None] = ()) -> list[Finding]:
    """Every finding the context supports, worst first (stable within a verdict)."""
    found = [f for f in (*(fn(ctx) for fn in FINDINGS), *extra) if f is not None]
    return sorted(found, key=lambda f: f.status.rank)


__all__ = [
    "FINDINGS",
    "Context",
    "Finding",
    "blackhole_detection_s",
    "compute_findings",
    "finding_availability",
    "finding_bandwidth",
    "finding_cost",
    "finding_detection",
    "finding_failover",
    "finding_fallback",
    "finding_latency",
    "finding_spof",
    "finding_success",
]

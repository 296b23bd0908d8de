"""Every quantitative claim of ADR-003 with a computed verdict, and the review's verdict.

:func:`adr_claims` walks the ADR's numbers (:mod:`netsim.report.adr`, quoted) and puts
each beside the figure this review computed for it: from a finding, a run, the topology,
the cost model or an alternative design. :func:`verdict_sentence` is the one sentence the
report opens with: does the design as written meet its requirements (the ADR's claims for
ADR-003, the scenarios' SLOs and netsim's defaults for any other design), and what the
recommendations do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.scenario import TrafficKind
from netsim.model.topology import LinkKind
from netsim.model.units import DAYS_PER_MONTH
from netsim.report.adr import QUOTES
from netsim.report.style import fmt_bps, fmt_usd
from netsim.report.vocab import Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.report.alternatives import DesignRow
    from netsim.report.findings import Context, Finding
    from netsim.report.verification import Verified

#: A cost claim about an alternative holds within this share of the computed figure
#: (netsim default, uncited: the ADR gives round numbers).
COST_TOLERANCE = 0.10


@dataclass(frozen=True)
class Claim:
    """One claim of the ADR, the computed figure, its verdict and where it comes from."""

    quote: str
    computed: str
    status: Status
    basis: str

    def to_json(self) -> dict[str, object]:
        return {
            "quote": self.quote,
            "computed": self.computed,
            "status": self.status.value,
            "basis": self.basis,
        }


def _from(f: Finding | None, quote: str) -> Claim:
    if f is None:
        return Claim(quote, "not computed by these runs", Status.NOTE, "-")
    return Claim(quote, f.text, f.status, f"finding: {f.title}")


def _expected_latency(ctx: Context) -> Claim:
    assert ctx.claims is not None
    lo, hi = ctx.claims.expected_latency_ms
    rows = []
    for run in ctx.mine:
        if run.summary.failovers or run.scenario is None:
            continue
        for cls in run.scenario.traffic:
            stats = run.summary.traffic.get(cls.name)
            lat = getattr(stats, "latency_ms", None)
            if cls.kind is TrafficKind.REQUEST_RESPONSE and lat is not None and lat.p50:
                rows.append((cls.name, lat.p50, lat.p50_ci[1] or lat.p50, run.label))
    if not rows:
        return Claim(QUOTES["expected"], "no failure-free run with API calls", Status.NOTE, "-")
    over = [r for r in rows if r[2] > hi]
    under = [r for r in rows if r[1] < lo]
    text = "; ".join(f"{n} median {p:.1f} ms" for n, p, _, _ in rows)
    if under:
        text += f" ({', '.join(r[0] for r in under)} below {lo:g} ms: faster than claimed)"
    return Claim(
        QUOTES["expected"],
        text,
        Status.FAILS if over else Status.HOLDS,
        f"median latency of each API class in {rows[0][3]} (the claim read as the median)",
    )


def _per_link(ctx: Context) -> Claim:
    assert ctx.claims is not None
    assert ctx.topology is not None
    target = ctx.claims.link_availability
    rows = []
    for link in ctx.topology.links:
        if link.kind is LinkKind.INTERCONNECT and link.mtbf and link.mttr is not None:
            a = link.mtbf / (link.mtbf + link.mttr.mean())
            rows.append((link.name, a))
    if not rows:
        return Claim(QUOTES["link_sla"], "no interconnect has a failure model", Status.NOTE, "-")
    text = ", ".join(f"{n} {100 * a:.3f}%" for n, a in rows)
    return Claim(
        QUOTES["link_sla"],
        text + " (from each link's mtbf/mttr: ASSUMPTION, no published figure)",
        Status.FAILS if min(a for _, a in rows) < target else Status.HOLDS,
        "steady state mtbf / (mtbf + mean mttr) per interconnect",
    )


def _load(ctx: Context) -> list[Claim]:
    assert ctx.claims is not None
    cost_run = next(
        (
            r
            for r in ctx.mine
            if r.scenario is not None
            and not r.scenario.failures
            and any(c.volume_rate for c in r.scenario.traffic)
        ),
        None,
    )
    if cost_run is None or cost_run.scenario is None:
        return []
    sc = cost_run.scenario
    tb = sum(c.volume_rate for c in sc.traffic) * DAYS_PER_MONTH * 86400 / 1e12
    calls = sum(c.rate for c in sc.traffic if c.kind is TrafficKind.REQUEST_RESPONSE) * 86400
    peak = max(
        (float(v.utilization_mean or 0.0) for v in cost_run.summary.links.values()),
        default=0.0,
    )
    return [
        Claim(
            QUOTES["replication"],
            f"{sc.name} declares {tb:.1f} TB/month of bulk transfer; mean link use "
            f"{100 * peak:.2f}% at most",
            Status.HOLDS if tb >= ctx.claims.replication_tb_month else Status.FAILS,
            f"the load the scenario {sc.name} declares (the review's load)",
        ),
        Claim(
            QUOTES["api"],
            f"{sc.name} declares {calls:,.0f} API calls a day",
            Status.HOLDS if calls >= ctx.claims.api_per_day else Status.FAILS,
            f"the load the scenario {sc.name} declares",
        ),
    ]


def _row(rows: Sequence[DesignRow], design: str) -> DesignRow | None:
    return next((r for r in rows if r.design == design), None)


def _alternatives(ctx: Context) -> list[Claim]:
    assert ctx.claims is not None
    c, rows, out = ctx.claims, ctx.alternatives, []
    mesh, inet, vpn = _row(rows, "full-mesh"), _row(rows, "internet-only"), _row(rows, "vpn-only")
    if mesh is not None:
        off = abs(mesh.cost.total - c.full_mesh_monthly_usd) / c.full_mesh_monthly_usd
        out.append(
            Claim(
                QUOTES["full_mesh"],
                f"full-mesh.yaml costs {fmt_usd(mesh.cost.total)}/month at the same load",
                Status.HOLDS if off <= COST_TOLERANCE else Status.FAILS,
                f"cost model of the alternative (within {COST_TOLERANCE:.0%})",
            )
        )
    if inet is not None and inet.normal_p95_ms is not None:
        lo, hi = c.internet_latency_ms
        inside = lo <= inet.normal_p95_ms <= hi
        out.append(
            Claim(
                QUOTES["internet"],
                f"internet-only.yaml: P95 {inet.normal_p95_ms:.1f} ms normally, "
                f"{inet.failure_p95_ms or 0:.1f} ms with its failure (its internet delays are "
                "assumptions)",
                Status.HOLDS if inside else Status.FAILS,
                "simulated alternative",
            )
        )
    if vpn is not None and vpn.topology is not None:
        caps = [x.capacity for x in vpn.topology.routed_links if x.kind is LinkKind.VPN]
        fixed = vpn.cost.fixed_total
        out.append(
            Claim(
                QUOTES["vpn"],
                f"vpn-only.yaml tunnels carry {fmt_bps(min(caps))} to {fmt_bps(max(caps))}"
                if caps
                else "no tunnels",
                Status.HOLDS if caps and min(caps) >= c.vpn_throughput_bps else Status.FAILS,
                "the alternative's tunnel capacities",
            )
        )
        out.append(
            Claim(
                QUOTES["vpn_cost"],
                f"vpn-only.yaml: {fmt_usd(fixed)}/month fixed, {fmt_usd(vpn.cost.total)} with "
                "egress at the same load",
                Status.HOLDS if fixed <= c.vpn_monthly_usd else Status.FAILS,
                "cost model of the alternative",
            )
        )
    return out


def adr_claims(ctx: Context, findings: Sequence[Finding]) -> list[Claim]:
    """Every quantitative claim of ADR-003 with its computed verdict (module docstring)."""
    if not ctx.adr or ctx.claims is None or ctx.topology is None:
        return []
    by = {f.key: f for f in findings}
    c = ctx.claims
    out = [
        _from(by.get("latency"), QUOTES["p95"]),
        _expected_latency(ctx),
        _from(by.get("bandwidth"), QUOTES["bandwidth"]),
        _per_link(ctx),
        _from(by.get("availability"), QUOTES["uptime"]),
    ]
    cost = ctx.cost
    if cost is not None:
        within = cost.total <= c.interconnect_monthly_usd
        out.append(
            Claim(
                "Cost: $15K/month",
                f"{'' if cost.complete else 'at least '}{fmt_usd(cost.total)}/month "
                f"({fmt_usd(cost.fixed_total)} fixed, prices partly ASSUMPTION"
                + ("" if cost.complete else f"; leaves out {cost.leaves_out()}")
                + ")",
                # a lower bound within the claim cannot show that it holds
                Status.FAILS if not within else Status.HOLDS if cost.complete else Status.NOTE,
                cost.basis,
            )
        )
        out.append(_from(by.get("cost"), QUOTES["cost"]))
        eff = cost.effective_per_gb
        lo = c.egress_usd_per_gb[0]
        out.append(
            Claim(
                QUOTES["egress"],
                f"${eff:.3f} per GB of load on the interconnects",
                Status.HOLDS if eff < lo else Status.FAILS,
                "per-GB charges over the declared load",
            )
        )
    out += _load(ctx)
    out.append(_from(by.get("fallback"), QUOTES["backup"]))
    spof = by.get("spof")
    if spof is not None:
        out.append(
            Claim(
                QUOTES["vendor"],
                spof.text,
                Status.HOLDS if spof.status is not Status.HOLDS else Status.FAILS,
                "netsim check's single failures (the ADR names the dependency: confirmed)",
            )
        )
    count = sum(x.kind is LinkKind.INTERCONNECT for x in ctx.topology.links)
    out.append(
        Claim(
            QUOTES["interconnects"],
            f"{count} interconnect links",
            Status.HOLDS if count == c.interconnects else Status.FAILS,
            "the topology",
        )
    )
    out += _alternatives(ctx)
    return out


def verdict_sentence(
    ctx: Context,
    findings: Sequence[Finding],
    claims: Sequence[Claim],
    verified: Sequence[Verified],
) -> tuple[Status, str]:
    """The review's verdict and its one sentence (module docstring)."""
    judged = (
        [(c.quote, c.status) for c in claims]
        if claims
        else [(f.title, f.status) for f in findings if f.source is not None]
    )
    bad = [q for q, s in judged if s is Status.FAILS]
    risky = [q for q, s in judged if s is Status.AT_RISK]
    status = Status.worst([s for _, s in judged]) if judged else Status.NOTE
    subject = "ADR-003 as written" if claims else f"{ctx.name} as written"
    what = "its claims and requirements" if claims else "its SLOs and netsim's defaults"
    kind = "claims" if claims else "findings"
    simulated = [v for v in verified if v.rec.change is not None and v.met is not None]
    met = sum(v.met is True for v in simulated)
    restated = sum(v.rec.change is None for v in verified)
    untested = len(verified) - len(simulated) - restated
    parts_fix = []
    if simulated:
        parts_fix.append(f"{met} of the {len(simulated)} re-simulated meet what they promise")
    if untested:
        parts_fix.append(
            f"{untested} {'is' if untested == 1 else 'are'} not verified by simulation "
            "(no run of the design exercises "
            f"{'it' if untested == 1 else 'them'})"
        )
    if restated:
        parts_fix.append(
            f"{restated} restate{'s' if restated == 1 else ''} a requirement the numbers contradict"
        )
    fixes = (
        f" {len(verified)} recommendation{'' if len(verified) == 1 else 's'} follow"
        f"{'s' if len(verified) == 1 else ''}: {', '.join(parts_fix)}."
        if verified
        else ""
    )
    if status is Status.HOLDS:
        return status, f"{subject} meets {what}: all {len(judged)} {kind} hold.{fixes}"
    parts = []
    if bad:
        parts.append(f"{len(bad)} of {len(judged)} {kind} do not hold")
    if risky:
        parts.append(f"{len(risky)} {'is' if len(risky) == 1 else 'are'} at risk")
    return status, (
        f"{subject} does not meet {what}" if bad else f"{subject} may not meet {what}"
    ) + f": {' and '.join(parts)}.{fixes}"


__all__ = ["COST_TOLERANCE", "Claim", "adr_claims", "verdict_sentence"]

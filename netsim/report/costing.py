"""Monthly cost of a design from its topology's cost fields and the scenario's declared load.

Fixed charges are every link's and node's ``cost.monthly``. Per-GB charges apply to the
bytes that *leave a cloud* on a link (egress is billed by the sender: AWS DX data transfer
out, VPN and internet egress). The volumes are the *declared* load of the cost scenario
(:func:`declared_flows`: each class's rate times its mean sizes, a bulk class's volume),
routed on the design's preferred paths, so a short run or one in which no transfer fell
due costs the same as a month of the load the scenario declares. Runs without their
scenario (older run directories) fall back to what the run delivered, counted per
direction from ``Trace.link_series`` and scaled from the run's length to a month, and say
so (``basis``). The load's cost as internet egress ($0.08-$0.12/GB, numbers.md s5) gives
the comparison, and the break-even volume is where ``fixed + effective_per_gb * V`` equals
``price * V``.

An element whose topology gives it no ``cost:`` (:attr:`Cost.declared
<netsim.model.topology.Cost>` False) has an unknown price, not a price of $0:
:func:`unpriced` lists the routed links and the nodes that are neither a cloud nor the
internet (exchanges, routers) without one, the model keeps them (``unpriced``), and every
total is then a lower bound that leaves them out, as the findings and the table say.
Underlay links are not listed: their traffic is billed on the VPN over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.results import BulkStats
from netsim.analysis.summary import billed_bytes
from netsim.model.routing import best_path
from netsim.model.scenario import TrafficKind
from netsim.model.topology import Role
from netsim.model.units import DAYS_PER_MONTH
from netsim.report.providers import EGRESS_USD_PER_GB
from netsim.trace.core import OK, Trace

if TYPE_CHECKING:
    from netsim.analysis.results import Summary
    from netsim.model.scenario import Scenario
    from netsim.model.topology import Topology

MONTH_S = DAYS_PER_MONTH * 86400.0


@dataclass(frozen=True)
class CostModel:
    design: str
    fixed: dict[str, float]  # element -> USD/month
    per_gb: dict[str, float]  # link -> USD/month
    billed_gb_month: dict[str, float]  # link -> GB/month billed
    load_gb_month: float  # delivered inter-cloud volume per month
    kinds: dict[str, str]  # element -> interconnect | vpn | internet | <role>
    egress_prices: tuple[float, float] = EGRESS_USD_PER_GB
    basis: str = ""  # where the volumes come from, in words
    unpriced: tuple[str, ...] = ()  # elements without a cost model, left out of every total

    @property
    def complete(self) -> bool:
        """Whether every element that can cost money has a cost model."""
        return not self.unpriced

    def leaves_out(self) -> str:
        """The elements the totals leave out, in words ('' when none)."""
        if not self.unpriced:
            return ""
        n = len(self.unpriced)
        return (
            f"{n} element{'s' if n > 1 else ''} without a cost model ({', '.join(self.unpriced)})"
        )

    @property
    def fixed_total(self) -> float:
        return sum(self.fixed.values())

    @property
    def per_gb_total(self) -> float:
        return sum(self.per_gb.values())

    @property
    def total(self) -> float:
        return self.fixed_total + self.per_gb_total

    @property
    def effective_per_gb(self) -> float:
        """Per-GB charges per GB of load (a hub path may bill a byte more than once)."""
        return self.per_gb_total / self.load_gb_month if self.load_gb_month else 0.0

    def egress_cost(self, price: float) -> float:
        return self.load_gb_month * price

    def break_even_gb(self, price: float) -> float | None:
        """Monthly volume above which the design is cheaper than egress at ``price``."""
        margin = price - self.effective_per_gb
        return self.fixed_total / margin if margin > 0 else None

    def as_dict(self) -> dict[str, object]:
        lo, hi = self.egress_prices
        return {
            "design": self.design,
            "fixed_monthly_usd": self.fixed_total,
            "per_gb_monthly_usd": self.per_gb_total,
            "total_monthly_usd": self.total,
            "load_tb_month": self.load_gb_month / 1000,
            "effective_usd_per_gb": self.effective_per_gb,
            "egress_monthly_usd": [self.egress_cost(lo), self.egress_cost(hi)],
            "break_even_tb_month": [
                None if (v := self.break_even_gb(p)) is None else v / 1000 for p in (lo, hi)
            ],
            "fixed": self.fixed,
            "per_gb": self.per_gb,
            "basis": self.basis,
            "unpriced": list(self.unpriced),
        }


def _billed_bytes(
    trace: Trace | None, topology: Topology, summary: Summary | None
) -> dict[str, float]:
    if trace is None:
        # Summary only: both directions of every link.
        links = summary.links if summary is not None else {}
        return {
            link.name: float(links[link.name].carried_bytes or 0.0) if link.name in links else 0.0
            for link in topology.links
        }
    return billed_bytes(trace, topology)


def delivered_bytes(trace: Trace | None, summary: Summary | None) -> float:
    """Bytes the run delivered between clouds: answered attempts plus bulk transfers."""
    if trace is not None:
        a = trace.attempts
        packets = float(a["bytes"][a["status"] == OK].sum())
        return packets + sum(float(t.delivered_bytes or 0.0) for t in trace.transfers)
    total = 0.0
    for cls in summary.traffic.values() if summary is not None else ():
        if isinstance(cls, BulkStats):
            total += float(cls.delivered_bytes or 0.0)
    return total


def declared_flows(scenario: Scenario) -> list[tuple[str, str, float]]:
    """``(from, to, bytes/s)`` of the load the scenario declares, on average over a day."""
    out = []
    for cls in scenario.traffic:
        share = 1.0 / len(cls.dsts)
        for dst in cls.dsts:
            if cls.kind is TrafficKind.BULK:
                out.append((cls.src, dst, cls.volume_rate * share))
            elif cls.kind is TrafficKind.REQUEST_RESPONSE:
                rate = cls.rate * share
                out.append((cls.src, dst, rate * cls.request_size.mean()))
                out.append((dst, cls.src, rate * cls.response_size.mean()))
            else:
                out.append((cls.src, dst, cls.rate * share * cls.size.mean()))
    return [f for f in out if f[2] > 0]


def declared_billing(topology: Topology, scenario: Scenario) -> tuple[dict[str, float], float]:
    """Bytes per month each link bills (leaving a cloud), and the load, for the declared
    flows on the preferred paths of ``topology`` (all links up)."""
    clouds = {n.name for n in topology.nodes if n.role is Role.CLOUD}
    billed: dict[str, float] = {}
    load = 0.0
    for src, dst, rate in declared_flows(scenario):
        path = best_path(topology, src, dst, frozenset())
        if not path:
            continue
        volume = rate * MONTH_S
        load += volume
        here = src
        for name in path:
            link = topology.link(name)
            if here in clouds or not clouds.intersection(link.endpoints):
                billed[name] = billed.get(name, 0.0) + volume
            here = link.other(here)
    return billed, load


def cost_model(
    topology: Topology,
    trace: Trace | None = None,
    summary: Summary | None = None,
    duration_s: float | None = None,
    design: str | None = None,
    *,
    scenario: Scenario | None = None,
) -> CostModel:
    """The :class:`CostModel` of ``topology`` at the declared load of ``scenario``, or,
    without one, at what ``trace`` (or ``summary``) delivered."""
    fixed = {x.name: x.cost.monthly for x in topology.links if x.cost.monthly}
    fixed.update({n.name: n.cost.monthly for n in topology.nodes if n.cost.monthly})
    kinds = {x.name: x.kind.value for x in topology.links}
    kinds.update({n.name: n.role.value if n.role else "node" for n in topology.nodes})
    if scenario is not None:
        billed_month, load_bytes = declared_billing(topology, scenario)
        billed_gb = {name: b / 1e9 for name, b in billed_month.items() if b}
        basis = f"the load {scenario.name} declares, on the preferred paths of {topology.name}"
        load = load_bytes / 1e9
    else:
        if duration_s is None and trace is None and summary is None:
            raise ValueError("cost_model needs a scenario, a trace, a summary or duration_s")
        duration = duration_s or (
            trace.duration if trace else summary.duration_s if summary is not None else 0.0
        )
        scale = MONTH_S / max(duration, 1e-9)
        billed = _billed_bytes(trace, topology, summary)
        billed_gb = {name: b / 1e9 * scale for name, b in billed.items() if b}
        load = delivered_bytes(trace, summary) / 1e9 * scale
        run = summary.scenario if summary is not None else "the run"
        basis = f"what {run} delivered, scaled to a month (its declared load is unknown)"
    per_gb = {
        name: gb * topology.link(name).cost.per_gb
        for name, gb in billed_gb.items()
        if topology.link(name).cost.per_gb
    }
    return CostModel(
        design or topology.name,
        fixed,
        per_gb,
        billed_gb,
        load,
        kinds,
        basis=basis,
        unpriced=topology.unpriced,
    )


__all__ = [
    "MONTH_S",
    "CostModel",
    "cost_model",
    "declared_billing",
    "declared_flows",
    "delivered_bytes",
]

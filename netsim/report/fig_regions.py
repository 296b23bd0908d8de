"""At how many regions does this design stop being the cheapest that meets the SLO?

:func:`regions_data` generates, for each number of regions ``N``, the designs an architect
would weigh (:mod:`netsim.model.design_text`): the ADR-003 design (one MCR hub, VPN ring
fallback), regional hubs (three MCRs meshed, VPN ring), and, from the ADR's alternatives,
a VPN mesh alone and a full mesh of dedicated circuits (priced as
``topologies/full-mesh.yaml``'s circuits). For each it computes, from the topology alone:

* the **monthly cost**: every fixed fee, plus per-GB charges on the bytes of the scaled
  day of load (:func:`netsim.model.design_text.scenario_text`: API calls, observability,
  replication) leaving a cloud along each pair's preferred path, at the mean rates;
* the **worst pair's P95 latency** of an API call, from its preferred paths both ways (the
  links' delay distributions), the sidecars and the server time, by Monte Carlo of those
  components (queueing is negligible at this load: the simulator's runs show it); the SLO
  is ADR-003's P95 < 50 ms.

:func:`plot_regions` draws cost against ``N`` for each design, filled where the SLO holds,
and names the ``N`` at which the ADR-003 design stops being the cheapest that meets it.
A user simulating one of the designs (``netsim generate``, ``netsim run``) gets the same
figures with queueing, failures and confidence intervals.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from netsim.model.design_text import VPN_INFLATION, generate_design
from netsim.model.load_scenario import load_scenario
from netsim.model.routing import best_path
from netsim.model.streams import stream
from netsim.report.style import new_figure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from netsim.model.scenario import Scenario

SLO_P95_S = 0.050  # ADR-003: cross-cloud API calls, P95 < 50 ms
SAMPLES = 4000  # Monte Carlo samples per pair (the P95 to about 1 %)
WORST_CANDIDATES = 3  # pairs with the longest mean round trip, sampled for the worst P95
MONTH_S = 30.4375 * 86400
CIRCUIT_MONTHLY = 15284.0  # full-mesh.yaml aws-gcp: s5 "AWS DX dedicated port-hour" ports + a wave
CIRCUIT_PER_GB = 0.02  # full-mesh.yaml: s5 "AWS DX data transfer out"
REGION_COUNTS = (3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20)
#: (key, label, (hubs, VPN overlay)): VPN mesh and circuits drop the hub (see _evaluate).
DESIGNS: tuple[tuple[str, str, tuple[int, str]], ...] = (
    ("adr-003", "ADR-003: one MCR hub + VPN ring", (1, "ring")),
    ("regional", "three MCR hubs + VPN ring", (3, "ring")),
    ("vpn-mesh", "VPN mesh only", (1, "mesh")),
    ("circuits", "full mesh of circuits (alternative 2)", (1, "mesh")),
)


@dataclass(frozen=True)
class RegionsData:
    """Per design key: the region counts, monthly cost (USD) and worst P95 (s)."""

    ns: tuple[int, ...]
    cost: dict[str, tuple[float, ...]]
    p95: dict[str, tuple[float, ...]]
    labels: dict[str, str]

    def meets(self, key: str) -> tuple[bool, ...]:
        return tuple(p <= SLO_P95_S for p in self.p95[key])

    def cheapest(self) -> tuple[str | None, ...]:
        """Per ``N``: the cheapest design that meets the SLO (None: no design does)."""
        out = []
        for i in range(len(self.ns)):
            ok = [k for k in self.cost if self.p95[k][i] <= SLO_P95_S]
            out.append(min(ok, key=lambda k: self.cost[k][i]) if ok else None)
        return tuple(out)

    def stops_at(self, key: str = "adr-003") -> int | None:
        """The first ``N`` at which ``key`` is not the cheapest design meeting the SLO."""
        for n, best in zip(self.ns, self.cheapest(), strict=True):
            if best != key:
                return n
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "regions": list(self.ns),
            "slo_p95_ms": SLO_P95_S * 1e3,
            "designs": {
                k: {
                    "label": self.labels[k],
                    "monthly_usd": [round(c, 2) for c in self.cost[k]],
                    "worst_p95_ms": [round(p * 1e3, 3) for p in self.p95[k]],
                    "meets_slo": list(self.meets(k)),
                }
                for k in self.cost
            },
            "cheapest_meeting_slo": list(self.cheapest()),
            "adr_003_stops_at": self.stops_at(),
        }


def regions_data(ns: Sequence[int] = REGION_COUNTS, seed: int = 1) -> RegionsData:
    """Cost and worst-pair P95 of each design in :data:`DESIGNS` for each ``N``."""
    cost: dict[str, list[float]] = {k: [] for k, _, _ in DESIGNS}
    p95: dict[str, list[float]] = {k: [] for k, _, _ in DESIGNS}
    with tempfile.TemporaryDirectory(prefix="netsim-regions-") as tmp:
        for n in ns:
            for key, _, (hubs, vpn) in DESIGNS:
                design = generate_design(n, hubs=hubs, vpn=vpn, seed=seed)
                folder = Path(tmp) / f"{key}-{n}"
                folder.mkdir()
                (folder / "topology.yaml").write_text(design.topology)
                (folder / "scenario.yaml").write_text(design.scenario)
                scenario = load_scenario(folder / "scenario.yaml")
                c, p = _evaluate(scenario, key, seed)
                cost[key].append(c)
                p95[key].append(p)
    return RegionsData(
        tuple(ns),
        {k: tuple(v) for k, v in cost.items()},
        {k: tuple(v) for k, v in p95.items()},
        {k: label for k, label, _ in DESIGNS},
    )


def _evaluate(scenario: Scenario, key: str, seed: int) -> tuple[float, float]:
    """(monthly cost, worst pair's P95) of one design (see the module docstring)."""
    topo = scenario.topology
    role = {n.name: (n.role.value if n.role else "") for n in topo.nodes}
    clouds = [n for n, r in role.items() if r == "cloud"]
    # VPN mesh alone and circuits: the same mesh of site-to-site links, without the hubs;
    # a circuit is the tunnel's route as fibre (its delay floor over the VPN inflation).
    meshed = key in ("vpn-mesh", "circuits")
    down = frozenset(
        link.name
        for link in topo.links
        if meshed and "exchange" in {role[e] for e in link.endpoints}
    )
    links = {link.name: link for link in topo.links}

    def delay(name: str, rng: np.random.Generator) -> np.ndarray:
        link = links[name]
        if key == "circuits" and link.kind.value == "vpn":
            return np.full(SAMPLES, dict(link.delay.params)["loc"] / VPN_INFLATION)
        return np.asarray(link.delay.sample(rng, SAMPLES))

    paths = {}
    for a in clouds:
        for b in clouds:
            if a != b:
                path = best_path(topo, a, b, down)
                if path is None:
                    return math.inf, math.inf
                paths[(a, b)] = path
    mean_rtt = {
        (a, b): sum(links[n].delay.mean() for n in (*paths[(a, b)], *paths[(b, a)]))
        for (a, b) in paths
        if a < b
    }
    rng = stream(seed, "regions")
    api = next(c for c in scenario.traffic if c.name.startswith("api-"))
    side = scenario.mesh.sidecar_latency
    own = api.server_time.sample(rng, SAMPLES) if api.server_time else np.zeros(SAMPLES)
    for _ in range(4 if side else 0):
        own = own + side.sample(rng, SAMPLES)  # type: ignore[union-attr]
    worst = 0.0
    for a, b in sorted(mean_rtt, key=lambda p: -mean_rtt[p])[:WORST_CANDIDATES]:
        total = own + sum(delay(n, rng) for n in (*paths[(a, b)], *paths[(b, a)]))
        worst = max(worst, float(np.quantile(total, 0.95)))
    volume = _monthly_bytes(scenario, paths)
    fixed = sum(n.cost.monthly for n in topo.nodes if not meshed or role[n.name] != "exchange")
    per_gb = 0.0
    for link in topo.links:
        if link.name in down:
            continue
        circuit = key == "circuits" and link.kind.value == "vpn"
        if key == "circuits" and link.kind.value == "internet":
            continue  # circuits need no internet access
        fixed += CIRCUIT_MONTHLY if circuit else link.cost.monthly
        rate = CIRCUIT_PER_GB if circuit else link.cost.per_gb
        per_gb += rate * volume.get(link.name, 0.0) / 1e9
    return fixed + per_gb, worst


def _monthly_bytes(
    scenario: Scenario, paths: dict[tuple[str, str], tuple[str, ...]]
) -> dict[str, float]:
    """Bytes a month that leave a cloud on each link (the first hop of each preferred
    path), at the scenario's mean rates: mean request and response per API call, mean
    datagram, bulk volume."""
    out: dict[str, float] = {}
    for cls in scenario.traffic:
        for dst in cls.dsts:
            if cls.volume_rate > 0:
                per = cls.volume_rate / len(cls.dsts) * MONTH_S
            else:
                sizes = (cls.request_size, cls.response_size, cls.size)
                mean = sum(d.mean() for d in sizes if d is not None)
                per = cls.rate / len(cls.dsts) * MONTH_S * mean
            first = paths[(cls.src, dst)][0]
            out[first] = out.get(first, 0.0) + per
    return out


def plot_regions(data: RegionsData) -> Figure:
    """Monthly cost against regions per design; filled markers where the SLO holds."""
    fig = new_figure(7.5, 4.2)
    ax = fig.subplots()
    for key, label in data.labels.items():
        cost = np.asarray(data.cost[key])
        ok = np.asarray(data.meets(key))
        line = ax.plot(data.ns, cost, label=label)[0]
        ax.scatter(np.asarray(data.ns)[ok], cost[ok], color=line.get_color(), zorder=3, s=18)
        ax.scatter(
            np.asarray(data.ns)[~ok],
            cost[~ok],
            facecolors="none",
            edgecolors=line.get_color(),
            zorder=3,
            s=18,
        )
    stop = data.stops_at()
    if stop is not None:
        ax.axvline(stop, color="0.4", linestyle=":")
        ax.annotate(
            f"ADR-003 design no longer the cheapest\\nmeeting P95 < 50 ms from {stop} regions",
            (stop, ax.get_ylim()[1]),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            fontsize=8,
        )
    ax.set_yscale("log")
    ax.set_xlabel("cloud regions")
    ax.set_ylabel("monthly cost (USD)")
    ax.set_title("Cost by number of regions (filled: worst pair meets P95 < 50 ms)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return fig


__all__ = ["DESIGNS", "RegionsData", "plot_regions", "regions_data"]

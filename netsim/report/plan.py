"""What ``netsim review`` runs: the standard scenarios, one variant, and the alternatives.

Pure planning, no simulation: :func:`plan_review` turns the scenario directory and the
default topology into a list of :class:`Planned` runs, each a complete
:class:`~netsim.model.scenario.Scenario` with the YAML text of its topology (written next
to its results so ``netsim report`` can re-read derived designs) and notes saying how it
differs from its file (shortened, mean load, ...). Notes end up in the report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netsim.errors import InputError, ModelError
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.overrides import apply_overrides
from netsim.model.routing import best_path
from netsim.model.scenario import Failure, Scenario, TargetKind, TrafficKind
from netsim.model.source import load_yaml, parse_yaml
from netsim.model.topology import LinkKind, Topology
from netsim.report.data import find_topology
from netsim.report.findings import blackhole_detection_s

DEFAULT_TOPOLOGY = "megaport-hub"
# Simulated seconds of the mean-load baseline (the cost run) per engine.
BASELINE_S = {"fast": 3600.0, "exact": 900.0}
EXACT_MAX_S = 1200.0  # the exact engine skips longer runs (a few seconds each)
FAST_MAX_S = 31 * 86400.0  # the fast engine skips longer runs (a year is for `netsim run`)
ALTERNATIVES = (
    ("vpn-only", "VPN only (dev/staging design)"),
    ("internet-only", "public internet only (alternative 1)"),
    ("full-mesh", "full mesh of circuits + VPN (alternative 2)"),
    ("dual-mcr", "two MCRs + VPN (a mitigation, when topologies/dual-mcr.yaml exists)"),
)
OPTIONAL = frozenset({"dual-mcr"})
FAILURE_TEMPLATES = ("replication-during-failover", "interconnect-blackhole")


@dataclass(frozen=True)
class Planned:
    key: str  # run directory name
    scenario: Scenario
    topology_text: str
    notes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # "cost" | "normal" | "failure"
    design: str | None = None


@dataclass
class ReviewPlan:
    standard: list[Planned] = field(default_factory=list)
    designs: list[tuple[str, str, Topology, Planned, Planned]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def topology_text(scenario_file: Path, topology_file: Path) -> str:
    """The topology YAML a scenario really uses: its file with ``topology_overrides``."""
    doc = load_yaml(topology_file)
    raw = yaml.safe_load(scenario_file.read_text()) or {}
    apply_overrides(doc, list((raw.get("topology_overrides") or {}).items()))
    return yaml.safe_dump(doc.data, sort_keys=False)


def topology_of_text(text: str, label: str) -> Topology:
    return read_topology(parse_yaml(text, label))


def without_fallback(text: str) -> str:
    """The design with its VPN tunnels (and the internet links under them) removed."""
    data = yaml.safe_load(text)
    links = data.get("links") or []
    vpns = [x for x in links if x.get("kind") == LinkKind.VPN.value]
    under = {u for x in vpns for u in x.get("underlay") or ()}
    data["links"] = [x for x in links if x not in vpns and x.get("name") not in under]
    data["name"] = f"{data.get('name', 'design')}-no-vpn"
    data["description"] = "the hub with no VPN fallback (interconnects only)"
    used = {e for x in data["links"] for e in x.get("endpoints", ())}
    data["nodes"] = {k: v for k, v in (data.get("nodes") or {}).items() if k in used}
    return yaml.safe_dump(data, sort_keys=False)


def mean_load(scenario: Scenario, duration: float) -> Scenario:
    """The scenario at its daily mean rate: no diurnal profile, bulk volume as a steady
    stream, so a short run's volumes scale to a month without sampling noise."""
    traffic = tuple(
        dataclasses.replace(c, profile=None, transfer_size=None)
        if c.kind is TrafficKind.BULK
        else dataclasses.replace(c, profile=None)
        for c in scenario.traffic
    )
    return dataclasses.replace(
        scenario, traffic=traffic, duration=duration, warmup=min(scenario.warmup, duration / 10)
    )


def _prepare(scenario: Scenario, engine: str) -> tuple[Scenario | None, list[str], list[str]]:
    """(scenario as run, notes, roles); None when it does not fit the review's budget."""
    notes: list[str] = []
    has_bulk_volume = any(c.volume_rate > 0 for c in scenario.traffic)
    if not scenario.failures and not scenario.random_failures and has_bulk_volume:
        duration = min(scenario.duration, BASELINE_S[engine])
        notes.append(
            f"shortened from {scenario.duration:g} s to {duration:g} s at the daily "
            "mean rate (no diurnal profile; bulk volume as a steady stream) so its "
            "volumes scale to a month"
        )
        return mean_load(scenario, duration), notes, ["cost", "normal"]
    if engine == "fast" and scenario.duration > FAST_MAX_S:
        return (
            None,
            [
                f"skipped: {scenario.duration / 86400:g} days is longer than the review's "
                f"budget of {FAST_MAX_S / 86400:g}; run it with `netsim run`"
            ],
            [],
        )
    if engine == "exact" and scenario.duration > EXACT_MAX_S:
        return (
            None,
            [
                f"skipped: {scenario.duration:g} s is too long for the exact engine "
                "within the review's budget"
            ],
            [],
        )
    return scenario, notes, []


def _variant(scenarios: list[Scenario]) -> tuple[str, Scenario] | None:
    """(source name, the source's single-link blackhole moved to the preferred link that
    detects a blackhole slowest), when that link is clearly slower than the source's."""
    for sc in scenarios:
        if len(sc.failures) != 1 or sc.random_failures:
            continue
        f = sc.failures[0]
        det = blackhole_detection_s(sc.topology)
        if f.target is not TargetKind.LINK or f.mode.value != "blackhole" or f.name not in det:
            continue
        slow = max(det, key=lambda k: det[k][0])
        if det[slow][0] <= 1.5 * det[f.name][0]:
            continue
        return sc.name, dataclasses.replace(
            sc,
            name=f"{sc.name}-{slow}",
            failures=(dataclasses.replace(f, name=slow),),
            description=f"as {sc.name}, on {slow} ({det[slow][1]})",
        )
    return None


def _failure_on_path(template: Scenario, topology: Topology) -> Scenario | None:
    """The template's traffic on ``topology``, its failure moved to the link that carries
    the first request-response class in that design."""
    cls = next((c for c in template.traffic if c.kind is TrafficKind.REQUEST_RESPONSE), None)
    if cls is None or not template.failures:
        return None
    path = best_path(topology, cls.src, cls.dsts[0], frozenset())
    if not path:
        return None
    f: Failure = dataclasses.replace(template.failures[0], target=TargetKind.LINK, name=path[0])
    return dataclasses.replace(template, topology=topology, failures=(f,), random_failures=False)


def plan_review(scenarios_dir: Path, engine: str, topology_file: Path | None = None) -> ReviewPlan:
    """See the module docstring."""
    plan = ReviewPlan()
    default = find_topology(DEFAULT_TOPOLOGY, scenarios_dir)
    chosen = topology_file or default
    if chosen is None:
        raise InputError(
            [
                ModelError(
                    str(scenarios_dir),
                    0,
                    "",
                    f"no topologies/{DEFAULT_TOPOLOGY}.yaml near it; give --topology",
                )
            ]
        )
    loaded: list[tuple[Path, Scenario]] = []
    for path in sorted(Path(scenarios_dir).glob("*.yaml")):
        try:
            first = load_scenario(path)
            if first.topology.name != DEFAULT_TOPOLOGY:
                continue
            sc = (
                first
                if topology_file is None
                else load_scenario(path, [f"topology={Path(topology_file).resolve()}"])
            )
        except InputError as exc:
            plan.skipped.append(f"{path.name}: skipped, {exc.errors[0] if exc.errors else exc}")
            continue
        loaded.append((path, sc))
    variant = _variant([sc for _, sc in loaded])
    for path, sc in loaded:
        text = topology_text(path, Path(chosen))
        run, notes, roles = _prepare(sc, engine)
        if run is None:
            plan.skipped.append(f"{sc.name}: {notes[0]}")
            continue
        plan.standard.append(Planned(sc.name, run, text, tuple(notes), tuple(roles)))
        if variant is not None and variant[0] == sc.name:
            plan.standard.append(
                Planned(
                    variant[1].name,
                    variant[1],
                    text,
                    (
                        f"derived from {sc.name}: the same failure on the link with the slowest "
                        "blackhole detection",
                    ),
                )
            )
    _plan_designs(plan, Path(chosen), scenarios_dir)
    return plan


def _plan_designs(plan: ReviewPlan, chosen: Path, near: Path) -> None:
    cost = next((p for p in plan.standard if "cost" in p.roles), None)
    template = next(
        (p.scenario for name in FAILURE_TEMPLATES for p in plan.standard if p.key == name), None
    )
    if cost is None or template is None:
        plan.skipped.append("alternatives: no baseline or single-failure scenario to compare on")
        return
    main_text = Path(chosen).read_text()
    texts = [
        ("adr-003", "ADR-003: MCR hub + VPN fallback", main_text),
        ("hub-no-vpn", "MCR hub, no VPN fallback", without_fallback(main_text)),
    ]
    for name, label in ALTERNATIVES:
        found = find_topology(name, near)
        if found is None:
            if name not in OPTIONAL:
                plan.skipped.append(f"alternative {name}: topologies/{name}.yaml not found")
            continue
        texts.append((name, label.split(" (a mitigation")[0], found.read_text()))
    for key, label, text in texts:
        topo = topology_of_text(text, f"{key}.yaml")
        normal = dataclasses.replace(
            cost.scenario, topology=topo, name=f"{key}--{cost.scenario.name}"
        )
        failing = _failure_on_path(template, topo)
        if failing is None:
            plan.skipped.append(f"alternative {key}: no path for the comparison traffic")
            continue
        failing = dataclasses.replace(failing, name=f"{key}--{template.name}")
        note = (
            f"{label}: the same load as {template.name}, with the failure moved to "
            f"{failing.failures[0].name}, the first link of the path in this design"
        )
        plan.designs.append(
            (
                key,
                label,
                topo,
                Planned(normal.name, normal, text, cost.notes, ("normal",), key),
                Planned(failing.name, failing, text, (note,), ("failure",), key),
            )
        )


__all__ = [
    "DEFAULT_TOPOLOGY",
    "Planned",
    "ReviewPlan",
    "mean_load",
    "plan_review",
    "topology_text",
    "without_fallback",
]

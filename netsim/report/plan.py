"""What ``netsim review`` runs: the design's scenarios, one variant, and the alternatives.

Pure planning, no simulation: :func:`plan_review` turns a scenario directory and the
design under review into :class:`~netsim.report.jobs.Planned` runs, each the YAML text
of a scenario and its topology (overrides applied, comments kept), with notes saying how
it differs from its file. Notes end up in the report.

- **The design**: ``--topology FILE``, else the topology most of the directory's
  scenarios use (ADR-003's ``megaport-hub`` when it is among them). Its scenarios are
  those on it; with ``--topology`` and none on it, those of the most used topology,
  re-pointed at it (a variant of the same design: same names).
- **Shortening**: a failure-free scenario with a daily profile longer than an hour runs
  its **peak hour** (from its ``start:``, else from half an hour before the profile's
  peak), as it is declared: the load a latency SLO is judged at. Costs come from the
  declared load (:mod:`netsim.report.costing`), not from this hour. With the exact
  engine, scenarios longer than 20 minutes are skipped.
- **Bad input**: a scenario file with a problem (other than ``lab-*`` files and topology
  files kept beside the scenarios), a directory without scenarios, or a missing
  ``--topology``/``--alternative`` stops the review before anything runs (exit 2).
- **One variant**: a single-link blackhole scenario moved to the preferred link that
  detects a blackhole slowest.
- **Alternatives**: for ADR-003 the ADR's own (``topologies/vpn-only``,
  ``internet-only``, ``full-mesh``, ``dual-mcr``); for any design the files given with
  ``--alternative``; for both the design without its VPN fallback. Each runs the normal
  scenario and the failure scenario with its failure moved to the first link of the
  path its traffic takes in that design.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from netsim.errors import InputError, ModelError
from netsim.model.load_scenario import load_scenario, looks_like_topology
from netsim.model.load_topology import load_topology
from netsim.model.resolve import resolve_files, resolve_topology
from netsim.model.routing import best_path
from netsim.model.scenario import DAY_S, TargetKind, TrafficKind
from netsim.model.topology import LinkKind
from netsim.report.adr import ADR_TOPOLOGY
from netsim.report.data import find_topology
from netsim.report.edits import edit_scenario, edit_topology, without_fallback
from netsim.report.findings.timing import blackhole_detection_s
from netsim.report.jobs import Planned

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.scenario import Scenario
    from netsim.model.source import YamlMap
    from netsim.model.topology import Topology

PEAK_S = 3600.0  # a failure-free day is judged on its peak hour
EXACT_MAX_S = 1200.0  # the exact engine skips longer runs (a few seconds each)
FAST_MAX_S = 31 * DAY_S  # the fast engine skips longer runs (a year is for `netsim run`)
ADR_ALTERNATIVES = (
    ("vpn-only", "VPN only (dev/staging design)"),
    ("internet-only", "public internet only (alternative 1)"),
    ("full-mesh", "full mesh of circuits + VPN (alternative 2)"),
    ("dual-mcr", "two MCRs + VPN (a mitigation)"),
)
OPTIONAL = frozenset({"dual-mcr"})
FAILURE_TEMPLATES = ("replication-during-failover", "interconnect-blackhole")


@dataclass(frozen=True)
class DesignPlan:
    """One design of the comparison: its two runs."""

    key: str
    label: str
    topology_text: str
    normal: Planned
    failure: Planned


@dataclass
class ReviewPlan:
    topology_file: Path
    subject_text: str = ""  # the design under review, as YAML (comments kept)
    standard: list[Planned] = field(default_factory=list)
    designs: list[DesignPlan] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def subject(self) -> Topology:
        return Planned("subject", "", self.subject_text, str(self.topology_file)).topology

    @property
    def planned(self) -> list[Planned]:
        return [*self.standard, *(p for d in self.designs for p in (d.normal, d.failure))]


def _set(**changes: Any) -> Any:
    def edit(data: YamlMap) -> None:
        data.update(changes)

    return edit


def peak_hour(planned: Planned, scenario: Scenario) -> tuple[Planned, str]:
    """The scenario's peak hour (module docstring), and a note saying so."""
    profiles = [c.profile for c in scenario.traffic if c.profile is not None]
    data = yaml.safe_load(planned.scenario_text) or {}
    start = data.get("start")
    if start is None and profiles:
        # Profiles are in run time; a run from midnight peaks at peak_at.
        peak = profiles[0].peak_at
        start = (
            f"{int(((peak - 1800) % DAY_S) // 3600):02d}:{int(((peak - 1800) % 3600) // 60):02d}"
        )
    changes: dict[str, object] = {"duration": f"{PEAK_S:g}s"}
    if start is not None:
        changes["start"] = str(start)
    text = edit_scenario(planned.scenario_text, _set(**changes))
    note = (
        f"shortened from {scenario.duration:g} s to its peak hour"
        + (f" (from {start}, on the diurnal profile)" if start is not None else "")
        + ": latency SLOs are judged at the load they must hold under; its declared "
        "volumes give the cost"
    )
    return planned.variant(planned.key, scenario_text=text, notes=(note,)), note


def _prepare(planned: Planned, engine: str) -> tuple[Planned | None, tuple[str, ...]]:
    """(the run as planned, its roles); None and why when it does not fit the review's
    budget."""
    sc = planned.scenario
    if not sc.failures and not sc.random_failures:
        roles: tuple[str, ...] = ("normal",)
        if any(c.volume_rate > 0 for c in sc.traffic):
            roles = ("cost", "normal")
        if sc.duration > PEAK_S:
            planned, _ = peak_hour(planned, sc)
        return planned, roles
    if engine == "exact" and sc.duration > EXACT_MAX_S:
        return None, (f"{sc.duration:g} s is too long for the exact engine",)
    if sc.duration > FAST_MAX_S:
        return None, (
            f"{sc.duration / DAY_S:g} days is longer than the review's budget of "
            f"{FAST_MAX_S / DAY_S:g}; run it with `netsim run`",
        )
    return planned, ("failure",)


def _crosses(scenario: Scenario, link: str) -> bool:
    """Whether some traffic of the scenario takes ``link`` (a failure of it matters)."""
    return any(
        link in (best_path(scenario.topology, c.src, d, frozenset()) or ())
        for c in scenario.traffic
        for d in c.dsts
    )


def _variant(standard: list[Planned]) -> Planned | None:
    """A single-link blackhole moved to the preferred link that detects slowest, when
    that link is clearly slower than the source's."""
    for planned in standard:
        sc = planned.scenario
        if len(sc.failures) != 1 or sc.random_failures:
            continue
        f = sc.failures[0]
        det = blackhole_detection_s(sc.topology)
        if f.target is not TargetKind.LINK or f.mode.value != "blackhole" or f.name not in det:
            continue
        slow = max(det, key=lambda k: det[k][0])
        if det[slow][0] <= 1.5 * det[f.name][0] or not _crosses(sc, slow):
            continue

        def move(data: YamlMap, slow: str = slow) -> None:
            data["failures"][0] = {**data["failures"][0], "link": slow}
            data["name"] = f"{data['name']}-{slow}"

        return planned.variant(
            f"{sc.name}-{slow}",
            scenario_text=edit_scenario(planned.scenario_text, move),
            notes=(
                f"derived from {sc.name}: the same failure on {slow}, the preferred link "
                f"with the slowest blackhole detection ({det[slow][1]})",
            ),
            roles=("failure",),
        )
    return None


def _failure_on_path(template: Planned, topology: Topology) -> str | None:
    """The template's scenario text with its failure moved to the link that carries the
    first request-response class in ``topology``."""
    sc = template.scenario
    cls = next((c for c in sc.traffic if c.kind is TrafficKind.REQUEST_RESPONSE), None)
    if cls is None or not sc.failures:
        return None
    path = best_path(topology, cls.src, cls.dsts[0], frozenset())
    if not path:
        return None

    def move(data: YamlMap) -> None:
        first = dict(data["failures"][0])
        for key in ("link", "node", "group"):
            first.pop(key, None)
        data["failures"] = [{"link": path[0], **first}]

    return edit_scenario(template.scenario_text, move)


def _is_topology(path: Path) -> bool:
    """A topology file kept with the scenarios (not a scenario: not reviewed, no error)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return looks_like_topology(data)


def choose_topology(
    scenarios: Sequence[tuple[Path, Scenario]], given: Path | None, directory: Path
) -> Path:
    """The design under review (module docstring)."""
    if given is not None:
        return given
    names = Counter(sc.topology.name for _, sc in scenarios)
    if ADR_TOPOLOGY in names:
        name = ADR_TOPOLOGY
    elif names:
        name = names.most_common(1)[0][0]
    else:
        name = ADR_TOPOLOGY
    source = next((sc.topology.source for _, sc in scenarios if sc.topology.name == name), None)
    found = Path(source) if source else find_topology(name, directory)
    if found is None:
        raise InputError(
            [ModelError(str(directory), 0, "", "no scenario names a topology; give --topology")]
        )
    return found


def _load_scenarios(
    scenarios_dir: Path, topology_file: Path | None, alternatives: Sequence[Path]
) -> list[tuple[Path, Scenario]]:
    """The scenarios of the directory; InputError for any bad input (see plan_review)."""
    missing = [
        ModelError(str(f), 0, flag, "file not found")
        for flag, f in (
            *((("--topology", topology_file),) if topology_file is not None else ()),
            *(("--alternative", a) for a in alternatives),
        )
        if not Path(f).is_file()
    ]
    if not Path(scenarios_dir).is_dir():
        missing.append(ModelError(str(scenarios_dir), 0, "--scenarios", "no such directory"))
    if missing:
        raise InputError(missing)
    bad: list[ModelError] = []
    declared = [*([topology_file] if topology_file is not None else []), *alternatives]
    for a in declared:  # every problem of a declared design, under its own name, up front
        try:
            load_topology(a)
        except InputError as exc:
            bad += exc.errors
    if bad:
        raise InputError(bad)
    loaded: list[tuple[Path, Scenario]] = []
    problems: list[ModelError] = []
    for path in sorted(Path(scenarios_dir).glob("*.yaml")):
        if path.stem.startswith("lab-"):
            continue
        try:
            loaded.append((path, load_scenario(path)))
        except InputError as exc:
            if not _is_topology(path):
                problems += exc.errors
    if problems:
        raise InputError(problems)
    if not loaded:
        raise InputError(
            [
                ModelError(
                    str(scenarios_dir),
                    0,
                    "--scenarios",
                    "no scenario files (*.yaml, other than lab-*) to review",
                )
            ]
        )
    return loaded


def plan_review(
    scenarios_dir: Path,
    engine: str,
    topology_file: Path | None = None,
    alternatives: Sequence[Path] = (),
) -> ReviewPlan:
    """See the module docstring. A scenario file of the directory with a problem, a
    directory without scenarios, or a topology that is not there is bad input (InputError,
    every problem listed): a review never leaves out a scenario it was given."""
    loaded = _load_scenarios(Path(scenarios_dir), topology_file, alternatives)
    skipped: list[str] = []
    chosen = choose_topology(loaded, topology_file, Path(scenarios_dir))
    subject_text = resolve_topology(chosen)
    plan = ReviewPlan(Path(chosen), subject_text, skipped=skipped)
    subject = Planned("subject", "", subject_text, str(chosen)).topology
    mine = [(p, sc) for p, sc in loaded if sc.topology.name == subject.name]
    if not mine and topology_file is not None:
        common = Counter(sc.topology.name for _, sc in loaded).most_common(1)
        mine = [(p, sc) for p, sc in loaded if common and sc.topology.name == common[0][0]]
    plan.notes.append(
        "lab-* scenarios are for netsim lab run; netsim report puts a lab run beside the "
        "simulated run of the same scenario"
    )
    for path, sc in mine:
        files = resolve_files(path)
        topo_text = files.topology
        if topology_file is not None and sc.topology.name != subject.name:
            topo_text = subject_text
        planned = Planned(sc.name, files.scenario, topo_text, str(path))
        try:
            ready, roles = _prepare(planned, engine)
        except InputError as exc:
            if topo_text is files.topology:
                raise
            # re-pointed at --topology: the problem is the pairing, not a line of the file
            raise _repointed(path, sc, subject.name, topology_file, exc) from None
        if ready is None:
            plan.skipped.append(f"{sc.name}: skipped: {roles[0]}")
            continue
        plan.standard.append(ready.variant(ready.key, roles=roles))
    variant = _variant(plan.standard)
    if variant is not None:
        plan.standard.append(variant)
    _plan_designs(plan, subject_text, Path(scenarios_dir), alternatives)
    return plan


SHOWN_PROBLEMS = 4  # of a scenario re-pointed at --topology


def _repointed(
    path: Path, sc: Scenario, design: str, topology_file: Path | None, exc: InputError
) -> InputError:
    """One error for a scenario that cannot run on the design ``--topology`` names."""
    names = "; ".join(f"{e.key}: {e.message}" for e in exc.errors[:SHOWN_PROBLEMS])
    more = len(exc.errors) - SHOWN_PROBLEMS
    return InputError(
        [
            ModelError(
                str(path),
                0,
                "--topology",
                f"{sc.name} runs on {sc.topology.name}; on {design} ({topology_file}) it "
                f"cannot: {names}" + (f" (and {more} more)" if more > 0 else ""),
            )
        ]
    )


def _plan_designs(
    plan: ReviewPlan, subject_text: str, near: Path, alternatives: Sequence[Path]
) -> None:
    normal = next((p for p in plan.standard if "cost" in p.roles), None) or next(
        (p for p in plan.standard if "normal" in p.roles), None
    )
    template = next(
        (p for name in FAILURE_TEMPLATES for p in plan.standard if p.key == name), None
    ) or next(
        (
            p
            for p in plan.standard
            if len(p.scenario.failures) == 1 and not p.scenario.random_failures
        ),
        None,
    )
    if normal is None or template is None:
        if alternatives:  # asked for by name: say why none can be compared
            raise InputError(
                [
                    ModelError(
                        str(a),
                        0,
                        "--alternative",
                        "cannot be compared: the design's scenarios need one without failures "
                        "and one with a single scripted failure (the comparison runs both on "
                        "every design)",
                    )
                    for a in alternatives
                ]
            )
        plan.skipped.append(
            "alternatives: no failure-free and single-failure scenario to compare on"
        )
        return
    subject = Planned("s", "", subject_text, "subject").topology
    texts = [(subject.name, f"{subject.name}: the design under review", subject_text)]
    if any(x.kind is LinkKind.VPN for x in subject.links):
        texts.append(
            (
                f"{subject.name}-no-vpn",
                "the same without its VPN fallback",
                edit_topology(subject_text, why="no fallback", transform=without_fallback),
            )
        )
    if subject.name == ADR_TOPOLOGY:
        for name, label in ADR_ALTERNATIVES:
            found = find_topology(name, near)
            if found is None:
                if name not in OPTIONAL:
                    plan.skipped.append(f"alternative {name}: topologies/{name}.yaml not found")
                continue
            texts.append((name, label, resolve_topology(found)))
    for path in alternatives:
        text = resolve_topology(path)
        name = Planned("a", "", text, str(path)).topology.name
        texts.append((name, f"{name} (declared alternative, {path})", text))
    for key, label, text in texts:
        add_design(plan, key, label, text, normal=normal, template=template)


def add_design(
    plan: ReviewPlan, key: str, label: str, text: str, *, normal: Planned, template: Planned
) -> DesignPlan | None:
    """One design of the comparison: the normal and failure runs on ``text``."""
    topology = Planned("t", "", text, f"{key}.yaml").topology
    failing = _failure_on_path(template, topology)
    if failing is None:
        plan.skipped.append(f"alternative {key}: no path for the comparison traffic")
        return None
    failure = template.variant(
        f"{key}--{template.key}",
        scenario_text=failing,
        topology_text=text,
        notes=(
            f"{label}: the traffic of {template.key}, its failure moved to the first "
            "link of the path it takes in this design",
        ),
        roles=("failure",),
        design=key,
    )
    design = DesignPlan(
        key,
        label,
        text,
        normal.variant(f"{key}--{normal.key}", topology_text=text, roles=("normal",), design=key),
        failure,
    )
    plan.designs.append(design)
    return design


__all__ = [
    "ADR_ALTERNATIVES",
    "DesignPlan",
    "ReviewPlan",
    "add_design",
    "choose_topology",
    "peak_hour",
    "plan_review",
]

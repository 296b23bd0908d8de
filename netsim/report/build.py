"""Assemble a design-review report from finished runs: figures, tables, findings, HTML.

:func:`build_report` is the whole pipeline for any set of runs (simulated, lab, or both):
pick what each section needs, draw each figure once, compute the findings, and return a
:class:`Report` that :func:`write_report` turns into ``report.html`` plus the PNG/SVG
figures and a JSON file of the numbers it used. ``netsim review`` adds the alternatives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import netsim
from netsim.model.topology import LinkKind, Topology
from netsim.report import tables
from netsim.report.alternatives import DesignRow, finding_alternatives, plot_alternatives
from netsim.report.costing import CostModel, cost_model
from netsim.report.data import Run, main_topology
from netsim.report.fig_availability import (
    AvailabilityData,
    availability_data,
    plot_availability,
)
from netsim.report.fig_cost import plot_cost
from netsim.report.fig_failover import gap_records, plot_failover_gaps
from netsim.report.fig_links import link_use, plot_utilisation
from netsim.report.fig_topology import plot_topology
from netsim.report.findings import Finding, compute_findings
from netsim.report.render import (
    Rendered,
    publish,
    render_figure,
    render_html,
    write_figures,
    write_html,
)
from netsim.report.run_figures import (
    _slug,
    latency_figures,
    regions_section,
    timeline_figures,
)
from netsim.trace.files import dumps

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.report.fig_regions import RegionsData

Step = Callable[[str], None]
SECTIONS = (
    ("topology", "Topology"),
    ("slos", "SLOs per scenario"),
    ("latency", "Latency CDFs"),
    ("timelines", "Failure timelines"),
    ("failover", "Failover gaps"),
    ("utilisation", "Link utilisation"),
    ("availability", "Availability"),
    ("cost", "Cost"),
    ("alternatives", "Alternatives"),
    ("regions", "Regions"),
)
MAX_UTILISATION_FIGURES = 3
# Peak utilisation of a VPN tunnel (fraction of its capacity) above which the run counts
# as one where the VPN carried traffic, worth its own utilisation figure.
VPN_BUSY_PEAK = 0.01


@dataclass
class Section:
    """One section of the page, filled while the report is built (the template prints it)."""

    intro: list[str] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)  # Rendered.for_template()
    tables: list[tables.Table] = field(default_factory=list)
    empty: str = ""  # what to say when there is nothing to show
    layout: str = ""  # CSS class of the figure grid


@dataclass
class Report:
    title: str
    topology: Topology | None
    runs: list[Run]
    findings: list[Finding]
    sections: dict[str, Section]
    figures: list[Rendered]
    # The numbers the page rests on, written as report.json as they are.
    numbers: dict[str, object]
    notes: list[str] = field(default_factory=list)


def _no_step(_: str) -> None:
    return None


def pick_cost_run(runs: Sequence[Run], topology: Topology | None) -> Run | None:
    """The longest failure-free simulated run on the topology (else the longest run)."""
    same = [
        r
        for r in runs
        if r.design is None
        and r.topology is not None
        and (topology is None or r.topology.name == topology.name)
    ]
    quiet = [r for r in same if not r.summary.failovers] or same
    tagged = [r for r in quiet if r.summary.review and "cost" in r.summary.review.roles]
    pool = tagged or quiet
    return max(pool, key=lambda r: float(r.summary.duration_s)) if pool else None


def _add(report: Report, section: str, rendered: Rendered) -> None:
    report.figures.append(rendered)
    report.sections[section].figures.append(rendered.for_template())


def build_report(
    runs: list[Run],
    topology: Topology | None = None,
    *,
    alternatives: Sequence[DesignRow] = (),
    years: int = 2000,
    seed: int = 1,
    notes: Sequence[str] = (),
    title: str | None = None,
    step: Step = _no_step,
    availability: AvailabilityData | None = None,
    workers: int | None = 1,
    regions: RegionsData | None = None,
) -> Report:
    """Everything the page shows; see the module docstring.

    One phase per section, in page order; the availability and cost phases also give the
    numbers the findings rest on.
    """
    topology = topology or main_topology(runs)
    name = topology.name if topology else "unknown topology"
    report = Report(
        title or f"Design review: {name}",
        topology,
        runs,
        [],
        {key: Section() for key, _ in SECTIONS},
        [],
        {},
        list(notes),
    )
    main = [r for r in runs if r.design is None]
    if topology is not None:
        _topology(report, topology, step)
    report.sections["slos"].tables.append(tables.slo_table(main))
    for rendered in latency_figures(main, step, workers):
        _add(report, "latency", rendered)
    for rendered in timeline_figures(main, step, workers):
        _add(report, "timelines", rendered)
    _failover(report, main, step)
    _utilisation(report, main, step)
    avail = None
    if topology is not None:
        step("availability (Monte Carlo)")
        avail = availability or availability_data(topology, years, seed)
        _availability(report, avail, name)
    cost_run = pick_cost_run(runs, topology)
    cost = None if topology is None or cost_run is None else _cost(report, topology, cost_run, step)
    _alternatives(report, alternatives, step)
    intro, figure, empty = regions_section(regions)
    report.sections["regions"].intro += intro
    if figure is not None:
        _add(report, "regions", figure)
    report.sections["regions"].empty = empty or ""
    step("findings")
    report.findings = compute_findings(
        topology,
        [r for r in runs if topology is None or r.summary.topology == name or r.design is not None],
        avail,
        cost,
        extra=[f for f in (finding_alternatives(alternatives),) if f],
    )
    for key, section in report.sections.items():
        if not section.figures and not section.tables and not section.empty:
            section.empty = f"Nothing to show for {key} in these runs."
    report.numbers = {
        "netsim_version": netsim.__version__,
        "topology": name,
        "runs": [r.summary.to_json() for r in runs],
        "availability": avail.to_json() if avail else None,
        "cost": cost.as_dict() if cost else None,
        "alternatives": [row.as_dict() for row in alternatives],
        "findings": [f.__dict__ for f in report.findings],
        "notes": report.notes,
    }
    if regions is not None:
        report.numbers["regions"] = regions.to_json()
    return report


def _topology(report: Report, topology: Topology, step: Step) -> None:
    """The drawing of the topology and its table of links."""
    step("drawing the topology")
    _add(
        report,
        "topology",
        render_figure(
            plot_topology(topology),
            _slug("topology", topology.name),
            f"Topology {topology.name}",
            "Line width follows capacity; labels give capacity and BGP preference. Red halos "
            "mark single points of failure (bridges and articulation points of the preferred "
            "layer; elements that alone cut a pair).",
        ),
    )
    report.sections["topology"].tables.append(tables.links_table(topology))


def _failover(report: Report, main: Sequence[Run], step: Step) -> None:
    """Every failover gap of every run against the failover SLO, and their table."""
    records = gap_records(r.summary for r in main)
    if not records:
        return
    step("failover gaps")
    target = next(
        (s.target for r in main for s in r.summary.slos if s.metric == "failover_gap"), None
    )
    _add(
        report,
        "failover",
        render_figure(
            plot_failover_gaps(records, target),
            "failover-gaps",
            "Failover gaps by failure mode and detection method",
            "Every failover of every run; lab-measured points are joined to the simulated "
            "point of the same scenario and failure.",
        ),
    )
    report.sections["failover"].tables.append(tables.failover_table(main))


def _availability(report: Report, avail: AvailabilityData, name: str) -> None:
    """The downtime per cloud pair of the topology called ``name``, and its table."""
    _add(
        report,
        "availability",
        render_figure(
            plot_availability(avail),
            "availability",
            f"Availability per cloud pair: {name}",
            "Downtime per year, log scale. Boxes: Monte Carlo per simulated year (detection "
            "and convergence included); diamonds: closed form of the whole design; squares: "
            "the preferred path alone in series.",
        ),
    )
    report.sections["availability"].tables.append(tables.availability_table(avail))


def _cost(report: Report, topology: Topology, run: Run, step: Step) -> CostModel:
    """The monthly bill at the volumes of ``run`` (:func:`pick_cost_run`); returned too."""
    step("cost")
    cost = cost_model(topology, run.trace, run.summary, design=topology.name)
    report.sections["cost"].intro.append(
        f"Volumes from run {run.label} ({run.summary.duration_s:g} s "
        "simulated), scaled to a month. Per-GB charges apply to bytes leaving a cloud."
    )
    _add(
        report,
        "cost",
        render_figure(
            plot_cost(cost),
            "cost",
            "Monthly cost",
            "Left: the bill at the simulated load. Right: "
            "cost against volume; red dots: break-even.",
        ),
    )
    report.sections["cost"].tables.append(tables.cost_table(cost))
    return cost


def _alternatives(report: Report, alternatives: Sequence[DesignRow], step: Step) -> None:
    """The designs side by side (``netsim review``), or a note saying how to get them."""
    if not alternatives:
        report.sections[
            "alternatives"
        ].empty = "No alternative designs in these runs: `netsim review` simulates them."
        return
    step("alternatives")
    report.sections["alternatives"].tables.append(tables.alternatives_table(alternatives))
    _add(
        report,
        "alternatives",
        render_figure(
            plot_alternatives(alternatives),
            "alternatives",
            "Alternatives side by side",
            "Same load and the same failure (the link carrying the first pair's traffic) in "
            "every design.",
        ),
    )


def _utilisation(report: Report, main: Sequence[Run], step: Step) -> None:
    """The quietest long run, and the runs where the VPN carried the most."""
    with_trace = [r for r in main if r.trace is not None and r.topology is not None]
    chosen: list[Run] = []
    quiet = [r for r in with_trace if not r.summary.failovers]
    if quiet:
        chosen.append(max(quiet, key=lambda r: float(r.summary.duration_s)))
    scored = []
    for run in with_trace:
        assert run.trace is not None
        assert run.topology is not None
        vpn = [u.peak for u in link_use(run.trace, run.topology) if u.kind == LinkKind.VPN.value]
        if vpn and max(vpn) > VPN_BUSY_PEAK:
            scored.append((max(vpn), run))
    for _, run in sorted(scored, key=lambda x: -x[0]):
        if len(chosen) < MAX_UTILISATION_FIGURES and run not in chosen:
            chosen.append(run)
    for run in chosen:
        assert run.trace is not None
        assert run.topology is not None
        step(f"utilisation of {run.label}")
        _add(
            report,
            "utilisation",
            render_figure(
                plot_utilisation(run.trace, run.topology, f"Link utilisation: {run.label}"),
                _slug("utilisation", run.label),
                f"Link utilisation: {run.label}",
                "Busier direction per bin, packets and bulk flows together; dashed: VPN tunnels.",
            ),
        )


def report_doc(report: Report) -> dict[str, object]:
    """The template's data: strings, lists, and the sections' tables and figures."""
    risks = sum(f.status == "risk" for f in report.findings)
    engines = sorted({r.engine for r in report.runs})
    subtitle = [
        f"{len(report.runs)} runs ({', '.join(engines)}) · netsim {netsim.__version__}",
        report.topology.description if report.topology else "",
    ]
    words = {"risk": "does not hold", "holds": "holds", "info": "note"}
    return {
        "title": report.title,
        "subtitle": [s for s in subtitle if s],
        "verdict": f"{risks} of {len(report.findings)} findings show a claim or SLO that "
        "does not hold; each finding lists the numbers it rests on.",
        "findings": [
            {
                "status": f.status,
                "status_word": words.get(f.status, f.status),
                "title": f.title,
                "text": f.text,
                "evidence": list(f.evidence),
            }
            for f in report.findings
        ],
        "notes": report.notes,
        "sections": [
            {
                "id": key,
                "title": title,
                "intro": s.intro,
                "figures": s.figures,
                "tables": s.tables,
                "empty": s.empty,
                "layout": s.layout,
            }
            for key, title in SECTIONS
            for s in (report.sections[key],)
        ],
    }


def write_report(report: Report, html_path: Path, figure_dir: Path | None = None) -> list[Path]:
    """``report.html`` (self-contained), the figures as PNG and SVG, and ``report.json``."""
    figure_dir = figure_dir or html_path.parent / "figures"
    written = write_figures(report.figures, figure_dir)
    numbers = html_path.with_suffix(".json")
    publish(numbers, dumps(json.loads(json.dumps(report.numbers, default=str))))
    written.append(numbers)
    written.append(write_html(html_path, render_html(report_doc(report))))
    return written


__all__ = ["Report", "build_report", "pick_cost_run", "report_doc", "write_report"]

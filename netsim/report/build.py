"""Assemble the design-review page: verdict first, then what to change, then the evidence.

:func:`build_report` takes the runs and their :class:`~netsim.report.assess.Assessment`
and fills the page in order: the **verdict** (one sentence: does the design as written
meet its requirements), the **recommendations** (each with its change and the numbers
before and after, re-simulated), the ADR's **claims** computed (ADR-003 only), the
**findings** with the source of each threshold, the **assumptions** with what they move
(tornado), then the evidence sections (:mod:`netsim.report.sections`) and an appendix.
:func:`write_report` writes ``report.html``, the figures (PNG and SVG) and ``report.json``
with every number the page shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import netsim
from netsim.report import sections as sec
from netsim.report.fig_tornado import plot_tornado
from netsim.report.render import (
    FigureJob,
    Rendered,
    publish,
    render_html,
    write_figures,
    write_html,
)
from netsim.report.review_tables import (
    assumptions_table,
    checks_table,
    claims_table,
    sensitivity_table,
)
from netsim.report.sections import Page, Section
from netsim.report.sensitivity import varied_kind
from netsim.trace.files import dumps

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from netsim.report.assess import Assessment
    from netsim.report.data import Run
    from netsim.report.fig_regions import RegionsData
    from netsim.report.findings import Finding
    from netsim.report.verification import Verified

Step = Callable[[str], None]
SECTIONS = (
    ("verdict", "Verdict"),
    ("recommendations", "Recommendations, tested"),
    ("claims", "The ADR's claims, computed"),
    ("summary", "Findings"),
    ("assumptions", "Assumptions and what they move"),
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
#: Sections left off the page when they have nothing (the others say why they are empty).
OPTIONAL_SECTIONS = frozenset(
    {"claims", "utilisation", "timelines", "latency", "failover", "regions"}
)


@dataclass
class Report:
    title: str
    runs: list[Run]
    assessment: Assessment
    page: Page
    numbers: dict[str, object]
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return self.assessment.findings

    @property
    def figures(self) -> list[Rendered]:
        return self.page.figures


def _no_step(_: str) -> None:
    return None


def word(v: Verified) -> str:
    """How a recommendation stands: verified by re-simulation, not enough, a restated
    requirement, or not tested (no run exercises what it changes: ``v.untested`` says
    why)."""
    if v.rec.change is None:
        return "restates"
    return {True: "verified", False: "not enough", None: "not tested"}[v.met]


def css(v: Verified) -> str:
    """The colour of a recommendation: green when re-simulation shows it does what it
    promises, red when not, neutral for a restated requirement or one not tested."""
    if v.rec.change is None or v.met is None:
        return "info"
    return "holds" if v.met else "fails"


def _verdict(page: Page, a: Assessment) -> None:
    status, sentence = a.verdict
    s = page.sections["verdict"]
    s.intro.append(sentence)
    s.blocks.append(
        {
            "list": [
                {
                    "status": css(v),
                    "word": word(v),
                    "title": v.rec.title,
                    "text": "",
                }
                for v in a.verified
            ]
        }
    )
    s.blocks.insert(0, {"status": {"status": status.css, "word": status.value}})


def _recommendations(page: Page, a: Assessment) -> None:
    s = page.sections["recommendations"]
    if not a.verified:
        s.empty = "Nothing to change: every finding holds."
        return
    s.intro.append(
        "Each change is applied to the topology or scenario and the affected runs are "
        "simulated again; * marks what the recommendation promises. The design with every "
        "change is the last row of the alternatives."
    )
    for v in a.verified:
        s.blocks.append(
            {
                "rec": {
                    "title": v.rec.title,
                    "text": v.rec.text,
                    "evidence": [*v.rec.evidence, *([v.untested] if v.untested else [])],
                    "status": css(v),
                    "word": word(v),
                    "table": checks_table(v) if v.checks else None,
                }
            }
        )


def _findings(page: Page, a: Assessment) -> None:
    s = page.sections["summary"]
    for f in a.findings:
        s.blocks.append(
            {
                "finding": {
                    "status": f.status.css,
                    "word": f.status.value,
                    "title": f.title,
                    "text": f.text,
                    "source": str(f.source) if f.source else "",
                    "evidence": list(f.evidence),
                }
            }
        )


def _assumptions(page: Page, a: Assessment, step: Step) -> None:
    s = page.sections["assumptions"]
    count = sum(x.kind == "assumption" for x in a.assumptions)
    flips = [x for x in a.sensitivity if any(e.flips for e in x.effects)]
    varied = (
        f"{count} groups of values are marked ASSUMPTION; "
        f"{len(a.sensitivity)} of them were varied from half to double. "
        if varied_kind(a.assumptions) == "assumption"
        else "No value is marked ASSUMPTION, so the values written without a citation "
        f"were varied from half to double instead ({len(a.sensitivity)} groups; a path "
        "preference only when marked). "
    )
    s.intro.append(
        varied
        + (
            f"Verdicts flip for: {', '.join(x.group.label for x in flips)}."
            if flips
            else "No verdict flips within that range."
        )
    )
    if a.sensitivity:
        step("sensitivity figure")
        page.figure(
            "assumptions",
            FigureJob(
                plot_tornado,
                (a.sensitivity,),
                "sensitivity",
                "Sensitivity of the findings to the assumptions",
                "Each bar: a finding's figure with the assumption at half and at double its "
                "value; red: a verdict flips within that range.",
            ),
        )
        s.details.append(sensitivity_table(a.sensitivity))
    s.details.insert(0, assumptions_table(a.assumptions))


def build_report(
    runs: list[Run],
    assessment: Assessment,
    *,
    notes: Sequence[str] = (),
    title: str | None = None,
    step: Step = _no_step,
    workers: int | None = None,
    regions: RegionsData | None = None,
) -> Report:
    """Everything the page shows; see the module docstring (``workers``: processes that
    draw the figures)."""
    a = assessment
    name = a.ctx.name
    page = Page({key: Section(key, t) for key, t in SECTIONS})
    if a.ctx.adr:
        page.sections["claims"].title = "ADR-003's claims, computed"
    main = a.ctx.mine
    _verdict(page, a)
    _recommendations(page, a)
    if a.claims:
        page.table("claims", claims_table(a.claims), rows=12)
    _findings(page, a)
    _assumptions(page, a, step)
    sec.topology_section(page, a, step)
    sec.slo_section(page, [*main, *a.ctx.what_ifs, *a.ctx.lab])
    sec.latency_section(page, main, step)
    sec.timelines_section(page, main, step)
    sec.failover_section(page, [*main, *a.ctx.lab], step)
    sec.utilisation_section(page, main, step)
    sec.availability_section(page, a)
    sec.cost_section(page, a, step)
    sec.alternatives_section(page, a, step)
    sec.regions_section(page, regions)
    step(f"drawing {len(page.jobs)} figures")
    page.render(workers)
    for key in list(page.sections):
        s = page.sections[key]
        if not s.blocks and not s.intro and not s.empty and not s.details:
            if key in OPTIONAL_SECTIONS:
                del page.sections[key]
            else:
                s.empty = f"Nothing to show for {s.title.lower()} in these runs."
    report = Report(title or f"Design review: {name}", runs, a, page, {}, list(notes))
    report.numbers = numbers(report, regions)
    return report


def numbers(report: Report, regions: RegionsData | None = None) -> dict[str, object]:
    """``report.json``: every number the page shows."""
    a = report.assessment
    status, sentence = a.verdict
    doc: dict[str, object] = {
        "netsim_version": netsim.__version__,
        "topology": a.ctx.name,
        "verdict": {"status": status.value, "text": sentence},
        "recommendations": [v.to_json() for v in a.verified],
        "claims": [c.to_json() for c in a.claims],
        "findings": [f.to_json() for f in a.findings],
        "assumptions": [x.to_json() for x in a.assumptions],
        "sensitivity": [s.to_json() for s in a.sensitivity],
        "runs": [r.summary.to_json() for r in report.runs],
        "availability": a.avail.to_json() if a.avail else None,
        "cost": a.cost.as_dict() if a.cost else None,
        "alternatives": [row.as_dict() for row in a.rows],
        "notes": report.notes,
    }
    if regions is not None:
        doc["regions"] = regions.to_json()
    return doc


def report_doc(report: Report) -> dict[str, object]:
    """The template's data: strings, lists, and the sections' blocks."""
    engines = sorted({r.engine for r in report.runs})
    topology = report.assessment.ctx.topology
    subtitle = [
        f"{len(report.runs)} runs ({', '.join(engines)}) and "
        f"{len(report.assessment.reruns)} re-simulations · netsim {netsim.__version__}",
        topology.description if topology else "",
    ]
    appendix = [
        {"section": s.title, "table": t} for s in report.page.sections.values() for t in s.details
    ]
    return {
        "title": report.title,
        "subtitle": [x for x in subtitle if x],
        "notes": report.notes,
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "intro": s.intro,
                "blocks": s.blocks,
                "details": s.details,
                "empty": s.empty,
            }
            for s in report.page.sections.values()
        ],
        "appendix": appendix,
    }


def write_report(report: Report, html_path: Path, figure_dir: Path | None = None) -> list[Path]:
    """``report.html`` (self-contained), the figures as PNG and SVG, and ``report.json``."""
    figure_dir = figure_dir or html_path.parent / "figures"
    written = write_figures(report.figures, figure_dir)
    numbers_path = html_path.with_suffix(".json")
    publish(numbers_path, dumps(json.loads(json.dumps(report.numbers, default=str))))
    written.append(numbers_path)
    written.append(write_html(html_path, render_html(report_doc(report))))
    return written


__all__ = ["SECTIONS", "Report", "build_report", "numbers", "report_doc", "write_report"]

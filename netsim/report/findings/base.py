"""What findings are made of: :class:`Finding`, and the :class:`Context` they read.

A finding is one statement generated from the numbers of a review, with its verdict
(:class:`~netsim.report.vocab.Status`), the source of its threshold
(:class:`~netsim.report.vocab.Source`) and its evidence. It also carries its headline
figure (``figure``, ``unit``) and the threshold it was judged against (``limit``), so
the sensitivity analysis can say whether an assumption moves it across.

The :class:`Context` sorts a review's runs once: the design's own runs (one per
scenario; a lab run of a scenario that was also simulated is evidence beside it, not a
second scenario), the *what-if* runs whose scenario changes the design
(``topology_overrides``: BFD switched off, a smaller VPN), and the alternatives' runs. A
review's own re-simulations (a recommendation's or an assumption's variant, when
``netsim report`` is given a review's ``runs/``) are none of these: they are left out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.report.adr import is_adr003
from netsim.report.vocab import Source, SourceKind, Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.analysis.results import SloVerdict
    from netsim.model.topology import Topology
    from netsim.report.adr import AdrClaims
    from netsim.report.alternatives import DesignRow
    from netsim.report.costing import CostModel
    from netsim.report.data import Run
    from netsim.report.fig_availability import AvailabilityData


@dataclass(frozen=True)
class Finding:
    """One statement with its verdict, threshold source, evidence and headline figure."""

    key: str
    status: Status
    title: str
    text: str
    evidence: tuple[str, ...] = ()
    source: Source | None = None
    figure: float | None = None  # the headline number the verdict rests on
    limit: float | None = None  # the threshold it is judged against
    unit: str = ""
    higher_is_worse: bool = True

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "status": self.status.value,
            "title": self.title,
            "text": self.text,
            "evidence": list(self.evidence),
            "source": None if self.source is None else self.source.to_json(),
            "figure": self.figure,
            "limit": self.limit,
            "unit": self.unit,
        }

    def judge(self, figure: float) -> Status:
        """The verdict ``figure`` would get against this finding's limit."""
        if self.limit is None:
            return self.status
        bad = figure > self.limit if self.higher_is_worse else figure < self.limit
        return Status.FAILS if bad else Status.HOLDS


def _same_design(a: Topology | None, b: Topology | None) -> bool:
    """Whether two topologies are the same design (their files may differ in comments)."""
    if a is None or b is None:
        return a is b
    return dataclasses.replace(a, source="") == dataclasses.replace(b, source="")


@dataclass
class Context:
    """Everything findings read (module docstring)."""

    topology: Topology | None
    runs: list[Run]
    claims: AdrClaims | None = None
    avail: AvailabilityData | None = None
    cost: CostModel | None = None
    alternatives: Sequence[DesignRow] = ()
    own: list[Run] | None = None  # None: sorted from ``runs`` (module docstring)
    what_ifs: list[Run] = field(default_factory=list)
    lab: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.own is not None:
            return
        self.own = []
        simulated = {r.name for r in self.runs if r.design is None and r.engine != "lab"}
        for run in self.runs:
            if run.design is not None or run.derived:  # a review's re-simulation
                continue
            if run.engine == "lab":
                self.lab.append(run)
                if run.name in simulated:
                    continue
            if self.topology is not None and not _same_design(run.topology, self.topology):
                self.what_ifs.append(run)
            else:
                self.own.append(run)

    @property
    def mine(self) -> list[Run]:
        """The design's own runs (one per scenario)."""
        return self.own or []

    @property
    def adr(self) -> bool:
        return self.claims is not None and is_adr003(self.topology)

    @property
    def name(self) -> str:
        return self.topology.name if self.topology is not None else "the design"


def slo_source(runs: Sequence[Run], verdicts: Sequence[SloVerdict], quote: str | None) -> Source:
    """The source of an SLO-based finding: the ADR claim it restates, else the scenario
    SLOs (file and name)."""
    if quote is not None:
        return Source(SourceKind.ADR, f'"{quote}"')
    names = sorted({v.name for v in verdicts})
    files = sorted({r.name for r in runs})
    return Source(SourceKind.SLO, f"{', '.join(names)} in {', '.join(files)}")


def pct(a: float, digits: int = 3) -> str:
    return f"{100 * a:.{digits}f}%"


__all__ = ["Context", "Finding", "pct", "slo_source"]

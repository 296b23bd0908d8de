"""A failure that leaves a pair with no path is a partition, not slow detection; and a
recommendation is re-simulated only on runs that exercise what it changes.

The design (``data/partition``): aws, azure and gcp through one exchange, a VPN between aws
and azure only. ``gcp-cut-off`` blackholes gcp-ix for two minutes while aws calls gcp (gcp
has no other path); ``aws-internet-outage`` takes aws's internet access down while aws
calls gcp over the exchange (nothing the calls use is touched).

Oracles, none of them the code under test:

- whether a pair has a path while a link is failed: the model's routing
  (:func:`netsim.model.routing.best_path` with the impaired links removed, the rule the
  simulator forwards by), recomputed here;
- what a recommendation changes: the YAML keys and duplicates its change lists, read here;
- which runs a change can affect: the scenario's own failures and traffic, read here from
  the run's files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netsim.model import load_topology
from netsim.model.effects import LinkMode, failure_effects
from netsim.model.routing import best_path
from netsim.model.scenario import TargetKind
from netsim.report.findings.design import failure_pairs

from .conftest import DATA

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model import Topology
    from netsim.report.build import Report
    from netsim.report.data import Run

TOPOLOGY = DATA / "partition" / "topology.yaml"


def _pairs(topology: Topology) -> list[tuple[str, str]]:
    ends = topology.endpoints_of()
    return [(a, b) for i, a in enumerate(ends) for b in ends[i + 1 :]]


def _has_path(topology: Topology, a: str, b: str, failed_link: str) -> bool:
    """The oracle: the pair keeps a path both ways with the link's failure applied."""
    down = frozenset(failure_effects(topology, TargetKind.LINK, failed_link, LinkMode.DOWN))
    return all(best_path(topology, s, d, down) is not None for s, d in ((a, b), (b, a)))


def _crosses(topology: Topology, a: str, b: str, link: str) -> bool:
    return any(link in (best_path(topology, s, d, frozenset()) or ()) for s, d in ((a, b), (b, a)))


def test_failure_pairs_agree_with_the_routing() -> None:
    """Every link of the design: the pairs it carries are cut off exactly when the routing
    finds no path without it, and moved otherwise."""
    topology = load_topology(TOPOLOGY)
    for link in topology.links:
        hit = failure_pairs(topology, "link", link.name)
        for a, b in _pairs(topology):
            if not _crosses(topology, a, b, link.name):
                assert (a, b) not in hit.moved | hit.cut, (link.name, a, b)
            elif _has_path(topology, a, b, link.name):
                assert (a, b) in hit.moved, (link.name, a, b)
            else:
                assert (a, b) in hit.cut, (link.name, a, b)
    # the design's point: gcp-ix carries only pairs it cuts off; azure-ix carries both kinds
    assert failure_pairs(topology, "link", "gcp-ix").moved == frozenset()
    hit = failure_pairs(topology, "link", "azure-ix")
    assert hit.moved
    assert hit.cut


def _cut_off_links(run: Run) -> set[str]:
    """Links a scripted failure of the run broke while a pair of its traffic had no path
    (the oracle: routing without the link)."""
    assert run.scenario is not None
    topology = run.scenario.topology
    out = set()
    for failure in run.scenario.failures:
        if failure.target is not TargetKind.LINK:
            continue
        for c in run.scenario.traffic:
            for d in c.dsts:
                crosses = _crosses(topology, c.src, d, failure.name)
                if crosses and not _has_path(topology, c.src, d, failure.name):
                    out.add(failure.name)
    return out


@pytest.mark.slow
def test_a_partition_is_not_diagnosed_as_detection(
    partition_review: tuple[Report, Path],
) -> None:
    """gcp-cut-off's gap (the two-minute failure and the session's re-establishment) is a
    partition: no recommendation may offer faster detection on gcp-ix or restate its
    failover target, the detection finding may not rest on that gap, and the failover
    finding must say that the pair had no path. The path the design lacks is what the
    review recommends (the exchange duplicated)."""
    report, _ = partition_review
    a = report.assessment
    cut = set().union(*(_cut_off_links(r) for r in a.ctx.mine))
    assert cut == {"gcp-ix"}  # the scenario does what its comment says
    for v in a.verified:
        touched = {k.split(".")[1] for k, _ in (v.rec.change.topology if v.rec.change else ())}
        restated = {what for what, _, _ in v.rec.restated}
        for link in cut:
            assert link not in touched or not v.rec.key.startswith("bfd-"), v.rec.title
            assert not any(link in r for r in restated), v.rec.title
            assert not ("detection" in v.rec.fixes and link in v.rec.title), v.rec.title
    gap = next(
        f.gap_s for r in a.ctx.mine for f in r.summary.failovers if f.record.subject == "gcp-ix"
    )
    assert gap > 100  # the partition lasted until the repair
    detection = next(f for f in a.findings if f.key == "detection")
    assert detection.figure is not None
    assert detection.figure < gap  # judged on what detection costs, not on the partition
    assert "gcp-ix fails over" not in detection.title
    assert "partition" in detection.text
    failover = next(f for f in a.findings if f.key == "failover")
    assert "no path" in failover.text
    assert "aws-gcp" in failover.text
    # the fix for a partition is a path: the single point of failure's duplicate
    assert any(v.rec.key == "twin-ix" for v in a.verified)

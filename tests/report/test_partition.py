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
from netsim.report.sensitivity import TIMERS, decisive_runs, groups

from .conftest import DATA

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.model import Topology
    from netsim.report.build import Report
    from netsim.report.data import Run
    from netsim.report.recommend import Recommendation

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


def _involves(run: Run, links: set[str]) -> bool:
    """The oracle for a change on ``links``: a scripted failure of the run (read from its
    scenario) impairs one of them while traffic of the run crosses it."""
    assert run.scenario is not None
    topology = run.scenario.topology
    for failure in run.scenario.failures:
        mode = LinkMode.DOWN if failure.mode.value == "down" else LinkMode.BLACKHOLE
        impaired = set(failure_effects(topology, failure.target, failure.name, mode)) & links
        crossed = any(
            _crosses(topology, c.src, d, x)
            for x in impaired
            for c in run.scenario.traffic
            for d in c.dsts
        )
        if crossed:
            return True
    return False


def _links_changed(rec: Recommendation, topology: Topology) -> set[str]:
    """What a recommendation's change acts on, read from its keys and duplicates."""
    assert rec.change is not None
    out = {key.split(".")[1] for key, _ in rec.change.topology if key.startswith("links.")}
    for name, _ in rec.change.twins:
        if name in topology.node_names:
            out |= {x.name for x in topology.links_of(name)}
        else:
            out.add(name)
    return out


@pytest.mark.slow
def test_recommendations_are_verified_only_on_runs_that_exercise_them(
    partition_review: tuple[Report, Path],
) -> None:
    """Every run a recommendation is re-simulated on has a scripted failure of an element
    the change acts on, crossed by the run's traffic: aws-internet-outage (aws's internet
    access, which nothing of the exchange uses) verifies nothing here. A change no run
    exercises (BFD on azure-ix: no scenario fails it) is said to be not verified by
    simulation, with the reason, instead of showing numbers it cannot move."""
    report, out = partition_review
    a = report.assessment
    topology = a.ctx.topology
    assert topology is not None
    by_name = {r.name: r for r in a.ctx.mine}
    tested = 0
    for v in a.verified:
        if v.rec.change is None:
            continue
        links = _links_changed(v.rec, topology)
        runs = {c.run for c in v.checks if c.run in by_name}
        for name in runs:
            assert _involves(by_name[name], links), (v.rec.title, name)
            tested += 1
        assert "aws-internet-outage" not in runs, v.rec.title
    assert tested >= 1  # the duplicate exchange, on gcp-cut-off
    for v in a.verified:
        if v.rec.change is None:
            continue
        links = _links_changed(v.rec, topology)
        if not any(_involves(r, links) for r in a.ctx.mine):
            assert v.met is None, v.rec.title
            why = getattr(v, "untested", "")
            assert why.startswith("Not verified by simulation"), v.rec.title
            assert all(x in why for x in links), why
    bfd = next(v for v in a.verified if v.rec.key == "bfd-azure-ix")
    assert not bfd.checks
    html = (out / "report.html").read_text()
    assert "Not verified by simulation: no scenario blackholes azure-ix" in html


@pytest.mark.slow
def test_which_runs_exercise_a_change(partition_review: tuple[Report, Path]) -> None:
    """Each case against the scenario files: gcp-cut-off fails gcp-ix while aws calls gcp,
    and gcp has no other path; aws-internet-outage fails what no call crosses."""
    from netsim.report.changes import Change
    from netsim.report.exercised import exercises

    report, _ = partition_review
    runs = {r.name: r for r in report.assessment.ctx.mine}
    cut, elsewhere = runs["gcp-cut-off"], runs["aws-internet-outage"]
    bfd = {"interval": "300ms", "multiplier": 3}
    # a partition has nothing to detect; a link the failure leaves alone is not involved
    assert not exercises(cut, Change(topology=(("links.gcp-ix.bfd", bfd),)))
    assert not exercises(cut, Change(topology=(("links.aws-ix.bfd", bfd),)))
    # a second exchange is the path gcp lacked
    assert exercises(cut, Change(twins=(("ix", "ix-2"),)))
    assert exercises(cut, Change(twins=(("gcp-ix", "gcp-ix-2"),)))
    for change in (
        Change(twins=(("ix", "ix-2"),)),
        Change(topology=(("links.aws-ix.bfd", bfd),)),
        Change(topology=(("links.vpn-aws-azure.capacity", "2.5Gbps"),)),
        Change(scenario=(("traffic.calls.max_rate", "1Gbps"),)),
    ):
        assert not exercises(elsewhere, change), change


def test_timers_are_not_varied_on_a_partition(partition_review: tuple[Report, Path]) -> None:
    """The sensitivity analysis varies timers (BFD, BGP, convergence) on the run with the
    longest failover gap; a partition's gap lasts until the repair whatever the timers,
    so gcp-cut-off (oracle: the routing, as above) may never be that run. The design marks
    no value ASSUMPTION, so its uncited timers are the ones varied."""
    report, _ = partition_review
    a = report.assessment
    cut_runs = {r.name for r in a.ctx.mine if _cut_off_links(r)}
    assert cut_runs == {"gcp-cut-off"}
    timer_groups = [g for g in groups(a.assumptions) if g.key in TIMERS]
    assert timer_groups, "the design's uncited bfd timers are varied"
    for group in timer_groups:
        picked = {r.name for r in decisive_runs(a.ctx, a.findings, group)}
        assert not picked & cut_runs, group.label

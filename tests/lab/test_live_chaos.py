"""Chaos on the live lab: hypothesis draws short sequences of real faults, the lab applies
them to real FRR and strongSwan, and the model's reachability and routing invariants are
checked on what the lab does after the convergence bound (issue 4, item 5).

The oracle is :mod:`netsim.verify.oracle` (an independent networkx reference of the
routing semantics): every pair the surviving graph connects must get probes through, and
the lab's forwarding path must be the model's most preferred surviving path. Faults are
drawn from the interconnects and the MCR (their BFD timers bound the wait to seconds;
faults of the internet underlay would wait for 30-60 s VPN hold timers). Few examples and
a fixed derandomized seed keep it bounded in time and reproducible.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsim.lab.live.play import model_path
from netsim.model import load_topology
from netsim.model.scenario import TargetKind
from netsim.verify import bounds, oracle
from tests.lab.conftest import ROOT, deployed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from netsim.lab import Lab

pytestmark = pytest.mark.lab

TOPOLOGY = load_topology(ROOT / "topologies" / "megaport-hub.yaml")
CLAB = ROOT / "topologies" / "megaport-hub.clab.yml"
CLOUDS = ("aws", "gcp", "azure")
FAULTS = [
    ((TargetKind.LINK, name), mode)
    for name in ("aws-mcr", "gcp-mcr", "azure-mcr")
    for mode in ("down", "blackhole")
] + [((TargetKind.NODE, "mcr"), "down")]
# FRR in the lab converges ~0.1 s after detection; BFD and hold timers are the topology's.
LAB_CONVERGENCE_S = 0.1
MARGIN_S = 1.5


@pytest.fixture(scope="module")
def lab(lab_root: Path) -> Iterator[Lab]:
    yield from deployed(CLAB, "megaport-hub")


def settle_time(faults: tuple) -> float:
    """The detection bound of the slowest drawn fault, plus the lab's convergence."""
    worst = 0.0
    for (target, name), mode in faults:
        links = (
            [name] if target is TargetKind.LINK else [link.name for link in TOPOLOGY.links_of(name)]
        )
        for link_name in links:
            worst = max(worst, bounds.detection_bound(TOPOLOGY.link(link_name), mode))
    return worst + LAB_CONVERGENCE_S + MARGIN_S


def observe(lab: Lab) -> tuple[dict, dict]:
    """(reachable per pair from 1 s of probes, the lab's forwarding path per pair)."""
    runs = {
        (a, b): lab.start_probe(f"host-{a}", f"host-{b}", rate=50, duration=1.0)
        for a in CLOUDS
        for b in CLOUDS
        if a != b
    }
    reachable = {}
    for pair, run in runs.items():
        result = run.wait()
        reachable[pair] = (~result.lost).mean() > 0.8
    routes = {}
    for path in lab.status().paths:
        pair = (path.src.removeprefix("host-"), path.dst.removeprefix("host-"))
        if pair[0] in CLOUDS and pair[1] in CLOUDS:
            routes[pair] = model_path(TOPOLOGY, path.nodes, path.via) or None
    return reachable, routes


def back_to_preferred(lab: Lab, timeout: float = 40.0) -> None:
    """After restore: wait until every pair uses its preferred path again."""
    deadline = time.monotonic() + timeout
    while True:
        _, routes = observe(lab)
        try:
            oracle.check_routes(TOPOLOGY, routes, frozenset())
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2.0)


def test_random_fault_sequences_keep_the_invariants(lab: Lab) -> None:
    back_to_preferred(lab)
    seen: list[tuple] = []

    @settings(
        max_examples=3,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(st.sampled_from(FAULTS), min_size=1, max_size=2, unique_by=lambda f: f[0]).map(
            tuple
        )
    )
    def chaos(faults: tuple) -> None:
        seen.append(faults)
        targets = [(name, mode) for (_kind, name), mode in faults]
        lab.fail(targets)
        try:
            time.sleep(settle_time(faults))
            broken = bounds.broken_links(
                bounds.merge_effects(
                    bounds.failure_effects(TOPOLOGY, kind, name, mode)
                    for (kind, name), mode in faults
                )
            )
            reachable, routes = observe(lab)
            context = f"faults: {targets}"
            oracle.check_reachability(TOPOLOGY, reachable, broken, context)
            oracle.check_routes(TOPOLOGY, routes, broken, context=context)
        finally:
            lab.restore()
        back_to_preferred(lab)

    chaos()
    assert len(seen) == 3

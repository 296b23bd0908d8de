"""The timing bounds and the routing oracle, against numbers worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import pytest

from netsim.model import load_topology
from netsim.model.dist import Dist
from netsim.verify import bounds
from netsim.verify.oracle import check_reachability, check_routes, path_problem, preferred_rank

HUB = load_topology("topologies/megaport-hub.yaml")
DUAL = load_topology("topologies/dual-mcr.yaml")


@pytest.mark.parametrize(
    ("link", "mode", "floor", "bound", "method"),
    [
        ("aws-mcr", "down", 0.0, 0.0, "carrier"),
        ("aws-mcr", "blackhole", 0.9, 0.9, "bfd"),  # BFD 300 ms x 3 beats hold 90 s
        ("gcp-mcr", "blackhole", 5.0, 5.0, "bfd"),  # GCP BFD 1 s x 5
        ("vpn-aws-gcp", "blackhole", 20.0, 30.0, "dpd"),  # hold 30 - U(0, 10) vs DPD 30
        ("aws-inet", "blackhole", 60.0, 90.0, "hold"),  # internet default 30 s / 90 s
        ("aws-mcr", "loss", math.inf, math.inf, "never"),
    ],
)
def test_detection_bounds(link: str, mode: str, floor: float, bound: float, method: str) -> None:
    x = HUB.link(link)
    assert bounds.detection_floor(x, mode) == pytest.approx(floor)
    assert bounds.detection_bound(x, mode) == pytest.approx(bound)
    assert bounds.detection_method(x, mode) == method


def test_failover_and_settle_bounds() -> None:
    assert bounds.failover_bound(HUB.link("aws-mcr"), "blackhole") == pytest.approx(1.9)
    assert bounds.failover_bound(HUB.link("gcp-mcr"), "down") == pytest.approx(1.0)
    assert bounds.failover_bound(HUB.link("vpn-gcp-azure"), "blackhole") == pytest.approx(32.0)
    # ExpressRoute converges in up to a minute: BFD 0.9 s + 60 s (32 s before issue 10, the
    # VPNs); the internet underlay (90 s hold + 30 s convergence) is not routed, so it does
    # not count
    assert bounds.failover_bound(HUB.link("azure-mcr"), "blackhole") == pytest.approx(60.9)
    assert bounds.settle_bound(HUB) == pytest.approx(60.9)


def test_convergence_bound_of_a_distribution_is_a_high_quantile() -> None:
    uniform = dataclasses.replace(
        HUB.link("aws-mcr"), convergence=Dist("uniform", (("loc", 1.0), ("scale", 2.0)))
    )
    assert bounds.convergence_bound(uniform) == pytest.approx(3.0, abs=1e-6)


def test_failure_effects_follow_nodes_groups_and_underlays() -> None:
    assert bounds.failure_effects(HUB, "node", "mcr", "down") == {
        "aws-mcr": "down",
        "gcp-mcr": "down",
        "azure-mcr": "down",
    }
    assert bounds.failure_effects(HUB, "group", "megaport-mcr", "blackhole") == {
        "aws-mcr": "blackhole",
        "gcp-mcr": "blackhole",
        "azure-mcr": "blackhole",
    }
    internet = bounds.failure_effects(HUB, "node", "internet", "down")
    assert internet == {
        "aws-inet": "down",
        "gcp-inet": "down",
        "azure-inet": "down",
        "vpn-aws-gcp": "blackhole",
        "vpn-aws-azure": "blackhole",
        "vpn-gcp-azure": "blackhole",
    }
    # a node failure hits its VPNs both directly (down) and through its underlay: worst wins
    aws = bounds.failure_effects(HUB, "node", "aws", "down")
    assert aws["vpn-aws-gcp"] == "down"
    assert aws["aws-inet"] == "down"
    assert bounds.failure_effects(HUB, "link", "gcp-inet", "loss")["vpn-aws-gcp"] == "loss"


@pytest.mark.parametrize(
    ("elements", "pair", "gap", "path"),
    [
        ([("link", "aws-mcr")], ("aws", "gcp"), 1.9, ("vpn-aws-gcp",)),
        ([("link", "gcp-mcr")], ("aws", "gcp"), 6.0, ("vpn-aws-gcp",)),
        ([("link", "vpn-aws-gcp")], ("aws", "gcp"), 0.0, ("aws-mcr", "gcp-mcr")),
        # the MCR's aws side is detected first (1.9 s) and that already moves aws->gcp off it
        ([("node", "mcr")], ("aws", "gcp"), 1.9, ("vpn-aws-gcp",)),
        # primary and fallback at once: no path is left, because azure (a cloud) carries
        # no transit (before issue 10: 32 s, then over vpn-aws-azure and vpn-gcp-azure)
        ([("node", "mcr"), ("link", "vpn-aws-gcp")], ("aws", "gcp"), math.inf, None),
        # a second failure off the pair's paths changes nothing: gcp-mcr's BFD 5 s + 1 s
        ([("link", "gcp-mcr"), ("link", "vpn-gcp-azure")], ("aws", "gcp"), 6.0, ("vpn-aws-gcp",)),
        ([("node", "mcr"), ("node", "internet")], ("aws", "gcp"), math.inf, None),
    ],
)
def test_worst_case_gap(
    elements: list[tuple[str, str]], pair: tuple[str, str], gap: float, path: tuple[str, ...] | None
) -> None:
    effects = bounds.merge_effects(
        bounds.failure_effects(HUB, k, n, "blackhole") for k, n in elements
    )
    got, end = bounds.worst_case_gap(HUB, *pair, effects)
    assert got == pytest.approx(gap)
    assert end == path


def test_preferred_rank() -> None:
    # (preference, AS-path length, hops)
    assert preferred_rank(HUB, "aws", "gcp", frozenset()) == (100, 2, 2)
    assert preferred_rank(HUB, "aws", "gcp", frozenset({"aws-mcr"})) == (50, 1, 1)
    # azure carries no transit: before issue 10 this was (50, 2) over vpn-aws-azure, azure
    assert preferred_rank(HUB, "aws", "gcp", frozenset({"aws-mcr", "vpn-aws-gcp"})) is None
    transit = dataclasses.replace(
        HUB,
        nodes=tuple(
            dataclasses.replace(n, transit=True) if n.name == "azure" else n for n in HUB.nodes
        ),
    )
    assert preferred_rank(transit, "aws", "gcp", frozenset({"aws-mcr", "vpn-aws-gcp"})) == (
        50,
        2,
        2,
    )
    assert preferred_rank(DUAL, "aws", "gcp", frozenset({"aws-mcr-a"})) == (100, 2, 2)


def test_path_problem_explains_bad_paths() -> None:
    assert path_problem(HUB, "aws", "gcp", ("aws-mcr", "gcp-mcr"), frozenset()) is None
    assert "not forwarding" in path_problem(
        HUB, "aws", "gcp", ("aws-mcr", "gcp-mcr"), frozenset({"gcp-mcr"})
    )
    assert "not a routed link" in path_problem(HUB, "aws", "gcp", ("aws-inet",), frozenset())
    assert "ends at mcr" in path_problem(HUB, "aws", "gcp", ("aws-mcr",), frozenset())
    assert "crosses azure, which carries no transit" in path_problem(
        HUB, "aws", "gcp", ("vpn-aws-azure", "vpn-gcp-azure"), frozenset()
    )


def test_check_routes_accepts_the_preferred_paths_and_lists_every_problem() -> None:
    check_routes(
        HUB,
        {("aws", "gcp"): ("aws-mcr", "gcp-mcr"), ("gcp", "azure"): ("vpn-gcp-azure",)},
        {"azure-mcr"},
    )
    with pytest.raises(AssertionError) as err:
        check_routes(
            HUB,
            {
                ("aws", "gcp"): ("vpn-aws-gcp",),  # not preferred
                ("aws", "azure"): None,  # unreachable
                ("gcp", "azure"): ("gcp-mcr", "azure-mcr"),
            },  # over a dead link
            {"azure-mcr"},
        )
    text = str(err.value)
    assert text.startswith("3 route(s) break the routing invariant")
    assert (
        "aws->gcp uses vpn-aws-gcp (preference 50, AS path 1, 1 hops) but a path of "
        "preference 100, AS path 2, 2 hops survives" in text
    )
    assert "aws->azure has no route although vpn-aws-azure survives" in text
    assert "gcp->azure uses gcp-mcr azure-mcr, which is unusable: it crosses azure-mcr" in text


def test_check_reachability_is_the_lab_hook() -> None:
    everything = {
        "aws-mcr",
        "gcp-mcr",
        "azure-mcr",
        "vpn-aws-gcp",
        "vpn-aws-azure",
        "vpn-gcp-azure",
    }
    check_reachability(HUB, {("aws", "gcp"): True, ("gcp", "aws"): True}, {"aws-mcr"})
    check_reachability(HUB, {("aws", "gcp"): False}, everything)
    with pytest.raises(AssertionError, match="aws->gcp is unreachable although"):
        check_reachability(HUB, {("aws", "gcp"): False}, {"aws-mcr"})
    with pytest.raises(AssertionError, match="reachable although the model has no path"):
        check_reachability(HUB, {("aws", "gcp"): True}, everything)

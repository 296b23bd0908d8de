"""Path selection (preference, then hops) and max-min fair sharing of bulk flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsim.model import load_topology
from netsim.model.routing import best_path, directed_hops
from netsim.sim.fluid import max_min_fair

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hub():  # type: ignore[no-untyped-def]
    return load_topology(ROOT / "topologies" / "megaport-hub.yaml")


def test_interconnect_path_preferred(hub) -> None:  # type: ignore[no-untyped-def]
    assert best_path(hub, "aws", "gcp", frozenset()) == ("aws-mcr", "gcp-mcr")
    assert best_path(hub, "gcp", "azure", frozenset()) == ("gcp-mcr", "azure-mcr")


def test_fallback_to_direct_vpn_not_a_longer_mixed_path(hub) -> None:  # type: ignore[no-untyped-def]
    # aws-mcr-azure-vpn-gcp is as preferred as the direct VPN (its least preferred link is a
    # VPN) but longer: the direct tunnel wins.
    assert best_path(hub, "aws", "gcp", frozenset({"gcp-mcr"})) == ("vpn-aws-gcp",)


def test_mcr_loss_moves_everything_to_vpns(hub) -> None:  # type: ignore[no-untyped-def]
    down = frozenset({"aws-mcr", "gcp-mcr", "azure-mcr"})
    assert best_path(hub, "aws", "azure", down) == ("vpn-aws-azure",)
    assert best_path(hub, "gcp", "azure", down) == ("vpn-gcp-azure",)


def test_underlay_is_never_routed(hub) -> None:  # type: ignore[no-untyped-def]
    everything_else = frozenset(
        link.name for link in hub.links if link.name not in hub.underlay_links
    )
    assert best_path(hub, "aws", "gcp", everything_else) is None


def test_directed_hops(hub) -> None:  # type: ignore[no-untyped-def]
    assert directed_hops(hub, "gcp", ("gcp-mcr", "aws-mcr")) == [("gcp-mcr", 0), ("aws-mcr", 1)]


def test_max_min_fair_respects_demands_and_capacity() -> None:
    # flows a (demand 2) and b (demand 10) share link L (capacity 8); c alone on M
    alloc = max_min_fair(
        {"a": 2.0, "b": 10.0, "c": 5.0},
        {"a": [("L", 0)], "b": [("L", 0), ("M", 0)], "c": [("M", 0)]},
        {("L", 0): 8.0, ("M", 0): 9.0},
    )
    assert alloc.rates["a"] == pytest.approx(2.0)
    # b and c share M fairly at 4.5 each (b is not limited by L's remaining 6)
    assert alloc.rates["b"] == pytest.approx(4.5)
    assert alloc.rates["c"] == pytest.approx(4.5)
    assert ("M", 0) in alloc.saturated
    assert ("L", 0) not in alloc.saturated
    assert alloc.load[("L", 0)] == pytest.approx(6.5)

"""Hypothesis strategies for random topologies: multi-hub hub-and-spoke designs.

:func:`hub_and_spoke` draws designs of the ADR-003 family and builds them through the
topology loader (a failing example shows their YAML): k spokes (clouds, no transit) homed
on one to three hubs (exchanges) that are joined in a chain, a spoke's second homing
sometimes less preferred (90, like a backup attachment to another metro), a full, partial
or no VPN mesh between spokes, optionally over per-spoke internet underlay links. Timers
are mixed on purpose: BFD from 50 ms x 3 to 1 s x 5 or none (hold timer only), random BGP
keepalive / hold / re-establishment, DPD, constant or uniform convergence. The shared-risk
groups are one per hub and, with several hubs, one spanning hubs (the inter-hub links and
each hub's first spoke link), so that a group failure often lasts less than some members'
detection and more than others' (issue 10 item 8). The second-round keys are drawn too:
hub ASNs shared or not, the hubs' ``mrai``, spokes' ``max_paths`` and links' ``prepend``.

Example::

    from hypothesis import given
    from netsim.testing import strategies, topologies

    @given(strategies.scenarios(topologies.hub_and_spoke(hubs=(2, 3))))
    def test_my_invariant(scenario): ...
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import yaml
from hypothesis import note
from hypothesis import strategies as st

from netsim.model.load_topology import read_topology
from netsim.model.source import parse_yaml

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netsim.model.topology import Topology

BFD_CHOICES = ((50, 3), (100, 3), (300, 3), (300, 5), (1000, 3), (1000, 5))  # ms, multiplier


def _ms(value: int) -> str:
    return f"{value}ms"


@st.composite
def _timers(draw: st.DrawFn, vpn: bool) -> dict[str, object]:
    keepalive = draw(st.integers(1, 10))
    out: dict[str, object] = {
        "bgp": {
            "keepalive": f"{keepalive}s",
            "hold": f"{keepalive * draw(st.integers(3, 4))}s",
            "reestablish": _ms(draw(st.integers(1, 80)) * 100),
        },
        "convergence": draw(
            st.one_of(
                st.integers(1, 30).map(lambda n: _ms(n * 100)),
                st.tuples(st.integers(1, 10), st.integers(1, 20)).map(
                    lambda x: {"dist": "uniform", "loc": _ms(x[0] * 100), "scale": _ms(x[1] * 100)}
                ),
            )
        ),
    }
    if vpn:
        out["dpd"] = {"delay": "2s", "timeout": f"{draw(st.integers(3, 30))}s"}
    elif draw(st.booleans()):
        interval, multiplier = draw(st.sampled_from(BFD_CHOICES))
        out["bfd"] = {"interval": _ms(interval), "multiplier": multiplier}
    return out


def _interconnect(name: str, ends: list[str], delay: str, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "kind": "interconnect",
        "endpoints": ends,
        "capacity": "10Gbps",
        "delay": delay,
        **extra,
    }


@st.composite
def _nodes(
    draw: st.DrawFn, hub_names: list[str], spokes: list[str], routing_keys: bool
) -> dict[str, object]:
    shared_asn = draw(st.booleans())  # hubs of one provider share an AS (two MCRs)
    nodes: dict[str, object] = {}
    for j, h in enumerate(hub_names):
        hub: dict[str, object] = {"role": "exchange", "asn": 65000 if shared_asn else 65000 + j}
        if routing_keys:
            hub["mrai"] = draw(st.sampled_from(("0s", "0s", "500ms", "2s")))
        nodes[h] = hub
    for i, s in enumerate(spokes):
        spoke: dict[str, object] = {"role": "cloud", "asn": 64600 + i}
        if routing_keys:
            spoke["max_paths"] = draw(st.sampled_from((1, 1, 2)))
        nodes[s] = spoke
    return nodes


@st.composite
def _homings(
    draw: st.DrawFn, hub_names: list[str], spokes: list[str], routing_keys: bool
) -> tuple[list[dict[str, object]], dict[str, list[str]]]:
    """Each spoke's links to one or more hubs (the first preferred, the others at 90),
    and each hub's spoke links."""
    links: list[dict[str, object]] = []
    members: dict[str, list[str]] = {h: [] for h in hub_names}
    for s in spokes:
        homes = draw(
            st.lists(st.sampled_from(hub_names), min_size=1, max_size=len(hub_names), unique=True)
        )
        for rank, h in enumerate(homes):
            name = f"{s}-{h}"
            members[h].append(name)
            extra: dict[str, object] = {"preference": 100 if rank == 0 else 90}
            if routing_keys and draw(st.integers(0, 4)) == 0:
                extra["prepend"] = 1
            delay = _ms(draw(st.integers(1, 10)))
            links.append(_interconnect(name, [s, h], delay, **extra, **draw(_timers(False))))
    return links, members


@st.composite
def _vpn_mesh(
    draw: st.DrawFn, spokes: list[str], mesh: Sequence[str], with_underlay: bool
) -> list[dict[str, object]]:
    style = draw(st.sampled_from(tuple(mesh)))
    links: list[dict[str, object]] = []
    for i, a in enumerate(spokes):
        for b in spokes[i + 1 :]:
            if style == "none" or (style == "partial" and not draw(st.booleans())):
                continue
            vpn: dict[str, object] = {
                "name": f"vpn-{a}-{b}",
                "kind": "vpn",
                "endpoints": [a, b],
                "capacity": "1Gbps",
                "delay": _ms(draw(st.integers(2, 30))),
                "preference": 50,
                **draw(_timers(True)),
            }
            if with_underlay:
                vpn["underlay"] = [f"{a}-inet", f"{b}-inet"]
            links.append(vpn)
    return links


@st.composite
def hub_and_spoke_yaml(
    draw: st.DrawFn,
    *,
    min_spokes: int = 2,
    max_spokes: int = 5,
    hubs: Sequence[int] = (1, 2, 3),
    mesh: Sequence[str] = ("full", "partial", "none"),
    underlay: bool | None = None,
    routing_keys: bool = True,
) -> str:
    """The YAML text of a random multi-hub topology (see the module docstring)."""
    k = draw(st.integers(min_spokes, max_spokes))
    n_hubs = draw(st.sampled_from(tuple(hubs)))
    with_underlay = draw(st.booleans()) if underlay is None else underlay
    hub_names = [f"hub{j + 1}" for j in range(n_hubs)]
    spokes = [f"spoke{i + 1}" for i in range(k)]
    nodes = draw(_nodes(hub_names, spokes, routing_keys))
    links, members = draw(_homings(hub_names, spokes, routing_keys))
    inter = [f"{a}-{b}" for a, b in itertools.pairwise(hub_names)]
    for a, b in itertools.pairwise(hub_names):
        links.append(
            _interconnect(f"{a}-{b}", [a, b], "1ms", preference=100, **draw(_timers(False)))
        )
    if with_underlay:
        nodes["internet"] = {"role": "internet"}
        links += [
            {
                "name": f"{s}-inet",
                "kind": "internet",
                "endpoints": [s, "internet"],
                "capacity": "10Gbps",
                "delay": "1ms",
            }
            for s in spokes
        ]
    links += draw(_vpn_mesh(spokes, mesh, with_underlay))
    groups: dict[str, object] = {
        f"{h}-srlg": {"members": members[h]} for h in hub_names if members[h]
    }
    if inter:  # one risk across the hubs: their links to each other and a spoke link of each
        span = inter + [members[h][0] for h in hub_names if members[h]]
        groups["hubs-srlg"] = {"members": span}
    doc = {"name": f"hub-and-spoke-{k}x{n_hubs}", "nodes": nodes, "links": links, "groups": groups}
    return yaml.safe_dump(doc, sort_keys=False)


def hub_and_spoke(**kw: object) -> st.SearchStrategy[Topology]:
    """Random multi-hub :class:`Topology` objects, built through the topology loader.

    ``min_spokes``/``max_spokes`` (k), ``hubs`` (how many hubs may be drawn, 1 to 3),
    ``mesh`` (full, partial or no VPN mesh between spokes), ``underlay`` (VPNs ride
    per-spoke internet links; None: either), ``routing_keys`` (draw ``mrai``,
    ``max_paths`` and ``prepend``). The YAML is attached with ``hypothesis.note`` so a
    failure shows it.
    """

    def build(text: str) -> Topology:
        note(f"topology:\n{text}")
        return read_topology(parse_yaml(text, "<hub-and-spoke>"))

    return hub_and_spoke_yaml(**kw).map(build)  # type: ignore[arg-type]


__all__ = ["BFD_CHOICES", "hub_and_spoke", "hub_and_spoke_yaml"]

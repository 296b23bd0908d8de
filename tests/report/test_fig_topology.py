"""The topology drawing stays readable at the sizes a design review meets: no two labels
overlap, and every node's name is drawn where it can be read.

Oracle: the rendered boxes of the figure's text, ``Text.get_window_extent`` after
``fig.canvas.draw()``, in the pixels the PNG is made of. Two labels whose boxes intersect
print over each other, which is the defect a reviewer sees (names, capacities and the
legend run together); two whose boxes are apart cannot. The boxes are measured on the
drawn figure, by matplotlib, not taken from the placer that chose the spots, so the check
does not trust the code it checks. A name is found by its text, not by a ``gid``, and a
name drawn in white must lie inside its node's marker: white text off the marker is
invisible on the white page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pytest
from matplotlib.legend import Legend
from matplotlib.transforms import Bbox

from netsim.model.design_text import generate_design
from netsim.model.load_topology import load_topology, read_topology
from netsim.model.source import parse_yaml
from netsim.report.fig_topology import plot_topology
from netsim.report.label_place import overlapping

from .conftest import DATA, ROOT

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from netsim.model import Topology

GENERATED = [(n, hubs, vpn) for n in range(3, 9) for hubs, vpn in ((1, "ring"), (2, "mesh"))]
SHIPPED = ["megaport-hub", "dual-mcr", "full-mesh", "internet-only", "vpn-only"]


def generated(n: int, hubs: int, vpn: str) -> Topology:
    text = generate_design(n, hubs=hubs, vpn=vpn).topology
    return read_topology(parse_yaml(text, "generated.yaml"))


def drawn_texts(fig: Figure) -> list[Text]:
    """Every piece of text the figure prints: labels, title, legend entries, notes."""
    fig.canvas.draw()
    texts: list[Text] = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, *ax.texts]
    for legend in fig.findobj(Legend):
        texts += legend.get_texts()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def check_readable(fig: Figure, topology: Topology) -> None:
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [(t.get_text().split("\n")[0], t.get_window_extent(renderer)) for t in texts]
    assert overlapping(boxes) == []
    page = fig.bbox
    for _, box in boxes:  # nothing runs off the edge of the picture
        assert box.x0 >= page.x0
        assert box.x1 <= page.x1
        assert box.y0 >= page.y0
        assert box.y1 <= page.y1
    (ax,) = fig.axes
    markers = {
        c.get_gid()[5:]: c for c in ax.collections if (c.get_gid() or "").startswith("node:")
    }
    for node in topology.nodes:
        named = [
            (t, box)
            for t, (_, box) in zip(texts, boxes, strict=True)
            if node.name in t.get_text().split("\n")
        ]
        assert named, f"{node.name}: no label"
        (text, box), *_ = named
        if text.get_color() == "white":
            marker = markers[node.name]
            centre = ax.transData.transform(marker.get_offsets()[0])
            r = np.sqrt(marker.get_sizes()[0]) / 2 * fig.dpi / 72
            assert box.fully_overlaps(Bbox.from_extents(*(centre - r), *(centre + r)))


@pytest.mark.parametrize(
    ("n", "hubs", "vpn"), GENERATED, ids=[f"{n}-{h}-{v}" for n, h, v in GENERATED]
)
def test_generated_designs_have_no_overlapping_labels(n: int, hubs: int, vpn: str) -> None:
    topology = generated(n, hubs, vpn)
    check_readable(plot_topology(topology), topology)


@pytest.mark.parametrize("name", [*SHIPPED, "four-site"])
def test_shipped_designs_have_no_overlapping_labels(name: str) -> None:
    path = (
        DATA / name / "topology.yaml"
        if name == "four-site"
        else ROOT / "topologies" / f"{name}.yaml"
    )
    topology = load_topology(path)
    check_readable(plot_topology(topology), topology)


def test_what_is_left_off_is_said() -> None:
    """A mesh too dense to label says so on the figure, and the small hub loses nothing."""
    dense = plot_topology(generated(20, 2, "mesh"))
    (note,) = dense.texts
    assert "VPN tunnels" in note.get_text()
    assert "links table" in note.get_text()
    hub = load_topology(ROOT / "topologies" / "megaport-hub.yaml")
    fig = plot_topology(hub)
    assert not fig.texts
    labels = {t.get_text().split("\n")[0] for t in fig.axes[0].texts}
    assert {link.name for link in hub.links if link.name not in hub.underlay_links} <= labels


@pytest.mark.parametrize(("n", "hubs", "vpn"), [(5, 2, "mesh"), (5, 2, "ring"), (7, 2, "mesh")])
def test_a_few_labels_left_off_are_named(n: int, hubs: int, vpn: str) -> None:
    """When a few links of a kind lose their label, the note names them as far as its one
    line fits, so a reader knows which line is unlabelled; the oracle is the figure itself:
    the named links have no label drawn (``linklabel:<name>`` gids), and a kind that is
    named is named whole (as many names as its count)."""
    topology = generated(n, hubs, vpn)
    fig = plot_topology(topology)
    (note,) = fig.texts
    drawn = {
        t.get_gid().removeprefix("linklabel:")
        for t in fig.axes[0].texts
        if (t.get_gid() or "").startswith("linklabel:")
    }
    unlabelled = {
        link.name for link in topology.links if link.name not in topology.underlay_links
    } - drawn
    named: set[str] = set()
    for count, names in re.findall(r"(\d+) of \d+ [a-zA-Z ]+ \(([^)]*)\)", note.get_text()):
        assert len(names.split(", ")) == int(count)
        named |= set(names.split(", "))
    assert named, note.get_text()
    assert named <= unlabelled

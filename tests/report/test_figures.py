"""Every figure function returns a Figure with the computed data drawn on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.analysis.graph import downtime_minutes_per_year
from netsim.analysis.results import Summary
from netsim.report.costing import cost_model
from netsim.report.fig_availability import availability_data, plot_availability
from netsim.report.fig_cost import plot_cost
from netsim.report.fig_failover import gap_records, plot_failover_gaps
from netsim.report.fig_latency import latency_split, plot_latency_cdfs, slo_targets
from netsim.report.fig_links import link_use, plot_utilisation
from netsim.report.fig_timeline import failure_timeline, plot_timeline
from netsim.report.fig_topology import plot_topology

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from netsim.model import Topology
    from netsim.report.data import Run


def artists(fig: Figure, prefix: str) -> list:
    return [
        a for ax in fig.axes for a in ax.get_children() if (a.get_gid() or "").startswith(prefix)
    ]


def test_topology_draws_every_link_and_halos_the_mcr(hub: Topology) -> None:
    fig = plot_topology(hub)
    links = {a.get_gid().split(":", 1)[1] for a in artists(fig, "link:")}
    nodes = {a.get_gid().split(":", 1)[1] for a in artists(fig, "node:")}
    spofs = {a.get_gid().split(":", 1)[1] for a in artists(fig, "spof:")}
    assert links == {link.name for link in hub.links}
    assert nodes == set(hub.node_names)
    assert spofs == {"mcr", "aws-mcr", "gcp-mcr", "azure-mcr"}


def test_latency_cdf_lines_are_the_measured_quantiles(failover_run: Run) -> None:
    assert failover_run.trace is not None
    fig = plot_latency_cdfs(failover_run.trace, slo_targets(failover_run.summary))
    split = {s.name: s for s in latency_split(failover_run.trace)}
    (normal,) = artists(fig, "cdf:api:normal")
    (during,) = artists(fig, "cdf:api:during failover")
    for line, values in ((normal, split["api"].normal), (during, split["api"].failover)):
        x, y = line.get_data()
        assert y[-1] == pytest.approx(1.0)
        at95 = np.interp(0.95, y, x)
        assert at95 == pytest.approx(np.quantile(values, 0.95), rel=0.02)
    # The failover moved the API onto the VPN: its tail is slower than normal.
    assert np.quantile(split["api"].failover, 0.95) > np.quantile(split["api"].normal, 0.95)
    (slo,) = artists(fig, "slo:api")
    assert slo.get_xdata()[0] == 50.0


def test_timeline_shows_loss_then_the_vpn_path(failover_run: Run) -> None:
    assert failover_run.trace is not None
    rec = failover_run.trace.failovers[0]
    tl = failure_timeline(failover_run.trace, rec)
    before = tl.t < -1  # the last second before it loses answers still in flight
    assert np.nanmax(tl.loss_ratio[before]) == 0.0
    first = (tl.t >= 0) & (tl.t < 2)
    assert np.nanmax(tl.loss_ratio[first]) > 0.3  # blackholed until the switch
    assert tl.path_labels == ["aws-mcr › gcp-mcr", "vpn-aws-gcp"]
    assert tl.path[tl.t < -1].tolist() == [0] * int((tl.t < -1).sum())
    assert set(tl.path[(tl.t > 5) & (tl.t < 35)].tolist()) == {1}
    labels = dict((label, x) for x, label in tl.marks)
    assert labels["detected: aws-mcr (bfd)"] == pytest.approx(0.9)
    assert labels["switched"] == pytest.approx(1.9)
    fig = plot_timeline(tl, 50.0)
    (loss,) = artists(fig, "timeline:loss")[:1]
    assert loss.get_paths()[0].vertices[:, 1].max() > 0.3
    (vpn,) = artists(fig, "timeline:link:vpn-aws-gcp")[:1]
    assert np.nanmax(vpn.get_ydata()) > 1000  # Mbit/s: replication on the VPN


def test_failover_gap_figure_joins_lab_to_sim(failover_run: Run) -> None:
    doc = failover_run.summary.to_json()
    lab = Summary.from_json(
        {
            **doc,
            "engine": "lab",
            "failovers": [
                {**f, "gap_s": f["gap_s"] + 1.0, "detection": "bfd"} for f in doc["failovers"]
            ],
        }
    )
    records = gap_records([failover_run.summary, lab])
    assert [(r.engine, r.category) for r in records] == [
        ("sim", "blackhole / bfd"),
        ("lab", "blackhole / bfd"),
    ]
    fig = plot_failover_gaps(records, 3.0)
    (sim,) = artists(fig, "gaps:sim")
    (labp,) = artists(fig, "gaps:lab")
    assert sim.get_offsets()[0][1] == pytest.approx(records[0].gap_s)
    assert labp.get_offsets()[0][1] == pytest.approx(records[0].gap_s + 1.0)
    assert len(fig.axes[0].get_lines()) >= 2  # the join and the SLO line


def test_utilisation_shows_the_saturated_vpn(failover_run: Run) -> None:
    assert failover_run.trace is not None
    assert failover_run.topology is not None
    uses = {u.name: u for u in link_use(failover_run.trace, failover_run.topology)}
    assert uses["vpn-aws-gcp"].peak == pytest.approx(1.0, abs=0.02)
    assert uses["aws-mcr"].peak == pytest.approx(0.5, abs=0.02)  # 5 of 10 Gbit/s
    fig = plot_utilisation(failover_run.trace, failover_run.topology)
    (peak,) = artists(fig, "util:peak")[:1]
    heights = [bar.get_height() for bar in artists(fig, "util:peak")]
    assert max(heights) == pytest.approx(100 * uses["vpn-aws-gcp"].peak)
    del peak


def test_availability_markers_are_the_computed_downtime(hub: Topology) -> None:
    data = availability_data(hub, years=50, seed=3)
    fig = plot_availability(data)
    (primary,) = artists(fig, "avail:primary")
    expected = [downtime_minutes_per_year(p.primary) for p in data.pairs]
    assert list(primary.get_offsets()[:, 1]) == pytest.approx(expected)
    # Three elements in series: 0.9999^3, the figure's "claimed series" markers.
    assert data.pairs[0].claimed_series == pytest.approx(0.9999**3)
    assert artists(fig, "avail:mc-mean")


def test_cost_bars_are_the_cost_model(baseline_run: Run, hub: Topology) -> None:
    model = cost_model(hub, baseline_run.trace, baseline_run.summary)
    fig = plot_cost(model)
    fixed = sum(b.get_height() for b in artists(fig, "cost:fixed:"))
    assert fixed * 1e3 == pytest.approx(sum(x.cost.monthly for x in (*hub.links, *hub.nodes)))
    (egress,) = artists(fig, "cost:egress:0.08")
    assert egress.get_height() * 1e3 == pytest.approx(model.load_gb_month * 0.08)
    (design,) = artists(fig, "cost:design")
    assert design.get_ydata()[0] * 1e3 == pytest.approx(
        model.fixed_total + model.effective_per_gb * design.get_xdata()[0] * 1e3
    )

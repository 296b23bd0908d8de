"""Every figure function of the report, for notebooks::

from netsim.report.plots import plot_latency_cdfs, plot_failure_timeline
from netsim.trace.files import load_trace
trace = load_trace("results/interconnect-blackhole")
plot_latency_cdfs(trace)
"""

from __future__ import annotations

from netsim.report.alternatives import plot_alternatives
from netsim.report.fig_availability import availability_data, plot_availability
from netsim.report.fig_cost import plot_cost
from netsim.report.fig_failover import gap_records, plot_failover_gaps
from netsim.report.fig_latency import latency_split, plot_latency_cdfs, slo_targets
from netsim.report.fig_links import link_use, plot_utilisation
from netsim.report.fig_timeline import failure_timeline, plot_failure_timeline, plot_timeline
from netsim.report.fig_topology import plot_topology

__all__ = [
    "availability_data",
    "failure_timeline",
    "gap_records",
    "latency_split",
    "link_use",
    "plot_alternatives",
    "plot_availability",
    "plot_cost",
    "plot_failover_gaps",
    "plot_failure_timeline",
    "plot_latency_cdfs",
    "plot_timeline",
    "plot_topology",
    "plot_utilisation",
    "slo_targets",
]

"""Analysis: pure functions of a Trace (and its scenario), the same for simulated and lab runs.

:func:`~netsim.analysis.summary.summarize` builds the typed
:class:`~netsim.analysis.results.Summary` (``summary.json``); :mod:`~netsim.analysis.failover`
measures failover gaps from the data plane; :mod:`~netsim.analysis.intervals` (with
:mod:`~netsim.analysis.batching`, :mod:`~netsim.analysis.evidence` and
:mod:`~netsim.analysis.strata`) builds confidence intervals for correlated output, which
:mod:`~netsim.analysis.slos` turns into three-way SLO verdicts and
:mod:`~netsim.analysis.pooled` into between-run intervals of replications;
:mod:`~netsim.analysis.stats` holds the estimators for independent samples;
:mod:`~netsim.analysis.availability` and :mod:`~netsim.analysis.graph` judge availability
and single points of failure from the topology.
"""

from __future__ import annotations

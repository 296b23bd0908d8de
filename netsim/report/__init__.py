"""Design-review reports: one function per figure, findings, and the HTML page.

Figures are pure functions of a Trace, a summary or a topology that return a
:class:`matplotlib.figure.Figure` (Agg canvas, no pyplot state); import them from
:mod:`netsim.report.plots` in a notebook. :mod:`netsim.report.build` assembles a report from
finished runs (``netsim report``); :mod:`netsim.report.review` runs the standard scenarios
and the alternatives first (``netsim review``). This package file imports nothing, so the
command line does not load matplotlib until a report is asked for.
"""

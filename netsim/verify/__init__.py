"""Verification: what the model promises, checked against what an engine did.

:mod:`~netsim.verify.bounds` turns architecture section 4 into timing bounds;
:mod:`~netsim.verify.oracle` is an independent reference of the routing;
:mod:`~netsim.verify.replay` reads a Trace back as functions of time;
:mod:`~netsim.verify.invariants` and :mod:`~netsim.verify.metamorphic` hold the properties
as named functions; :mod:`~netsim.verify.search` and :mod:`~netsim.verify.check` enumerate
failure combinations for ``netsim check``. The hypothesis side (strategies, the state
machine, profiles) is :mod:`netsim.testing`, for users' own test suites.
"""

from __future__ import annotations

#: Up to this many failure combinations ``netsim check`` searches exhaustively, beyond it
#: hypothesis-guided (a constant here so the command line can name it without importing
#: the search).
EXHAUSTIVE_LIMIT = 20000

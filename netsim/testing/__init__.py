"""Property-based testing of failover: strategies, invariants, a state machine, profiles.

``from netsim.testing import strategies`` gives hypothesis strategies for failure
schedules, traffic mixes and random hub-and-spoke topologies; :mod:`~netsim.verify.invariants`
and :mod:`~netsim.verify.metamorphic` hold the properties as named functions that raise
AssertionError; :mod:`~netsim.verify.oracle` judges route tables and reachability maps
(the hook a live-lab test reuses); :mod:`~netsim.verify.bounds` is the one place where the
detection and convergence bounds are computed; :mod:`~netsim.testing.machine` drives the
control plane with fail / restore / advance rules; :mod:`~netsim.testing.profiles`
registers the ``ci`` and ``nightly`` hypothesis profiles; :mod:`~netsim.verify.replay`
reads a Trace back as step functions; :mod:`~netsim.verify.search` enumerates (or searches)
combinations of failures for ``netsim check``. See docs/property-testing.md.
"""

from __future__ import annotations

from netsim.testing import strategies
from netsim.verify import bounds, invariants, metamorphic, oracle

__all__ = ["bounds", "invariants", "metamorphic", "oracle", "strategies"]

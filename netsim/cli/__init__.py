"""The ``netsim`` command line: one module per verb, argparse and rich only here.

:func:`main` builds the parser from the explicit verb registry in :mod:`netsim.cli.main`
and maps outcomes to the exit-status contract (architecture section 5).
"""

from __future__ import annotations

from netsim.cli.main import main

__all__ = ["main"]

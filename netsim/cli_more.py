"""The verbs beyond ``validate`` and ``run``, each registered explicitly (STYLE habit 6).

Every entry is a function that adds its sub-command(s) to the argparse sub-parsers; the
modules they live in import their heavy dependencies only when a verb runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from netsim.analysis.availability import register as _availability
from netsim.cli.check import register as _check
from netsim.cli.lab import add_lab_commands as _lab
from netsim.cli.report import register as _report
from netsim.sweep import register as _sweep

Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]

EXTENSIONS: tuple[Register, ...] = (_report, _availability, _check, _sweep, _lab)

"""The verbs beyond ``validate`` and ``run``, each registered explicitly (STYLE habit 6).

Every entry is a function that adds its sub-command to the argparse sub-parsers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]

from netsim.analysis.availability import register as _availability  # noqa: E402
from netsim.sweep import register as _sweep  # noqa: E402
from netsim.report.cli import register as _report  # noqa: E402
from netsim.check import register as _check  # noqa: E402

EXTENSIONS: tuple[Register, ...] = (_availability, _sweep, _report, _check)

"""The verbs beyond ``validate`` and ``run``, each registered explicitly (STYLE habit 6).

Every entry is a function that adds its sub-command to the argparse sub-parsers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]

EXTENSIONS: tuple[Register, ...] = ()

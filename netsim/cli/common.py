"""What every verb shares: the same flags with the same defaults, and output that fits.

Every verb takes ``--json`` (the result as one JSON document on stdout, nothing else) and
``--quiet`` (no progress bars or tables); every simulating verb takes ``--engine`` with the
fast engine as default, and every verb with a Monte Carlo takes ``--years`` with the same
default. Tables are drawn as wide as the terminal when there is one, and as wide as their
content when the output is piped or redirected, so no number is ever cut to fit 80 columns.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

#: The data planes of ``netsim.sim.engine.DATA_PLANES``, named here so that ``--help`` needs
#: no simulator import (tests/cli/test_cli.py holds the two equal). The first is the default.
ENGINES = ("fast", "exact")
#: Simulated years of every availability Monte Carlo unless ``--years`` says otherwise.
YEARS = 2000
#: Width of tables when stdout is not a terminal: as wide as their content.
PIPE_WIDTH = 10_000


def add_output(p: argparse.ArgumentParser, what: str) -> None:
    """``--json`` and ``--quiet``."""
    p.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON document on stdout, and nothing else",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bars or tables (errors still print)"
    )


def add_vars(p: argparse.ArgumentParser) -> None:
    """``--vars FILE`` (repeatable): a templated containerlab file's variables, as ``clab
    deploy --vars`` gives them."""
    p.add_argument(
        "--vars",
        action="append",
        type=Path,
        metavar="FILE",
        help="variables of a templated containerlab file (YAML or JSON; repeat to merge "
        "several, later over earlier), as clab deploy --vars; default: the file's "
        "<name>_vars.yaml beside it",
    )


def add_engine(p: argparse.ArgumentParser, *, auto: bool = False) -> None:
    """``--engine``: every verb that simulates takes it, with the same default (``auto``:
    the choice of probing the fast engine first, for verbs running many scenarios)."""
    probe = ", or auto (fast when a 5 s probe runs, else exact)" if auto else ""
    p.add_argument(
        "--engine",
        choices=(*ENGINES, "auto") if auto else ENGINES,
        default=ENGINES[0],
        help="data plane: fast (vectorised, the default) or exact (every packet a simpy "
        f"event, the reference){probe}",
    )


def add_years(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--years",
        type=int,
        default=YEARS,
        metavar="N",
        help=f"simulated years of the availability Monte Carlo (default {YEARS})",
    )


def add_workers(p: argparse.ArgumentParser, what: str) -> None:
    """``--workers N | --scheduler ADDRESS``, as ``netsim sweep`` has them."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"local processes for {what} (default: one per CPU; 1: in this process)",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help=f"run {what} on a Dask cluster, tcp://HOST:PORT"
    )


def check_workers(workers: int | None) -> None:
    """``--workers`` must name at least one process (exit 2 otherwise)."""
    from netsim.errors import UsageError

    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")


def seed_number(text: str) -> int:
    """The argparse type of ``--seed``: an integer of at least 0, as a scenario's ``seed:``
    (numpy's seed sequences refuse negative ones, which failed mid-run with a traceback).

    >>> seed_number("7")
    7
    """
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text!r}")
    return value


def check_out(out: Path, flag: str = "--out") -> None:
    """``out`` can become an output directory, or exit 2 naming ``flag`` before any work.

    Checked before a run simulates, so a path that is a file, lies under a file or in a
    directory this process cannot write is a one-line usage error, not a traceback after
    the simulation (and nothing is created to find that out).
    """
    from netsim.errors import UsageError

    nearest = out
    while not nearest.exists() and nearest.parent != nearest:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise UsageError(f"{flag} {out}: {nearest} is not a directory")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {out}: {nearest} is not writable")


def console(stderr: bool = False) -> Console:
    """A rich console as wide as the terminal, or as its content when piped."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        width=None if terminal else PIPE_WIDTH,
        soft_wrap=not terminal,
        highlight=False,
    )


def print_json(doc: Any) -> None:
    """One JSON document on stdout (non-finite numbers as null)."""
    from netsim.trace.files import dumps

    sys.stdout.write(dumps(json.loads(json.dumps(doc, default=str))).decode())


__all__ = [
    "ENGINES",
    "YEARS",
    "add_engine",
    "add_output",
    "add_workers",
    "add_years",
    "check_out",
    "check_workers",
    "console",
    "print_json",
    "seed_number",
]

"""The ``netsim`` command line (architecture section 5): the parser and the verb registry.

Every verb lives in its own module of this package (``netsim/cli/<verb>.py``) with a
``register(sub)`` that adds its sub-command, and a handler that imports the library it
drives only when it runs, so ``netsim --version`` and ``netsim --help`` load no simulator,
no plotting and no lab. :func:`main` maps outcomes to the exit-status contract: 0 everything
holds, 1 an SLO or property is violated, 2 bad input or usage, 3 an environment problem.
Input errors print one line per problem, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from netsim import __version__
from netsim.cli import availability, check, generate, lab, report, review, run, sweep, validate
from netsim.errors import EXIT_INPUT, EXIT_OK, EXIT_VIOLATED, InputError, NetsimError

Handler = Callable[[argparse.Namespace], int]
Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]

#: The verbs, in the order ``netsim --help`` lists them (an explicit list, no discovery).
VERBS: tuple[Register, ...] = (
    validate.register,
    run.register,
    review.register,
    report.register,
    availability.register,
    check.register,
    sweep.register,
    generate.register,
    lab.register,
)


class Parser(argparse.ArgumentParser):
    """Usage errors exit with status 2 and one line, like every other input error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"netsim: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="netsim",
        description="Simulate and emulate multi-cloud "
        "interconnect designs: failure scenarios, SLO verdicts, design reviews, "
        "and a lab of real FRR and strongSwan.",
    )
    parser.add_argument("--version", action="version", version=f"netsim {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=Parser, metavar="VERB")
    for register in VERBS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputError as exc:
        count = len(exc.errors)
        print(f"netsim: {count} problem{'s' if count != 1 else ''} in the input:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return exc.exit_status
    except NetsimError as exc:
        print(f"netsim: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("netsim: interrupted", file=sys.stderr)
        return 130


__all__ = ["EXIT_OK", "EXIT_VIOLATED", "VERBS", "build_parser", "main"]

"""The ``netsim`` command line (architecture section 5): thin wrappers over the library.

Each verb parses its arguments, calls one library function and maps the outcome to the
exit status contract: 0 everything holds, 1 an SLO or property is violated, 2 bad input or
usage, 3 an environment problem. Input errors print one line per problem, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from netsim.errors import EXIT_INPUT, EXIT_OK, EXIT_VIOLATED, InputError, NetsimError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"netsim: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def cmd_validate(args: argparse.Namespace) -> int:
    from netsim.cli.validate import validate_files

    return validate_files([Path(p) for p in args.files])


def cmd_run(args: argparse.Namespace) -> int:
    from netsim.pipeline import run_command

    return run_command(Path(args.scenario), seed=args.seed, out=args.out, overrides=args.set,
                       quiet=args.quiet, engine=args.engine)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="netsim", description="Simulate and emulate multi-cloud interconnects.")
    from netsim import __version__

    parser.add_argument("--version", action="version", version=f"netsim {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check topology and scenario files; list every error")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("run", help="simulate a scenario and judge its SLOs")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--out", type=Path, help="output directory (default results/<scenario>/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key by dotted path, e.g. traffic.api.rate=2/s")
    p.add_argument("--engine", choices=("exact", "fast"), default="exact",
                   help="data-plane engine (default: exact per-packet)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    p.set_defaults(handler=cmd_run)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    """Verbs defined next to the code they drive (an explicit list, no discovery)."""
    from netsim.cli_more import EXTENSIONS

    return list(EXTENSIONS)


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


__all__ = ["EXIT_OK", "EXIT_VIOLATED", "main"]

"""``netsim validate FILE...``: check topologies, scenarios and containerlab files, listing
every problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.cli.common import add_output, add_vars, print_json
from netsim.errors import EXIT_OK, InputError

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        help="check topology, scenario and containerlab files; list every error",
        description="Check topology, scenario and containerlab files without running "
        "anything (a containerlab file as netsim lab deploy reads it, without deploying). "
        "Every problem of every file is listed with file, line and key; exit 0 when all are "
        "valid, 2 otherwise.",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="topology, scenario or containerlab YAML files (a scenario's topology: names "
        "a file, a containerlab file's holds nodes and links)",
    )
    add_vars(p)
    add_output(p, "each file's kind and every problem")
    p.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from netsim.model.validate import validate_files

    given = tuple(args.vars or ())
    valid, errors = validate_files(
        [Path(p) for p in args.files], lambda path: read_containerlab(path, given)
    )
    if args.json:
        print_json(
            {
                "valid": [{"path": str(path), "kind": kind} for path, kind in valid],
                "errors": [
                    {"path": e.path, "line": e.line, "key": e.key, "message": e.message}
                    for e in errors
                ],
            }
        )
        return EXIT_OK if not errors else InputError(errors).exit_status
    if not args.quiet:
        for path, kind in valid:
            print(f"{path}: valid {kind}")
    if errors:
        raise InputError(errors)
    return EXIT_OK


def read_containerlab(path: Path, vars_files: tuple[Path, ...] = ()) -> object:
    """The lab's reader of containerlab files, imported only when one is given: it brings
    numpy and jsonschema, which validating netsim's own files does without."""
    from netsim.lab.clab.read import load_clab

    return load_clab(path, vars_files=vars_files)

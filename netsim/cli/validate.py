"""``netsim validate FILE...``: check topologies and scenarios, listing every problem.

A file is a scenario if it has a ``topology:`` or ``traffic:`` key, otherwise a topology.
Problems of all files are collected and reported together; exit 0 when all are valid, 2
otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.errors import EXIT_OK, InputError, ModelError
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.source import load_yaml

if TYPE_CHECKING:
    from pathlib import Path


def validate_file(path: Path) -> str:
    """Validate one file; return what it is ("topology" or "scenario")."""
    doc = load_yaml(path)
    if isinstance(doc.data, dict) and ("topology" in doc.data or "traffic" in doc.data):
        load_scenario(path)
        return "scenario"
    read_topology(doc)
    return "topology"


def validate_files(paths: list[Path]) -> int:
    errors: list[ModelError] = []
    for path in paths:
        try:
            kind = validate_file(path)
            print(f"{path}: valid {kind}")
        except InputError as exc:
            errors.extend(exc.errors)
    if errors:
        raise InputError(errors)
    return EXIT_OK

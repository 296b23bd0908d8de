"""Validating input files without running anything: what ``netsim validate`` does.

A file is a scenario if it has a ``topology:`` or ``traffic:`` key, otherwise a topology.
Problems of all files are collected together, so a user sees every one at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.errors import InputError, ModelError
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.source import load_yaml

if TYPE_CHECKING:
    from pathlib import Path


def validate_file(path: Path) -> str:
    """Validate one file; return what it is (``"topology"`` or ``"scenario"``)."""
    doc = load_yaml(path)
    if isinstance(doc.data, dict) and ("topology" in doc.data or "traffic" in doc.data):
        load_scenario(path)
        return "scenario"
    read_topology(doc)
    return "topology"


def validate_files(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[ModelError]]:
    """``(path, kind)`` of every valid file, and every problem of the others (each once)."""
    errors: list[ModelError] = []
    valid = []
    for path in paths:
        try:
            valid.append((path, validate_file(path)))
        except InputError as exc:
            # a topology's problems once, though every scenario on it loads it again
            errors.extend(e for e in exc.errors if e not in errors)
    return valid, errors


__all__ = ["validate_file", "validate_files"]

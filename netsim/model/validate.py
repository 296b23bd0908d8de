"""Validating input files without running anything: what ``netsim validate`` does.

A file is a containerlab file if its ``topology:`` is a mapping (containerlab's nodes and
links; a scenario's names a file) or it has Go template actions (``{{``: containerlab
renders its files as Go templates; netsim's own files have none), a scenario if it has a
``topology:`` or ``traffic:`` key, otherwise a topology. Problems of all files are
collected together, so a user sees every one at once. The model does not read containerlab
files: the caller hands in the lab's reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from netsim.errors import InputError, ModelError
from netsim.model.load_scenario import load_scenario
from netsim.model.load_topology import read_topology
from netsim.model.source import load_yaml

if TYPE_CHECKING:
    from pathlib import Path


class ClabReader(Protocol):
    """Reads and checks a containerlab file, raising InputError (``netsim.lab.clab``)."""

    def __call__(self, path: Path) -> object: ...


def validate_file(path: Path, containerlab: ClabReader | None = None) -> str:
    """Validate one file; return what it is (``"topology"``, ``"scenario"`` or
    ``"containerlab file"``, read by ``containerlab`` when given)."""
    doc = None if _is_template(path) else load_yaml(path)
    if doc is None or (isinstance(doc.data, dict) and isinstance(doc.data.get("topology"), dict)):
        if containerlab is None:
            raise InputError(
                [ModelError(str(path), 1, "topology", "a containerlab file: netsim lab reads it")]
            )
        containerlab(path)
        return "containerlab file"
    if isinstance(doc.data, dict) and ("topology" in doc.data or "traffic" in doc.data):
        load_scenario(path)
        return "scenario"
    read_topology(doc)
    return "topology"


def _is_template(path: Path) -> bool:
    try:
        return "{{" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # load_yaml names the problem


def validate_files(
    paths: list[Path], containerlab: ClabReader | None = None
) -> tuple[list[tuple[Path, str]], list[ModelError]]:
    """``(path, kind)`` of every valid file, and every problem of the others (each once)."""
    errors: list[ModelError] = []
    valid = []
    for path in paths:
        try:
            valid.append((path, validate_file(path, containerlab)))
        except InputError as exc:
            # a topology's problems once, though every scenario on it loads it again
            errors.extend(e for e in exc.errors if e not in errors)
    return valid, errors


__all__ = ["ClabReader", "validate_file", "validate_files"]

"""What a command loads before it does anything: the reason ``netsim --help`` is instant.

Oracle: ``sys.modules`` of a fresh interpreter after the same steps the command takes. No
wall-clock limit here (``benchmarks/bench_startup.py`` times the whole processes); the test
fails as soon as a heavy library leaks into start-up, which is what makes it slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "scipy",
    "simpy",
    "hypothesis",
    "pyarrow",
    "networkx",
    "matplotlib",
    "dask",
    "jinja2",
    "scapy",
    "rich",
)


def loaded_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


def test_parser_and_help_load_no_library() -> None:
    mods = loaded_after("from netsim.cli.main import build_parser\nbuild_parser().format_help()")
    assert not mods & {*HEAVY, "numpy", "yaml"}


@pytest.mark.parametrize(
    "files",
    [["topologies/megaport-hub.yaml"], ["scenarios/baseline.yaml", "scenarios/mcr-outage.yaml"]],
)
def test_validate_loads_no_scientific_library(files: list[str]) -> None:
    """The shipped files use only distribution families checked in closed form."""
    mods = loaded_after(
        f"from netsim.cli.main import main\nassert main(['validate', *{files!r}]) == 0"
    )
    assert not mods & {*HEAVY, "numpy"}

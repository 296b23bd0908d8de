"""Start-up of the command line, as whole processes: ``--version``, ``--help``, ``validate``.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeat N]``. Side by side with a bare
``python -c pass`` (the interpreter's own start-up) and ``import scipy.stats`` (what every
command paid before the model stopped importing it), so the ratios say how much of a
command's start is netsim's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import ROOT, VENV_BIN, print_table, time_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    netsim = str(VENV_BIN / "netsim")
    rows = [
        time_process("python -c pass", [sys.executable, "-c", "pass"], args.repeat),
        time_process(
            "python -c 'import scipy.stats'",
            [sys.executable, "-c", "import scipy.stats"],
            args.repeat,
        ),
        time_process("netsim --version", [netsim, "--version"], args.repeat),
        time_process("netsim --help", [netsim, "--help"], args.repeat),
        time_process(
            "netsim validate megaport-hub + 15 scenarios",
            [
                netsim,
                "validate",
                "topologies/megaport-hub.yaml",
                *sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml")),
            ],
            args.repeat,
        ),
    ]
    print_table("netsim start-up, whole processes", rows)


if __name__ == "__main__":
    main()

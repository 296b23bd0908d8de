"""The fast engine's time on the baseline day, before and after the TCP model (issue 11).

Run: ``.venv/bin/python benchmarks/bench_tcp_speed.py [--ref main] [--repeat 3]``. The
reference commit's source is exported (``git archive``) to a temporary directory and both
trees run ``python -m netsim run scenarios/baseline.yaml`` (fast engine, the default) as
whole processes, side by side in one run (:mod:`benchmarks.processes`), with the same
interpreter and libraries; the table prints the ratio of each median to the reference's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import print_table, time_process  # noqa: E402


def _export(ref: str, into: Path) -> None:
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "src", filter="data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tcp-") as tmp:
        _export(args.ref, Path(tmp))
        rows = []
        for label, tree in ((f"{args.ref} (before)", Path(tmp, "src")), ("this tree", ROOT)):
            out = Path(tmp, "out-" + tree.name)
            argv = [
                sys.executable,
                "-m",
                "netsim",
                "run",
                str(tree / args.scenario),
                "--out",
                str(out),
            ]
            env_tree = str(tree)
            os.environ["PYTHONPATH"] = env_tree  # the tree's netsim before the installed one
            rows.append(time_process(label, argv, repeat=args.repeat, cwd=tree))
        del os.environ["PYTHONPATH"]
        print_table(f"fast engine, {args.scenario}, whole process", rows)


if __name__ == "__main__":
    main()

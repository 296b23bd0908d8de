"""The shipped scenarios re-judged with intervals built for correlated output (issue 15).

Run: ``.venv/bin/python benchmarks/bench_verdicts.py [--engine fast] [--settle]
[SCENARIO ...]``.

For every scenario (default: all of ``scenarios/``) it runs the scenario as shipped
(duration, seed) and prints each SLO: the point estimate against the target (``"pass"``,
as netsim judged before), the 95 % interval, the verdict the interval gives, and for an
inconclusive one what would settle it. With ``--settle`` it then runs
``--until-conclusive`` (cap: 20 times the duration) and prints what that did.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netsim.analysis.verdicts import Verdict  # noqa: E402
from netsim.model import load_scenario  # noqa: E402
from netsim.pipeline import run_until_conclusive, simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--engine", default="fast")
    parser.add_argument("--settle", action="store_true")
    args = parser.parse_args()
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.yaml"))
    for path in paths:
        scenario = load_scenario(path)
        started = time.perf_counter()
        _, summary = simulate(scenario, engine=args.engine)
        wall = time.perf_counter() - started
        head = f"{scenario.name} ({scenario.duration:g} s, {wall:.0f} s wall)"
        print(f"\n{head}: {summary.judged.value}")
        for v in summary.slos:
            lo, hi = v.ci
            ci = "" if lo is None else f" [{lo:.6g}, {hi:.6g}]"
            point = "meets" if v.passed else "misses"
            verdict = v.verdict.value if v.verdict else "-"
            print(f"  {v.name}: {v.measured}{ci} vs {v.target} {v.unit}: {point}, {verdict}")
            if v.settle is not None:
                print(f"    {v.settle.text}")
        if args.settle and summary.judged is Verdict.INCONCLUSIVE:
            settled = run_until_conclusive(
                scenario, engine=args.engine, max_duration=20 * scenario.duration
            )
            note = settled.summary.until_conclusive
            assert note is not None
            for step in note.steps:
                print(f"    until conclusive: {step}")
            for v in settled.summary.slos:
                lo, hi = v.ci
                ci = "" if lo is None else f" [{lo:.6g}, {hi:.6g}]"
                print(f"    -> {v.name}: {v.measured}{ci}: {v.verdict.value if v.verdict else '-'}")


if __name__ == "__main__":
    main()

"""Small builders shared by tests: write real topology and scenario files, run them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsim.analysis.summary import summarize
from netsim.model import Scenario, load_scenario
from netsim.sim.engine import build_simulation

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.trace.core import Trace

# A two-cloud design: a preferred interconnect and a VPN fallback, nothing else.
PAIR_TOPOLOGY = """
name: pair
nodes:
  a: {{role: cloud}}
  b: {{role: cloud}}
links:
  - name: primary
    kind: interconnect
    endpoints: [a, b]
    capacity: 10Gbps
    delay: 5ms
    {primary_extra}
  - name: backup
    kind: vpn
    endpoints: [a, b]
    capacity: 1Gbps
    delay: 15ms
    dpd: {{delay: 10s, timeout: 30s}}
    bgp: {{keepalive: 10s, hold: 30s}}
"""


def pair_scenario(
    tmp_path: Path,
    failures: str,
    primary_extra: str = "",
    *,
    duration: str = "120s",
    rate: str = "200/s",
    seed: int = 1,
    extra_traffic: str = "",
) -> Scenario:
    """Probes a -> b at ``rate`` over the pair topology with the given failures block."""
    (tmp_path / "pair.yaml").write_text(PAIR_TOPOLOGY.format(primary_extra=primary_extra))
    (tmp_path / "s.yaml").write_text(f"""
name: s
topology: pair.yaml
duration: {duration}
seed: {seed}
traffic:
  - {{name: probes, kind: one-way, from: a, to: b, rate: {rate}, size: 200B}}
{extra_traffic}
failures:
{failures}
""")
    return load_scenario(tmp_path / "s.yaml")


def run(
    scenario: Scenario, seed: int | None = None, engine: str = "exact"
) -> tuple[Trace, dict[str, Any]]:
    trace = build_simulation(scenario, seed, engine=engine).run()
    return trace, summarize(trace, scenario).to_json()

"""``netsim lab run``: a scenario played on the real lab gives a summary like the simulator's."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

import netsim.cli_more
from netsim.cli import main
from netsim.errors import EXIT_OK, EXIT_VIOLATED
from netsim.lab.commands import add_lab_commands
from tests.lab.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.lab


@pytest.mark.usefixtures("lab_root")
def test_lab_run_of_the_blackhole_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setattr(netsim.cli_more, "EXTENSIONS", (add_lab_commands,))
    out = tmp_path / "run"
    scenario = ROOT / "scenarios" / "lab-interconnect-blackhole.yaml"
    assert main(["lab", "run", str(scenario), "--out", str(out)]) == EXIT_OK
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "lab"
    (failover,) = summary["failovers"]
    print(f"\nlab gap {failover['gap_s']} s, lost {failover['lost']}")
    assert 0.3 < failover["gap_s"] < 2.0  # BFD 300 ms x 3, then FRR reroutes at once
    for name in ("probes", "probes-back"):
        stats = summary["traffic"][name]
        assert stats["sent"] == 4000  # 100/s after the 5 s warmup
        assert 0 < stats["lost"] < 200  # the gap only: losses all fall in the blackhole
        assert set(stats["lost_by_reason"]) == {"blackhole"}
        assert 10.0 < stats["latency_ms"]["p50"] < 11.7  # 0.5 + 10.1 ms over the MCR
    assert summary["pass"]
    assert (out / "lab" / "megaport-hub.clab.yml").exists()


@pytest.mark.usefixtures("lab_root")
def test_lab_run_of_the_mcr_outage_waits_for_gcps_slow_bfd(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr(netsim.cli_more, "EXTENSIONS", (add_lab_commands,))
    out = tmp_path / "run"
    scenario = ROOT / "scenarios" / "lab-mcr-outage.yaml"
    assert main(["lab", "run", str(scenario), "--out", str(out), "--set", "duration=30s"]
                ) == EXIT_VIOLATED
    summary = json.loads((out / "summary.json").read_text())
    (failover,) = summary["failovers"]
    print(f"\nlab gap {failover['gap_s']} s, lost {failover['lost']}")
    assert failover["affected_flows"] == 3
    assert 4.0 < failover["gap_s"] < 6.5  # GCP's BFD 1 s x 5; AWS and Azure 300 ms x 3
    verdicts = {s["name"]: s["pass"] for s in summary["slos"]}
    assert verdicts == {"probes-p95": True, "failover": False}

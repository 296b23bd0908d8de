"""What a lab run will send, drawn before it starts (no root needed).

The oracle for the draws is the scenario itself: Poisson counts within their binomial
spread, the transfers the file lists, and the rate scale worked out from the topology.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.lab.live.play import playable
from netsim.lab.live.traffic import (
    LAB_BULK_BPS,
    MAX_REQUEST_RATE,
    bulk_transfers,
    rate_scale,
    request_streams,
)
from netsim.model.load_scenario import load_scenario
from netsim.trace.records import LabNote
from tests.lab.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

SCENARIOS = ROOT / "scenarios"


def test_request_streams_follow_the_class() -> None:
    scenario = load_scenario(SCENARIOS / "lab-requests.yaml")
    streams = request_streams(scenario, scenario.seed)
    assert [(s.cls.name, s.cls.src, s.dst) for s in streams] == [
        ("api", "aws", "gcp"),
        ("api-azure", "gcp", "azure"),
    ]
    for s in streams:
        expected = 40 * 40  # 40/s for 40 s; Poisson: sd 40
        assert abs(len(s.at) - expected) < 4 * math.sqrt(expected)
        assert np.all(np.diff(s.at) >= 0)
        assert s.at[0] >= 0
        assert s.at[-1] < 40
        assert np.all(s.request == 1000)
        assert np.median(s.response) == pytest.approx(8000, rel=0.1)  # lognorm scale 8KB
        assert np.median(s.server_s) == pytest.approx(0.005, rel=0.1)
        assert s.sidecar_s.shape == (len(s.at), 4)
        assert np.median(s.sidecar_s) == pytest.approx(0.00055, rel=0.1)
    again = request_streams(scenario, scenario.seed)
    assert np.array_equal(again[0].at, streams[0].at)  # the seed decides


def test_a_rate_the_client_cannot_keep_is_capped_and_noted() -> None:
    scenario = load_scenario(SCENARIOS / "lab-requests.yaml", ["traffic.api.rate=1000/s"])
    (api, _) = request_streams(scenario, 1)
    assert api.capped_from == 1000
    assert len(api.at) < MAX_REQUEST_RATE * 40 * 1.1
    _, note = playable(scenario)
    assert any("api: 1000/s per destination capped at 200/s" in n for n in note.notes)


def test_bulk_transfers_and_the_rate_scale() -> None:
    scenario = load_scenario(SCENARIOS / "lab-bulk.yaml")
    plans = bulk_transfers(scenario, scenario.seed)
    assert [(t.at, t.size, t.rate_bps, t.dst) for t in plans] == [
        (3.0, 6e9, 6e9, "azure"),
        (8.0, 6e9, 6e9, "azure"),
    ]
    # the fastest link is 10 Gbps: the lab runs at LAB_BULK_BPS / 10 Gbps of it
    assert rate_scale(scenario) == pytest.approx(LAB_BULK_BPS / 10e9)
    assert rate_scale(load_scenario(SCENARIOS / "lab-requests.yaml")) == 1.0


def test_a_volume_without_transfer_size_is_one_stream(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"""name: s
topology: {ROOT / "topologies" / "megaport-hub.yaml"}
duration: 30s
traffic:
  - {{name: sync, kind: bulk, from: aws, to: [gcp, azure], volume: 1TB/day, max_rate: 1Gbps}}
""")
    flows = bulk_transfers(load_scenario(path), 1)
    assert [(f.dst, f.at) for f in flows] == [("gcp", 0.0), ("azure", 0.0)]
    assert all(math.isinf(f.size) for f in flows)
    assert flows[0].rate_bps == pytest.approx(1e12 * 8 / 86400 / 2)  # the volume split evenly


def test_the_lab_note_says_how_the_run_differs_and_reads_back() -> None:
    _, note = playable(load_scenario(SCENARIOS / "lab-bulk.yaml"))
    assert note.rate_scale == pytest.approx(0.01)
    doc = note.to_json()
    assert doc["rate_scale"] == pytest.approx(0.01)
    assert "reported at model scale" in doc["notes"][0]  # type: ignore[index]
    assert LabNote.from_json(doc) == note
    plain = LabNote((), (), False)
    assert "rate_scale" not in plain.to_json()
    assert LabNote.from_json(plain.to_json()) == plain

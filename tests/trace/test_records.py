"""Typed Trace records (failovers, transfers, the lab's note) through ``trace.json``.

The records are written where run directories have always kept them (failovers under
``meta["failovers"]``), read back into the same frozen values, and the run directories of
the code before them (``tests/trace/fixtures``) load into records too.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from netsim.errors import InputError
from netsim.model import load_scenario
from netsim.model.effects import DetectionMethod, LinkMode
from netsim.model.scenario import TargetKind
from netsim.sim.engine import build_simulation
from netsim.trace.fields import Fields
from netsim.trace.files import load_trace, trace_json, write_run
from netsim.trace.records import FailoverRecord, LabNote, TransferRecord

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "trace" / "fixtures"


class _Doc:
    """Stands in for a Summary: write_run only needs ``to_json``."""

    def to_json(self) -> dict[str, object]:
        return {"scenario": "s"}


def test_failover_and_transfer_records_round_trip_through_trace_json(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(f"""
name: s
topology: {ROOT}/topologies/megaport-hub.yaml
duration: 90s
traffic:
  - {{name: p, kind: one-way, from: aws, to: gcp, rate: 20/s, size: 200B}}
  - {{name: r, kind: bulk, from: aws, to: gcp, transfers: [{{at: 5s, size: 1GB}}]}}
failures:
  - {{link: aws-mcr, at: 30s, duration: 20s, mode: blackhole}}
  - {{link: gcp-mcr, at: 70s, duration: 5s, mode: "loss:0.05"}}
""")
    scenario = load_scenario(tmp_path / "s.yaml")
    trace = build_simulation(scenario, engine="exact").run()
    first, second = trace.failovers
    assert (first.target, first.mode, first.detection) == (
        TargetKind.LINK,
        "blackhole",
        DetectionMethod.BFD,
    )
    assert first.link_mode is LinkMode.BLACKHOLE
    assert first.links == ("aws-mcr",)
    assert first.detected_at_s is not None
    assert first.switched_at_s is not None
    assert first.failed_at_s < first.detected_at_s < first.switched_at_s
    assert first.repaired_at_s == pytest.approx(50.0)
    assert first.restored_at_s is not None
    assert (second.mode, second.link_mode, second.detection) == ("loss:0.05", LinkMode.LOSS, None)
    assert [t.traffic_class for t in trace.transfers] == ["r"]
    write_run(tmp_path / "run", trace, _Doc())
    doc = json.loads((tmp_path / "run" / "trace.json").read_text())
    assert doc["meta"]["failovers"][0]["detection"] == "bfd"  # where old code reads them
    assert doc["transfers"][0]["class"] == "r"
    back = load_trace(tmp_path / "run")
    assert back.failovers == trace.failovers
    assert back.transfers == trace.transfers
    assert "failovers" not in back.meta
    assert trace_json(back) == json.loads(json.dumps(trace_json(trace)))


@pytest.mark.parametrize("name", ["dr-exact", "lab-blackhole"])
def test_runs_of_the_old_code_load_into_records(name: str, tmp_path: Path) -> None:
    with tarfile.open(FIXTURES / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    old = json.loads((tmp_path / name / "trace.json").read_text())
    trace = load_trace(tmp_path / name)
    assert [r.to_json() for r in trace.failovers] == old["meta"]["failovers"]
    assert [t.to_json() for t in trace.transfers] == old["transfers"]
    if name == "lab-blackhole":
        assert trace.lab == LabNote((), (), False, 12.69)
        assert trace.failovers[0].detection is None  # the lab does not see detection
    else:
        (t,) = trace.transfers
        assert t == TransferRecord("dr-sync", "gcp", "azure", 360.0, 1e12, 7.5e10, None, None)
        assert trace.failovers[0].target is TargetKind.NODE


def test_a_bad_record_names_the_file_and_the_key() -> None:
    doc = {
        "id": 0,
        "subject": "x",
        "target": "link",
        "mode": "down",
        "failed_at_s": "soon",
        "links": [],
    }
    with pytest.raises(InputError, match=r"trace.json: failed_at_s: expected a number, got str"):
        FailoverRecord.from_json(Fields.of(doc, "trace.json"))
    with pytest.raises(InputError, match=r"target: unknown value 'wire'"):
        FailoverRecord.from_json({**doc, "failed_at_s": 1.0, "target": "wire"})

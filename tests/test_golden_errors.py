"""Golden tests of input-error messages: they are part of the interface (STYLE habit 5).

Each ``tests/golden/errors/<case>.yaml`` is validated with ``netsim validate``; stderr must
equal ``<case>.txt`` and the exit status must be 2. A case without its ``.txt`` fails: the
first run of a new case cannot pass by writing what it got. ``pytest --update-golden``
writes them deliberately.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netsim.cli.main import main

CASES = Path(__file__).parent / "golden" / "errors"


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_error_messages(
    case: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    update_golden: bool,
) -> None:
    monkeypatch.chdir(CASES)
    status = main(["validate", f"{case}.yaml"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    golden = CASES / f"{case}.txt"
    if update_golden:
        golden.write_text(err)
    if not golden.exists():
        pytest.fail(
            f"{golden.name} is missing: check this output, then write it with "
            f"pytest --update-golden\n{err}"
        )
    assert err == golden.read_text()


def test_every_error_of_a_file_is_reported_at_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASES)
    assert main(["validate", "scenario-errors.yaml", "wrong-unit.yaml"]) == 2
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.startswith("  ")]
    assert len(lines) >= 12
    assert any(x.startswith("  scenario-errors.yaml:9: failures[0].link:") for x in lines)
    assert any(x.startswith("  wrong-unit.yaml:6: links[0].capacity:") for x in lines)

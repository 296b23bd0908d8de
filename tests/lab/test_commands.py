"""The ``netsim lab`` verbs through ``netsim.cli.main``: exit statuses and a tiny live lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from netsim.cli.main import main
from netsim.errors import EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_OK
from netsim.lab import destroy
from netsim.lab.host.stalls import overlapping, read_stalls, stalls_per_second
from netsim.lab.live.probes import run_probes
from tests.lab.conftest import TINY, holds_unless_stalled

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent.parent


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["lab", "deploy"])
    assert info.value.code == EXIT_INPUT
    with pytest.raises(SystemExit) as info:
        main(["lab", "fail", "x"])
    assert info.value.code == EXIT_INPUT
    assert "--mode" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_non_root_gets_exit_3_with_what_to_do(tmp_path: Path) -> None:
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if (
        subprocess.run(
            [*drop, sys.executable, "-c", "import netsim"],
            cwd=ROOT,
            capture_output=True,
            check=False,
        ).returncode
        != 0
    ):
        pytest.skip("the unprivileged user cannot run this Python environment")
    script = "import sys; from netsim.cli.main import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [*drop, sys.executable, "-c", script, "lab", "deploy", str(TINY)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == EXIT_ENVIRONMENT, result.stderr
    assert "needs root" in result.stderr
    assert "apt-get install frr strongswan-charon" in result.stderr


@pytest.fixture
def tiny(lab_root: Path) -> Iterator[str]:
    yield "tiny"
    destroy("tiny")


def probe_delay(lab_root: Path) -> tuple[float, float, float]:
    """One-way delay h1 -> h2 (the median of the datagrams no host stall overlapped; the
    link delays are constant), the lost fraction, and the host's stalls per second while
    probing (:mod:`netsim.lab.host.stalls`: a mean over all datagrams once read 6.09 ms
    for 5 ms on a stalling host)."""
    result = run_probes(
        "tiny",
        "clab-tiny-h1",
        "clab-tiny-h2",
        "10.0.2.10",
        rate=100,
        duration=1.5,
        workdir=lab_root / "probes",
    )
    stalls = read_stalls(lab_root / "tiny")
    hit = overlapping(stalls, result.t_send, result.t_recv)
    steady = result.delay[~hit & ~np.isnan(result.delay)]
    delay = float(np.median(steady)) if len(steady) else float(np.nanmedian(result.delay))
    rate = stalls_per_second(stalls, float(result.t_send[0]), float(result.t_send[-1]) + 1.0)
    return delay, float(result.lost.mean()), rate


def delay_near(lab_root: Path, expected: float, tolerance: float) -> float:
    """Probe h1 -> h2 and hold its delay to ``expected`` (:func:`holds_unless_stalled`);
    the lost fraction."""
    delay, lost, rate = probe_delay(lab_root)
    holds_unless_stalled(
        abs(delay - expected) <= tolerance,
        f"h1->h2: {delay * 1e3:.2f} ms, expected {expected * 1e3:.1f} ms (+-{tolerance * 1e3:.1f})",
        rate,
    )
    return lost


@pytest.mark.lab
def test_tiny_lab_through_the_command_line(
    tiny: str, lab_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["lab", "deploy", str(TINY)]) == EXIT_OK
    assert main(["lab", "deploy", str(TINY)]) == EXIT_ENVIRONMENT  # already deployed
    capsys.readouterr()
    assert main(["lab", "status", "--json"]) == EXIT_OK
    status = json.loads(capsys.readouterr().out)
    assert [p["nodes"] for p in status["paths"]] == [["h1", "r1", "h2"], ["h2", "r1", "h1"]]

    assert delay_near(lab_root, 0.005, 0.001) == 0
    # A link is named by its name or by one of its ends (node:interface), for every mode,
    # and restored by either.
    assert main(["lab", "fail", "r1:eth1", "--mode", "delay:+20ms"]) == EXIT_OK
    delay_near(lab_root, 0.025, 0.0015)
    assert main(["lab", "fail", "h1-r1", "--mode", "loss:0.5"]) == EXIT_OK
    assert 0.3 < probe_delay(lab_root)[1] < 0.7
    assert main(["lab", "restore", "h1:eth1"]) == EXIT_OK
    assert delay_near(lab_root, 0.005, 0.001) == 0

    # A delay on a plain veth pair cannot be done: the file must give the link a delay.
    capsys.readouterr()
    assert main(["lab", "fail", "h2-r1", "--mode", "delay:+1ms"]) == EXIT_INPUT
    assert "plain veth pair" in capsys.readouterr().err
    assert main(["lab", "fail", "nosuch", "--mode", "down"]) == EXIT_INPUT
    assert main(["lab", "fail", "h1-r1", "--mode", "loss:10%"]) == EXIT_INPUT
    assert "a fraction from 0 to 1" in capsys.readouterr().err
    assert main(["lab", "restore", "h1-r1"]) == EXIT_INPUT  # nothing recorded any more
    assert main(["lab", "restore", "all"]) == EXIT_OK  # nothing to undo: not an error
    assert "no fault to restore" in capsys.readouterr().out
    assert main(["lab", "fail", "h2-r1", "--mode", "flap:0.2/0.2/2"]) == EXIT_OK
    capsys.readouterr()
    assert main(["lab", "destroy", str(TINY.relative_to(ROOT))]) == EXIT_OK  # by its file
    assert "lab tiny: removed" in capsys.readouterr().out
    # Nothing matches any more: an error, never a silent success.
    assert main(["lab", "destroy", "tiny"]) == EXIT_INPUT
    assert main(["lab", "destroy", str(TINY)]) == EXIT_INPUT
    assert "no lab deployed from" in capsys.readouterr().err
    assert main(["lab", "status", "tiny"]) == EXIT_INPUT


@pytest.mark.lab
def test_a_host_tool_a_command_needs_is_an_environment_problem_found_first(
    lab_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # On Docker the image brings ping; here it is the host's. A host without it failed the
    # deploy half-way as bad input (exit 2, "No such file or directory: 'ping'").
    from netsim.lab.live import deploy as deploy_module
    from tests.lab.conftest import snapshot

    clab = tmp_path / "pinger.clab.yml"
    clab.write_text(
        TINY.read_text()
        .replace("name: tiny", "name: pinger")
        .replace("exec: [ip route add default via 10.0.1.1]", 'exec: ["ping -c 1 10.0.1.1"]')
    )
    have = deploy_module._have
    monkeypatch.setattr(deploy_module, "_have", lambda tool: tool != "ping" and have(tool))
    before = snapshot(lab_root)
    try:
        assert main(["lab", "deploy", str(clab)]) == EXIT_ENVIRONMENT
    finally:
        destroy("pinger")
    err = capsys.readouterr().err
    assert "missing iputils-ping: install them with: apt-get install frr " in err
    assert err.rstrip().endswith(" nftables iputils-ping")
    assert snapshot(lab_root) == before


VTYSH_LAB = """name: vtyshlab
topology:
  nodes:
    r1:
      kind: linux
      image: frrouting/frr:v8.4.1
      binds: [daemons:/etc/frr/daemons]
      exec:
        - ip addr add 10.9.0.1/30 dev eth1
        - vtysh -c "conf t" -c "router bgp 65001" -c "neighbor 10.9.0.2 remote-as 65002"
    r2:
      kind: linux
      image: frrouting/frr:v8.4.1
      binds: [daemons:/etc/frr/daemons]
      exec:
        - ip addr add 10.9.0.2/30 dev eth1
        - vtysh -c "conf t" -c "router bgp 65002" -c "neighbor 10.9.0.1 remote-as 65001"
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
"""


@pytest.mark.lab
def test_frr_nodes_configured_by_vtysh_alone_come_up(
    lab_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """containerlab's own FRR examples (srlfrr01) bind only FRR's daemons file and
    configure the node with vtysh commands: such a node runs FRR from an empty config,
    and "up" waits for the BGP session its commands configured."""
    (tmp_path / "daemons").write_text("zebra=yes\nbgpd=yes\nstaticd=yes\nvtysh_enable=yes\n")
    (tmp_path / "vtysh.clab.yml").write_text(VTYSH_LAB)
    try:
        assert main(["lab", "deploy", str(tmp_path / "vtysh.clab.yml")]) == EXIT_OK
        capsys.readouterr()
        assert main(["lab", "status", "vtyshlab", "--json"]) == EXIT_OK
        status = json.loads(capsys.readouterr().out)
        assert sorted((s["node"], s["state"]) for s in status["bgp"]) == [
            ("r1", "Established"),
            ("r2", "Established"),
        ]
    finally:
        destroy("vtyshlab")

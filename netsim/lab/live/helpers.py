"""Helper processes of a live lab: started inside a node's namespace, tagged, ready-checked.

Probes, captures and the traffic applications (:mod:`netsim.lab.live.probes`,
:mod:`netsim.lab.live.capture`, :mod:`netsim.lab.live.apps`) run as ``python -m <module>
...`` child processes that enter the node's namespace before exec and carry the lab's
process tag (``NETSIM_LAB=<lab>``), so teardown finds them even if their parent died. Each
prints ``ready [detail]`` once it is set up; :func:`await_ready` waits for that line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from netsim.errors import LabError
from netsim.lab.host import linux
from netsim.lab.host.state import process_tag

if TYPE_CHECKING:
    from collections.abc import Sequence

READY_S = 20.0


def spawn_helper(
    namespace: str, lab: str, module: str, args: Sequence[str]
) -> subprocess.Popen[str]:
    """Start ``python -m module args...`` inside ``namespace``, tagged with the lab."""
    key, _, value = process_tag(lab).partition("=")
    env = {**os.environ, key: value}
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: linux.setns(linux.netns_path(namespace)),
        start_new_session=True,
    )


def await_ready(proc: subprocess.Popen[str], what: str) -> str:
    """Wait for ``ready [detail]`` from a helper; return the detail."""
    assert proc.stdout is not None
    word, _, detail = proc.stdout.readline().strip().partition(" ")
    if word != "ready":
        _, err = proc.communicate(timeout=READY_S)
        raise LabError(f"{what} did not start: {word} {detail} {err.strip()}")
    return detail


def finish_helper(proc: subprocess.Popen[str], budget: float, what: str) -> None:
    """Wait up to ``budget`` seconds for a helper to exit (killing it after that) and
    raise a :class:`LabError` with the end of its stderr if it failed."""
    try:
        _, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if proc.returncode != 0:
        raise LabError(f"{what} failed: {err.strip()[-2000:]}")

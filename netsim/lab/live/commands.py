"""Running a node's commands (its ``exec`` list and its stages' ``exec``) in its namespace.

The commands were parsed and checked when the file was read
(:mod:`netsim.lab.clab.execs`); here each argv step runs: network tools in the node's
namespace with the node's ``env``, ``sysctl`` through ``/proc/sys`` of the namespace,
``vtysh`` against the node's own FRR, ``sleep`` as a sleep. containerlab runs them at these
points of a deploy, and so does :func:`netsim.lab.live.deploy.deploy`:

============== ============================= ===========================================
stage          on-enter                      on-exit
============== ============================= ===========================================
create         (refused: no namespace yet)   namespaces exist
create-links   before the links              links exist, addressed and up
configure      before the daemons start      daemons configured
exec           the node's ``exec`` list, after ``configure``
healthy        after every session is up     (same moment)
============== ============================= ===========================================

A step that fails stops the deploy as bad input (exit 2) naming the node, the command and
what the tool said; containerlab would log it and carry on, but a lab whose commands
failed is not the lab its file describes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from netsim.errors import InputError, LabError, ModelError
from netsim.lab.clab.execs import sysctl_assignments
from netsim.lab.host import netns

if TYPE_CHECKING:
    from netsim.lab.clab.topology import ClabTopology, Phase, Stage
    from netsim.lab.daemons import Daemon


def run_commands(
    topology: ClabTopology,
    stage: Stage,
    phase: Phase,
    daemons: dict[str, list[Daemon]] | None = None,
) -> None:
    """Run every node's commands of ``stage``/``phase``, node by node in file order."""
    for name, node in topology.nodes.items():
        for command in node.commands_at(stage, phase):
            try:
                for step in command.steps:
                    _run_step(topology, name, step, (daemons or {}).get(name, []))
            except LabError as exc:
                raise InputError(
                    [
                        ModelError(
                            str(topology.path),
                            command.line,
                            command.key or f"topology.nodes.{name}",
                            f"{stage.value} command {command.text!r} failed: {exc}",
                        )
                    ]
                ) from None


def _run_step(
    topology: ClabTopology, node: str, step: tuple[str, ...], daemons: list[Daemon]
) -> None:
    program = step[0].rsplit("/", 1)[-1]
    namespace = topology.namespace(node)
    if program in ("echo", "true"):
        return
    if program == "sleep":
        time.sleep(float(step[1]))
        return
    if program == "sysctl":
        for key, value in sysctl_assignments(step):
            netns.set_sysctl(namespace, key, value)
        return
    if program == "vtysh":
        from netsim.lab.daemons.frr import Frr

        frr = next((d for d in daemons if isinstance(d, Frr)), None)
        if frr is None:
            raise LabError("FRR is not running on this node yet")
        frr.run_vtysh(step[1:])
        return
    netns.run([program, *step[1:]], namespace, env=topology.nodes[node].env)

"""The plug-in point for routing and VPN daemons run on lab nodes.

A :class:`Daemon` subclass knows one piece of software: whether a node runs it (from the
node's binds), which files it installs, how to check its configuration *before* starting it,
how to start and configure it, what of it is not up yet, and how to stop it. Subclasses are
listed in the explicit registry ``netsim.lab.daemons.DAEMONS``; ``DEPENDS`` orders start-up
on a node (strongSwan before FRR, so that ``ipsec0`` exists when zebra reads its config).
"""

from __future__ import annotations

import signal
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from netsim.lab.host import linux

if TYPE_CHECKING:
    from pathlib import Path

    from netsim.errors import ModelError
    from netsim.lab.clab.topology import ClabNode, ClabTopology
    from netsim.lab.daemons.secrets import LabKeys
    from netsim.lab.host.state import LabState, ProcRecord

STOP_GRACE_S = 3.0


@dataclass(frozen=True, slots=True)
class NodeContext:
    """Where a daemon of one node lives: its node, namespace, lab state and directory.

    ``keys`` are the lab's pre-shared keys, known to a deploy only (daemons started later,
    e.g. after a node failure, find them already installed).
    """

    topology: ClabTopology
    node: ClabNode
    state: LabState
    keys: LabKeys | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def namespace(self) -> str:
        return self.topology.namespace(self.node.name)

    @property
    def directory(self) -> Path:
        """The node's directory inside the lab directory (created by ``install``)."""
        return self.state.node_dir(self.node.name)


class Daemon(ABC):
    """One piece of software on one node, from config check to readiness."""

    NAME: ClassVar[str]
    DEPENDS: ClassVar[tuple[type[Daemon], ...]] = ()
    #: Programs the daemon needs on the host (checked before a deploy).
    TOOLS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    @classmethod
    @abstractmethod
    def wanted(cls, node: ClabNode) -> bool:
        """True if ``node`` runs this daemon (decided from its binds)."""

    @abstractmethod
    def install(self) -> None:
        """Put the node's configuration where the daemon reads it (journaled)."""

    @abstractmethod
    def check(self) -> list[ModelError]:
        """Problems in the node's configuration files, found without starting anything.

        Each names its file and line; a deploy with any of them stops before it creates
        anything, as bad input (exit 2).
        """

    @abstractmethod
    def start(self) -> None:
        """Start the daemon's processes (journaled in the lab state)."""

    def configure(self) -> None:  # noqa: B027 - optional hook
        """Load configuration into the running daemon, if that is a separate step."""

    @abstractmethod
    def pending(self) -> list[str]:
        """What is not up yet, one readable item each; empty when the daemon is ready."""

    def fingerprint(self) -> str:
        """A summary of the daemon's routing state; ready means it also stopped changing."""
        return ""

    def quiet_s(self) -> float:
        """How long the fingerprint must stay the same before the daemon is ready (0: two
        polls in a row): a link-state protocol may hold an update for its LSA interval."""
        return 0.0

    def settle_s(self) -> float:
        """How much longer than a BGP/IPsec lab the daemon's protocols may rightly take to
        come up (OSPF's DR election waits a dead interval): added to the default wait."""
        return 0.0

    def processes(self) -> list[ProcRecord]:
        """This daemon's journaled processes (named ``<NAME>.<program>``)."""
        return [
            p
            for p in self.ctx.state.processes_of(self.ctx.name)
            if p.name.partition(".")[0] == self.NAME
        ]

    def dead(self) -> list[str]:
        """Processes of this daemon that have exited although nobody stopped them.

        Each is named with the last line of its log: usually why it could not run here.
        """
        out = []
        for p in self.processes():
            if p.alive():
                continue
            log = self.ctx.state.directory / "logs" / f"{p.node}.{p.name}.log"
            try:
                lines = [line for line in log.read_text(errors="replace").splitlines() if line]
            except OSError:
                lines = []
            said = f": {lines[-1].strip()[-300:]}" if lines else ""
            out.append(
                f"{self.ctx.name}: {p.name.partition('.')[2] or p.name} exited{said} (log: {log})"
            )
        return out

    def stop(self) -> list[str]:
        """End this daemon's processes by pid (TERM, then KILL); return what was ended."""
        records = self.processes()
        ended = stop_processes(records)
        state = self.ctx.state
        state.processes = [p for p in state.processes if p not in records]
        state.save()
        return ended


def stop_processes(records: list[ProcRecord], grace: float = STOP_GRACE_S) -> list[str]:
    """TERM every live record, wait up to ``grace`` seconds, KILL the rest; by pid only."""
    ended = []
    for record in records:
        if record.pid and linux.signal_pid(record.pid, record.start, signal.SIGTERM):
            ended.append(f"{record.node}/{record.name}[{record.pid}]")
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for record in records:
            linux.reap(record.pid)
        if not any(r.alive() for r in records):
            break
        time.sleep(0.05)
    for record in records:
        if record.alive():
            linux.signal_pid(record.pid, record.start, signal.SIGKILL)
            linux.reap(record.pid)
    return ended

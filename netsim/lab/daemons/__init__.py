"""Daemons the lab runs on its nodes, in an explicit registry.

``DAEMONS`` maps a name to its :class:`~netsim.lab.daemons.base.Daemon` class; a node runs
every daemon whose ``wanted(node)`` is true, in ``DEPENDS`` order (:func:`daemons_for`).
"""

from __future__ import annotations

from netsim.lab.daemons.base import Daemon, NodeContext
from netsim.lab.daemons.frr import Frr
from netsim.lab.daemons.strongswan import StrongSwan

DAEMONS: dict[str, type[Daemon]] = {"strongswan": StrongSwan, "frr": Frr}


def start_order() -> list[type[Daemon]]:
    """Registered daemon classes, each after the classes it depends on."""
    ordered: list[type[Daemon]] = []

    def visit(cls: type[Daemon]) -> None:
        if cls in ordered:
            return
        for dep in cls.DEPENDS:
            visit(dep)
        ordered.append(cls)

    for cls in DAEMONS.values():
        visit(cls)
    return ordered


def daemons_for(ctx: NodeContext) -> list[Daemon]:
    """The daemons ``ctx.node`` runs, in start order."""
    return [cls(ctx) for cls in start_order() if cls.wanted(ctx.node)]


__all__ = ["DAEMONS", "Daemon", "NodeContext", "daemons_for", "start_order"]

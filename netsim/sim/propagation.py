"""How route changes reach the sources: path-vector withdrawals and announcements, MRAI.

The routing half of :class:`netsim.sim.control.ControlPlane` (a mixin: it reads the
control plane's link states and writes its route table, events and failover records).
Routes are kept per (source, destination). When a link's session is known down and its
convergence time has passed, a source moves off a route through it only if the
withdrawal can reach it: on some path, walking from the source, the first link that is
broken or known down must be the known-down one (the router upstream of it withdraws, and
every link before it forwards). A withdrawal blocked by a broken link that is not yet
detected gets through when that link is repaired. The news takes the ``mrai`` of every
router between the one that sends it and the source; a re-established link's announcement
travels the same way. The new route avoids every link whose session is known down.
Each move is named after the link whose news moved it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netsim.trace.core import TraceEvent

if TYPE_CHECKING:
    import simpy

    from netsim.model.routing import Path, Route, Routes, RouteTable
    from netsim.model.topology import Node, Topology
    from netsim.sim.control import StepFunction, _LinkCtl
    from netsim.trace.records import FailoverRecord


@dataclass(frozen=True, slots=True)
class _Move:
    """One pair's route about to change: on whose news, which, and after how long (MRAI)."""

    pair: tuple[str, str]
    origin: str  # the link whose withdrawal or announcement reaches the pair's source
    delay: float
    news: str  # "switched" (a withdrawal) or "restored" (an announcement)


class RoutePropagation:
    """Route moves of the control plane; see the module docstring."""

    env: simpy.Environment
    topo: Topology
    nodes: dict[str, Node]
    ctl: dict[str, _LinkCtl]
    table: RouteTable
    routes: StepFunction[Routes]
    routing_down: set[str]
    events: list[TraceEvent]
    failovers: list[FailoverRecord]
    _cycles: dict[tuple[int, str], bool]

    def _notify(self) -> None:
        raise NotImplementedError

    def _relay_delay(self, src: str, path: Path, index: int) -> float:
        """MRAI on the way from the router at the near end of ``path[index]`` back to
        ``src``: every router in between passes the update on after its ``mrai``."""
        total, node = 0.0, src
        for name in path[: index - 1] if index > 1 else ():
            node = self.topo.link(name).other(node)
            total += self.nodes[node].mrai
        return total

    def _withdrawal(self, src: str, route: Route | None) -> tuple[str, float] | None:
        """(link, delay) if a withdrawal of ``src``'s route reaches it: on some path the
        first link that is broken or known down is in the routes' down-set (its upstream
        router withdraws, and every link before it forwards with its session up); the news
        takes the MRAI of the routers in between. None if none gets through: BGP is
        path-vector, so a broken link not yet detected blocks it, and so does one whose
        session is down but not yet converged (its upstream router will withdraw itself)."""
        if route is None:
            return None
        heard: tuple[str, float] | None = None
        for path in route.paths:
            for i, name in enumerate(path):
                if name in self.routing_down:
                    delay = self._relay_delay(src, path, i)
                    if heard is None or delay < heard[1]:
                        heard = (name, delay)
                    break
                if self.ctl[name].state.mode.broken or self.ctl[name].known_down:
                    break  # no update crosses it: it drops them, or its session is down
        return heard

    def _announcement(self, src: str, route: Route | None, name: str) -> float:
        """How long the news that ``name`` is back takes to reach ``src`` over ``route``."""
        if route is None:
            return 0.0
        path = route.primary
        return self._relay_delay(src, path, path.index(name)) if name in path else 0.0

    def _believed_down(self) -> frozenset[str]:
        """A new path never uses a link whose session is known down, converged or not."""
        return frozenset(self.routing_down | {n for n, c in self.ctl.items() if c.known_down})

    def _clean(self, route: Route | None) -> bool:
        return route is not None and not self.routing_down.intersection(route.links)

    def _reroute(self, name: str, kind: str) -> None:
        """Move the pairs that learn of a change to their best route, now or after MRAI.

        ``switched``: pairs whose route crossed a link now known down, if the withdrawal
        reaches their source; ``restored``: also every pair with a clean route (or none),
        onto the better one that ``name``'s return gives (make-before-break);
        ``propagated``: withdrawals held back by ``name`` (broken) get through after its
        repair. Each move is named after the link whose news moved it.
        """
        routes = self.routes.values[-1]
        best = self.table.routes(self._believed_down())
        moves: list[_Move] = []
        for pair, current in routes.items():
            heard = self._withdrawal(pair[0], current) if not self._clean(current) else None
            if heard is not None:
                moves.append(_Move(pair, heard[0], heard[1], "switched"))
            elif (
                kind == "restored"
                and best[pair] != current
                and (current is None or self._clean(current))
            ):
                # A better route (or one for a pair that had none) appears only when a
                # session comes back, and reaches the source as that link's announcement.
                delay = self._announcement(pair[0], best[pair], name)
                moves.append(_Move(pair, name, delay, "restored"))
        now = [m for m in moves if m.delay <= 0.0]
        later: dict[float, list[_Move]] = {}
        for m in moves:
            if m.delay > 0.0:
                later.setdefault(m.delay, []).append(m)
        news = "restored" if kind == "restored" else "switched"
        self._apply(now, best, always=() if kind == "propagated" else ((news, name),))
        for delay, batch in sorted(later.items()):
            self.env.process(self._deliver(batch, delay))

    def _deliver(self, batch: list[_Move], delay: float) -> Any:
        """Moves that waited for MRAI, re-judged against what is known when they arrive:
        a withdrawal still moves a pair whose route is not clean, an announcement one whose
        route is clean (or that has none)."""
        yield self.env.timeout(delay)
        routes = self.routes.values[-1]
        best = self.table.routes(self._believed_down())
        still = [
            m
            for m in batch
            if (m.news == "switched" and not self._clean(routes[m.pair]))
            or (m.news == "restored" and (routes[m.pair] is None or self._clean(routes[m.pair])))
        ]
        self._apply(still, best, always=(), late=True)

    def _apply(
        self,
        moves: list[_Move],
        best: Routes,
        always: tuple[tuple[str, str], ...],
        *,
        late: bool = False,
    ) -> None:
        """Set the moved pairs' routes; one event per (news, origin link), and one for each
        of ``always`` even if nothing moved. ``late`` moves (after MRAI) also advance the
        records of the failures they follow."""
        before = self.routes.values[-1]
        after = dict(before)
        moved: dict[tuple[str, str], dict[str, object]] = {key: {} for key in always}
        for m in moves:
            if best[m.pair] != before[m.pair]:
                after[m.pair] = best[m.pair]
                s, d = m.pair
                found = best[m.pair]
                doc = [] if found is None else found.to_json()
                moved.setdefault((m.news, m.origin), {})[f"{s}>{d}"] = doc
        if not moved:
            return
        self.routes.set(self.env.now, after)
        for (news, origin), changed in moved.items():
            attrs: dict[str, object] = {"routes": changed}
            if late:
                attrs["late"] = True  # news that waited for MRAI, not a session event
            self.events.append(TraceEvent(self.env.now, news, origin, attrs))
            if late and news == "switched" and changed:
                for i in sorted({imp.failure for imp in self.ctl[origin].impairments}):
                    if self._cycles.get((i, origin)):
                        self._switched(i)
            elif late and news == "restored" and changed:
                self._back(origin)
        self._notify()

    def _switched(self, i: int) -> None:
        """Traffic of failure ``i`` moved now (the last move is its switch time)."""
        rec = self.failovers[i]
        self.failovers[i] = dataclasses.replace(
            rec, switched_at_s=max(rec.switched_at_s or 0.0, self.env.now)
        )

    def _back(self, origin: str) -> None:
        """A late (MRAI) restoration: the preferred path came back only now."""
        for i, rec in enumerate(self.failovers):
            if origin in rec.links and rec.restored_at_s is not None:
                self.failovers[i] = dataclasses.replace(
                    rec, restored_at_s=max(rec.restored_at_s, self.env.now)
                )


__all__ = ["RoutePropagation"]

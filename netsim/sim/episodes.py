"""Congestion episodes of internet paths: a two-state (calm, congested) renewal process.

An internet link with a ``congestion`` model (docs/formats.md) alternates between calm and
congested periods of exponential length with the declared means, starting in either with
its long-run probability; each state adds its one-way ``delay`` and drops packets with its
``loss`` (the calm state's loss is the path's background loss). The draws come from the
seed, one stream per link. A VPN tunnel riding internet links (``underlay``) meets the
episodes of each of them: delays add up, losses compound. When a congested period ends, its
queue drains: the added delay falls at ``DRAIN_RATE`` (half a second per second,
``LinkState.land_by``), not at once, so no packet overtakes one sent before it. The data
planes read the result merged into the links' states (:func:`with_episodes`): packets see
the extra delay and loss, TCP streams the loss and the longer round trip
(:mod:`netsim.sim.bulk`). What is not modelled: the episodes' effect on BGP, BFD and DPD
sessions (their control packets see the scripted failures only).

Examples
--------
>>> from netsim.model.topology import Congestion, EpisodeState
>>> model = Congestion(EpisodeState(3600.0), EpisodeState(600.0, delay=0.03, loss=0.01))
>>> round(model.congested_share, 4)
0.1429
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.model.streams import stream
from netsim.sim.control import DRAIN_RATE, LinkState, StepFunction

if TYPE_CHECKING:
    from netsim.model.topology import Congestion, Topology


@dataclass(frozen=True, slots=True)
class Episode:
    """What a link's path does to packets at a time: extra one-way delay, loss."""

    delay: float = 0.0
    loss: float = 0.0


CALM = Episode()


def _renewal(model: Congestion, seed: int, name: str, until: float) -> StepFunction[Episode]:
    """One internet link's alternating calm / congested periods up to ``until``."""
    rng = stream(seed, "episodes:" + name, 0)
    states = (model.calm, model.congested)
    k = int(rng.random() < model.congested_share)
    steps: StepFunction[Episode] = StepFunction(values=[Episode(states[k].delay, states[k].loss)])
    t = float(rng.exponential(states[k].mean))
    while t < until:
        k = 1 - k
        steps.set(t, Episode(states[k].delay, states[k].loss))
        t += float(rng.exponential(states[k].mean))
    return steps


def _combine(parts: list[StepFunction[Episode]]) -> StepFunction[Episode]:
    """Episodes of a path over several links: delays add, losses compound."""
    times = sorted({t for p in parts for t in p.times})
    out: StepFunction[Episode] = StepFunction(values=[CALM])
    for t in times:
        delay, through = 0.0, 1.0
        for p in parts:
            e = p.at(t)
            delay += e.delay
            through *= 1.0 - e.loss
        out.set(t, Episode(delay, 1.0 - through))
    return out


def link_episodes(topo: Topology, seed: int, until: float) -> dict[str, StepFunction[Episode]]:
    """Every link that meets congestion episodes (internet links with a model and the VPN
    tunnels over them), as a step function of :class:`Episode` up to ``until``."""
    own = {
        link.name: _renewal(link.congestion, seed, link.name, until)
        for link in topo.links
        if link.congestion is not None
    }
    out = dict(own)
    for link in topo.links:
        parts = [own[u] for u in link.underlay if u in own]
        if parts:
            out[link.name] = _combine(parts)
    return out


def with_episodes(
    states: dict[str, StepFunction[LinkState]], episodes: dict[str, StepFunction[Episode]]
) -> dict[str, StepFunction[LinkState]]:
    """The links' states with their episodes merged in (loss compounds, delay adds)."""
    out = dict(states)
    for name, eps in episodes.items():
        base = states[name]
        merged: StepFunction[LinkState] = StepFunction(values=[base.values[0]])
        before = merged.values[0]
        for t in sorted(set(base.times) | set(eps.times)):
            s, e = base.at(t), eps.at(t)
            loss = 1.0 - (1.0 - s.loss) * (1.0 - e.loss)
            delay = s.delay + e.delay
            added = before.added_delay(t)  # what the path held just before t
            land_by = t + added / DRAIN_RATE if delay < added else 0.0  # it drains from here
            before = dataclasses.replace(s, loss=loss, delay=delay, land_by=land_by)
            merged.set(t, before)
        out[name] = merged
    return out


__all__ = ["Episode", "link_episodes", "with_episodes"]

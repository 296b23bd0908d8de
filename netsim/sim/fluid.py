"""Max-min fair sharing of link capacity among fluid bulk flows.

Bulk transfers are fluid (architecture section 4): each flow has a demand (its
``max_rate``, or its stream rate) and a path of link directions; the allocation is the
max-min fair one found by progressive filling. A direction is *saturated* when some flow is
held below its demand there: elastic (TCP-like) flows then keep the buffer of that
direction filled, which packet traffic sees as queueing delay (see :mod:`netsim.sim.exact`).

Examples
--------
>>> alloc = max_min_fair({"a": 5e9, "b": 5e9}, {"a": [("l", 0)], "b": [("l", 0)]},
...                      {("l", 0): 6e9})
>>> alloc.rates
{'a': 3000000000.0, 'b': 3000000000.0}
>>> sorted(alloc.saturated)
[('l', 0)]
"""

from __future__ import annotations

from dataclasses import dataclass

LinkDirection = tuple[str, int]  # (link, 0 | 1); 0 is endpoints[0] -> endpoints[1]


@dataclass(frozen=True, slots=True)
class Allocation:
    rates: dict[str, float]  # flow -> bit/s
    load: dict[LinkDirection, float]  # direction -> bit/s of bulk traffic
    saturated: frozenset[LinkDirection]


def max_min_fair(
    demands: dict[str, float],
    paths: dict[str, list[LinkDirection]],
    capacity: dict[LinkDirection, float],
    cost: dict[str, list[float]] | None = None,
) -> Allocation:
    """Progressive filling: raise all unfrozen flows equally until a demand or a link binds.

    ``cost`` gives, per flow and hop of its path, the capacity one bit/s of the flow uses
    there (headers and per-packet overhead; 1 when not given); ``load`` is in those units.
    """
    rates = dict.fromkeys(demands, 0.0)
    active = {f for f, d in demands.items() if d > 0 and paths.get(f)}
    remaining = {d: max(c, 0.0) for d, c in capacity.items()}
    saturated: set[LinkDirection] = set()
    unit = {f: (cost or {}).get(f) or [1.0] * len(paths.get(f, ())) for f in demands}
    while active:
        users: dict[LinkDirection, list[tuple[str, float]]] = {}
        for f in active:
            for d, c in zip(paths[f], unit[f], strict=True):
                users.setdefault(d, []).append((f, c))
        link_step = min(
            (remaining[d] / sum(c for _, c in fs) for d, fs in users.items()),
            default=float("inf"),
        )
        flow_step = min(demands[f] - rates[f] for f in active)
        step = min(link_step, flow_step)
        for f in active:
            rates[f] += step
        for d, fs in users.items():
            remaining[d] -= step * sum(c for _, c in fs)
        frozen = {f for f in active if demands[f] - rates[f] <= 1e-9 * max(demands[f], 1.0)}
        for d, fs in users.items():
            if remaining[d] <= 1e-9 * max(capacity[d], 1.0):
                held = [f for f, _ in fs if f not in frozen]
                if held:
                    saturated.add(d)
                frozen.update(f for f, _ in fs)
        active -= frozen
    load: dict[LinkDirection, float] = {}
    for f, r in rates.items():
        for d, c in zip(paths.get(f, ()), unit[f], strict=True):
            load[d] = load.get(d, 0.0) + r * c
    return Allocation(rates, load, frozenset(saturated))

"""A plain per-request simpy model of a scenario's packet load: the baseline to beat.

This is how one would write the model without netsim's design: one simpy process per
request (or datagram), one ``simpy.Resource`` per link direction for FIFO serialization,
``env.timeout`` for every service time, propagation delay, sidecar and server time. Same
topology, same routes (no failures), same arrival process and size distributions, so its
latencies are comparable with netsim's engines; it ignores bulk flows and failures.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import simpy

from netsim.model.routing import best_path, directed_hops
from netsim.model.scenario import Scenario, TrafficKind
from netsim.model.streams import stream
from netsim.sim.arrivals import poisson_times


def run_plain(scenario: Scenario, seed: int | None = None) -> dict[str, Any]:
    """Simulate the packet classes of ``scenario``; return latencies (s) per class + wall."""
    started = time.perf_counter()
    seed = scenario.seed if seed is None else seed
    topo = scenario.topology
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    wires = {(link.name, d): simpy.Resource(env, capacity=1) for link in topo.links for d in (0, 1)}
    latencies: dict[str, list[float]] = {c.name: [] for c in scenario.traffic}
    mesh = scenario.mesh.sidecar_latency
    # Fair to the baseline: routes computed once, random draws taken in blocks.
    draws: dict[Any, Any] = {}

    def draw(dist: Any) -> float:
        block = draws.get(dist)
        if block is None or block[1] >= len(block[0]):
            block = [dist.sample(rng, 8192), 0]
            draws[dist] = block
        block[1] += 1
        return float(block[0][block[1] - 1])

    def side() -> float:
        return draw(mesh) if mesh is not None else 0.0

    names = topo.node_names
    hops = {
        (a, b): [
            (topo.link(n), wires[(n, d)])
            for n, d in directed_hops(topo, a, best_path(topo, a, b, frozenset()) or ())
        ]
        for a in names
        for b in names
        if a != b
    }

    def carry(src: str, dst: str, size: float) -> Any:
        for link, wire in hops[(src, dst)]:
            with wire.request() as req:
                yield req
                yield env.timeout((size + link.overhead) * 8 / link.capacity)
            yield env.timeout(draw(link.delay))

    def request(cls: Any, dst: str) -> Any:
        t0 = env.now
        yield env.timeout(side())
        yield from carry(cls.src, dst, draw(cls.request_size))
        yield env.timeout(side() + draw(cls.server_time) + side())
        yield from carry(dst, cls.src, draw(cls.response_size))
        yield env.timeout(side())
        latencies[cls.name].append(env.now - t0)

    def datagram(cls: Any, dst: str) -> Any:
        t0 = env.now
        yield env.timeout(side())
        yield from carry(cls.src, dst, draw(cls.size))
        yield env.timeout(side())
        latencies[cls.name].append(env.now - t0)

    def source(cls: Any, dst: str, times: np.ndarray) -> Any:
        make = request if cls.kind is TrafficKind.REQUEST_RESPONSE else datagram
        for t in times:
            yield env.timeout(t - env.now)
            env.process(make(cls, dst))

    for cls in scenario.traffic:
        if cls.kind is TrafficKind.BULK:
            continue
        stop = min(cls.stop or scenario.duration, scenario.duration)
        for di, dst in enumerate(cls.dsts):
            times = poisson_times(
                stream(seed, "arrivals:" + cls.name, di),
                cls.rate / len(cls.dsts),
                cls.profile,
                cls.start,
                stop,
            )
            env.process(source(cls, dst, times))
    env.run(until=scenario.duration + 10)
    return {
        "latencies": {k: np.asarray(v) for k, v in latencies.items()},
        "wall_s": time.perf_counter() - started,
        "requests": sum(len(v) for v in latencies.values()),
    }


def main() -> None:
    """``python benchmarks/plain_simpy.py SCENARIO [KEY=VALUE ...]``: run the plain model of
    a scenario as a whole process (for ``bench_scale.py``), print requests and wall time."""
    import sys

    from netsim.model import load_scenario

    scenario = load_scenario(sys.argv[1], sys.argv[2:])
    out = run_plain(scenario)
    print(f"plain simpy: {out['requests']} requests in {out['wall_s']:.1f} s")


if __name__ == "__main__":
    main()

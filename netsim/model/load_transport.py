"""Transport keys of topology links: ``mtu`` and the internet ``congestion`` model.

Part of :func:`netsim.model.load_topology.load_topology`: every problem is recorded on the
shared :class:`~netsim.model.source.Reader` (file, line, key), none raised here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.topology import Congestion, EpisodeState, LinkKind
from netsim.model.units import non_negative, parse_duration, parse_size, positive

if TYPE_CHECKING:
    from netsim.model.source import KeyPath, Reader, YamlMap


def _probability(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"expected a probability from 0 to 1, got {value!r}")
    return float(value)


def read_congestion(r: Reader, m: YamlMap, path: KeyPath, kind: LinkKind) -> Congestion | None:
    """The optional episodic model of an internet link (docs/formats.md)."""
    if m.get("congestion") is None:
        return None
    cp = (*path, "congestion")
    if kind is not LinkKind.INTERNET:
        r.error(cp, "only internet links take a congestion model (VPNs inherit their underlay's)")
    c = r.mapping(m["congestion"], cp, ("calm", "congested"))
    states = []
    for name in ("calm", "congested"):
        sp = (*cp, name)
        s = r.mapping(c.get(name), sp, ("mean", "delay", "loss"))
        states.append(
            EpisodeState(
                r.get(s, sp, "mean", positive(parse_duration), 1.0, required=True) or 1.0,
                r.get(s, sp, "delay", non_negative(parse_duration), 0.0) or 0.0,
                r.get(s, sp, "loss", _probability, 0.0) or 0.0,
            )
        )
    return Congestion(states[0], states[1])


# The smallest MTU that leaves room for the IPv4 minimum of 576 B inside a tunnel's overhead.
MIN_MTU = 576.0


def read_mtu(r: Reader, m: YamlMap, path: KeyPath, overhead: float) -> float:
    """The link's MTU (default 1500 B); what is left after ``overhead`` must carry a segment."""
    mtu: float = r.get(m, path, "mtu", positive(parse_size), 1500.0) or 1500.0
    if mtu - overhead < MIN_MTU:
        r.error(
            (*path, "mtu"),
            f"leaves {mtu - overhead:.0f} B after the {overhead:.0f} B "
            f"overhead; at least {MIN_MTU:.0f} B are needed",
        )
    return mtu


__all__ = ["MIN_MTU", "read_congestion", "read_mtu"]

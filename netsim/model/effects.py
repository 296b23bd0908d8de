"""What a failure does to links: their data-plane state (:class:`LinkMode`).

One vocabulary for the state of a link's forwarding, shared by the simulator's control
plane, the engines, verification, the lab and the report: ``up``, ``loss`` (forwards, drops
with a probability), ``blackhole`` (forwarding stops, carrier stays up) and ``down``
(carrier lost). The values are ordered by severity, so the worst of several impairments
is their ``max`` and ``mode >= LinkMode.BLACKHOLE`` means "does not forward".

Examples
--------
>>> LinkMode.of(FailureMode.BLACKHOLE)
<LinkMode.BLACKHOLE: 2>
>>> max(LinkMode.LOSS, LinkMode.DOWN).label
'down'
>>> LinkMode.BLACKHOLE.broken, LinkMode.LOSS.broken
(True, False)
"""

from __future__ import annotations

import enum

from netsim.model.scenario import FailureMode


class LinkMode(enum.IntEnum):
    """A link's data-plane state, ordered by severity."""

    UP = 0
    LOSS = 1
    BLACKHOLE = 2
    DOWN = 3

    @property
    def label(self) -> str:
        """The name used in files and on screen (``up``, ``loss``, ``blackhole``, ``down``)."""
        return self.name.lower()

    @property
    def broken(self) -> bool:
        """Whether the link stops forwarding (blackhole or down; loss still forwards)."""
        return self >= LinkMode.BLACKHOLE

    @classmethod
    def of(cls, mode: FailureMode) -> LinkMode:
        """The state a failure of ``mode`` puts a link in."""
        return {FailureMode.DOWN: cls.DOWN, FailureMode.BLACKHOLE: cls.BLACKHOLE,
                FailureMode.LOSS: cls.LOSS}[mode]

    @classmethod
    def parse(cls, label: str) -> LinkMode:
        """The mode of a label (``loss:0.1`` counts as ``loss``)."""
        return cls[label.partition(":")[0].upper()]


__all__ = ["LinkMode"]

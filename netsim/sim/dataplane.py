"""The plug-in point for data planes: what moves the packets over a finished control plane.

A :class:`DataPlane` takes the scenario, the seed and the :class:`ControlTimeline` that the
control plane (simpy) has already computed, plus the :class:`~netsim.trace.core.Trace` to
fill. :meth:`DataPlane.run` sends every request, response and datagram of the scenario's
packet traffic, appends one row per attempt to ``trace.attempts`` (and the paths used to
``trace.paths``), and returns a :class:`PacketResult`: the bytes it put on each link
direction and the engine's own facts for ``trace.meta``. Everything else in the Trace
(control events, transfers, failovers, bulk bytes, down time) is the same for every data
plane and is written by :func:`netsim.sim.engine.finish_trace`.

Packets never influence the control plane, so a data plane only *reads* the timeline's
step functions (``at(t)``); it runs after the control plane has finished, up to
``timeline.until``. The data planes are listed in the explicit registry
``netsim.sim.engine.DATA_PLANES``: :class:`netsim.sim.exact.ExactDataPlane` (every packet
hop a simpy event, the reference) and :class:`netsim.sim.fast.plane.FastDataPlane`
(vectorised with numpy).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from netsim.model.scenario import Scenario
    from netsim.sim.control import ControlTimeline
    from netsim.sim.fluid import LinkDirection
    from netsim.trace.core import Trace

Progress = Callable[[float, float], None]  # (simulated seconds done, total)


@dataclass(frozen=True, slots=True)
class DirectionCount:
    """The packet bytes (with overhead) admitted onto one link direction: in total and per
    time bin of the trace (``trace.bin_s``), by arrival time."""

    bytes: float
    bins: np.ndarray


@dataclass(frozen=True, slots=True)
class PacketResult:
    """What a data plane returns besides the attempt rows it wrote into the trace."""

    counts: dict[LinkDirection, DirectionCount]  # every direction, in topology order
    meta: dict[str, Any] = field(default_factory=dict)  # engine-specific ``trace.meta``


class DataPlane(ABC):
    """One way of computing the packet traffic of a run; see the module docstring."""

    #: The engine's name on the command line (``--engine``) and in the registry.
    NAME: ClassVar[str]

    def __init__(
        self, scenario: Scenario, seed: int, timeline: ControlTimeline, trace: Trace
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.timeline = timeline
        self.trace = trace

    @abstractmethod
    def run(self, progress: Progress | None = None) -> PacketResult:
        """Send all packet traffic; write the attempts into the trace; the byte counts.

        ``progress(done, total)`` is called now and then with simulated seconds.
        """


#: How the pipeline makes a data plane: a DataPlane class, or one with options bound.
DataPlaneFactory = Callable[["Scenario", int, "ControlTimeline", "Trace"], DataPlane]

__all__ = ["DataPlane", "DataPlaneFactory", "DirectionCount", "PacketResult", "Progress"]

"""Link impairment parameters carried in containerlab link ``vars``.

A link's ``vars`` hold netsim model data (section 3 of the architecture). The deployer uses
the part that shapes packets: one-way ``delay`` (a constant or a ``scipy.stats``
distribution, read with the model's own :func:`~netsim.model.dist.parse_duration_dist`),
``jitter`` (standard deviation of a normal delay around a constant one), ``loss``
(probability per packet), ``rate``/``capacity`` (bit/s per direction) and ``buffer`` (bytes
per direction). Other keys (bfd, bgp, preference, cost...) ride along unchanged.

:func:`parse_link_params` returns :class:`LinkParams` and a list of problems, each naming the
offending key, so the clab loader can report every problem of a file at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from netsim.model.dist import Dist, parse_duration_dist
from netsim.model.units import UnitError, parse_bitrate, parse_duration, parse_size
from netsim.trace.fields import Fields

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

T = TypeVar("T")


class ParamError(ValueError):
    """A bad value; ``key`` is the dotted key below the link's ``vars``."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def dist_to_json(dist: Dist) -> dict[str, object]:
    return {"dist": dist.name, **dict(dist.params)}


def dist_from_json(data: object) -> Dist:
    f = Fields.of(data)
    rest = {k: float(f.number(k)) for k in f if k != "dist"}
    return Dist(f.text("dist"), tuple(sorted(rest.items())))


@dataclass(frozen=True, slots=True)
class LinkParams:
    """What a link does to packets, per direction (both directions alike)."""

    delay: Dist | None = None
    loss: float = 0.0
    rate_bps: float | None = None
    buffer_bytes: int | None = None
    vars: dict[str, object] = field(default_factory=dict, compare=False)  # all, as read

    @property
    def impaired(self) -> bool:
        """True if packets need shaping (delay, loss or a rate limit)."""
        return self.mean_delay() > 0 or self.loss > 0 or self.rate_bps is not None

    def mean_delay(self) -> float:
        return self.delay.mean() if self.delay else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "delay": dist_to_json(self.delay) if self.delay else None,
            "loss": self.loss,
            "rate_bps": self.rate_bps,
            "buffer_bytes": self.buffer_bytes,
        }

    @classmethod
    def from_json(cls, data: object) -> LinkParams:
        f = Fields.of(data)
        delay = dist_from_json(f.raw("delay")) if f.raw("delay") else None
        return cls(
            delay, float(f.number("loss")), f.opt_number("rate_bps"), f.opt_integer("buffer_bytes")
        )


def _delay(vars_: Mapping[str, object]) -> Dist | None:
    jitter = parse_duration(vars_["jitter"]) if "jitter" in vars_ else 0.0
    if "delay" not in vars_ and not jitter:
        return None
    raw = vars_.get("delay", 0)
    if not jitter:
        return parse_duration_dist(raw)
    if isinstance(raw, dict):
        raise UnitError("jitter only combines with a constant delay")
    return parse_duration_dist({"dist": "norm", "loc": raw, "scale": jitter})


def parse_link_params(vars_: Mapping[str, object]) -> tuple[LinkParams, list[ParamError]]:
    """Read the impairment keys of a link's ``vars``; collect every problem."""
    errors: list[ParamError] = []

    def attempt(key: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except UnitError as exc:
            errors.append(ParamError(key, str(exc)))
            return None

    delay = attempt("delay", lambda: _delay(vars_))
    loss = vars_.get("loss", 0)
    if isinstance(loss, bool) or not isinstance(loss, int | float) or not 0 <= loss <= 1:
        errors.append(ParamError("loss", f"must be a probability between 0 and 1, got {loss!r}"))
        loss = 0.0
    rate_key = "rate" if "rate" in vars_ else "capacity"
    rate = attempt(rate_key, lambda: parse_bitrate(vars_[rate_key])) if rate_key in vars_ else None
    if rate is not None and rate <= 0:
        errors.append(ParamError(rate_key, "must be positive"))
        rate = None
    buffer = attempt("buffer", lambda: parse_size(vars_["buffer"])) if "buffer" in vars_ else None
    params = LinkParams(
        delay, float(loss), rate, None if buffer is None else int(buffer), dict(vars_)
    )
    return params, errors

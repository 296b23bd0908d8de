"""Traffic classes of a scenario file: YAML -> :class:`~netsim.model.scenario.TrafficClass`.

Part of :func:`netsim.model.load_scenario.load_scenario`: every problem is recorded on the
shared :class:`~netsim.model.source.Reader` (file, line, key), none raised here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsim.model.dist import parse_duration_dist, parse_size_dist
from netsim.model.load_topology import _count, _enum, _int, _name, _str_list
from netsim.model.scenario import (
    CongestionControl,
    Profile,
    RetryPolicy,
    TrafficClass,
    TrafficKind,
    Transfer,
)
from netsim.model.units import (
    non_negative,
    parse_bitrate,
    parse_duration,
    parse_event_rate,
    parse_size,
    parse_volume_rate,
    positive,
)

if TYPE_CHECKING:
    from netsim.model.source import KeyPath, Reader, YamlMap

TRAFFIC_KEYS = (
    "name",
    "kind",
    "from",
    "to",
    "rate",
    "profile",
    "request_size",
    "response_size",
    "size",
    "server_time",
    "timeout",
    "retries",
    "volume",
    "transfers",
    "transfer_size",
    "max_rate",
    "streams",
    "window",
    "cc",
    "start",
    "stop",
    "description",
)
RETRY_KEYS = ("attempts", "per_try_timeout", "backoff")


def read_classes(r: Reader, raw_traffic: Any, nodes: set[str]) -> list[TrafficClass]:
    """Every traffic class, with unique names."""
    classes: list[TrafficClass] = []
    if not isinstance(raw_traffic, list):
        r.error(("traffic",), "expected a list of traffic classes")
        raw_traffic = []
    for i, raw in enumerate(raw_traffic):
        cls = _traffic(r, raw, ("traffic", i), nodes)
        if cls is not None:
            if cls.name in {c.name for c in classes}:
                r.error(("traffic", i, "name"), f"duplicate traffic class {cls.name!r}")
            classes.append(cls)
    return classes


def read_retries(r: Reader, raw: Any, path: KeyPath) -> RetryPolicy:
    m = r.mapping(raw, path, RETRY_KEYS)
    attempts = r.get(m, path, "attempts", _int, 1) or 1
    if attempts < 1:
        r.error((*path, "attempts"), "must be at least 1")
    return RetryPolicy(
        attempts=attempts,
        per_try_timeout=r.get(m, path, "per_try_timeout", positive(parse_duration)),
        backoff=r.get(m, path, "backoff", non_negative(parse_duration), 0.025) or 0.0,
    )


def _traffic(r: Reader, raw: Any, path: KeyPath, nodes: set[str]) -> TrafficClass | None:
    m = r.mapping(raw, path, TRAFFIC_KEYS)
    if not m:
        return None
    name = r.get(m, path, "name", _name, required=True) or "unnamed"
    kind = r.get(m, path, "kind", _enum(TrafficKind), required=True) or TrafficKind.ONE_WAY
    src = r.get(m, path, "from", str, required=True) or "?"
    dsts = r.get(m, path, "to", _str_list, required=True) or ()
    for key, names in (("from", (src,)), ("to", dsts)):
        for node in names:
            if node != "?" and node not in nodes:
                r.error((*path, key), f"unknown node {node!r}")
    if src in dsts:
        r.error((*path, "to"), "a class cannot send to its own source")
    fields = (
        _bulk_fields(r, m, path) if kind is TrafficKind.BULK else _packet_fields(r, m, path, kind)
    )
    if m.get("profile") is not None:
        fields["profile"] = _profile(r, m["profile"], (*path, "profile"))
    fields["start"] = r.get(m, path, "start", non_negative(parse_duration), 0.0) or 0.0
    fields["stop"] = r.get(m, path, "stop", positive(parse_duration))
    fields = {k: v for k, v in fields.items() if v is not None}
    return TrafficClass(name=name, kind=kind, src=src, dsts=dsts, **fields)


def _bulk_fields(r: Reader, m: YamlMap, path: KeyPath) -> YamlMap:
    """The keys of a bulk class: a volume or a list of transfers, and a rate cap."""
    fields: YamlMap = {}  # TrafficClass keyword arguments, each parsed by r
    if "volume" in m and "transfers" in m:
        r.error((*path, "volume"), "give either volume or transfers, not both")
    if "volume" not in m and "transfers" not in m:
        r.error((*path, "volume"), "a bulk class needs volume (e.g. 10TB/month) or transfers")
    fields["volume_rate"] = r.get(m, path, "volume", parse_volume_rate, 0.0) or 0.0
    fields["max_rate"] = r.get(m, path, "max_rate", positive(parse_bitrate), 10e9) or 10e9
    fields["transfer_size"] = r.get(m, path, "transfer_size", positive(parse_size))
    fields["streams"] = r.get(m, path, "streams", _count(1), 1)
    fields["window"] = r.get(m, path, "window", positive(parse_size))
    fields["cc"] = r.get(m, path, "cc", _enum(CongestionControl))
    transfers = []
    raw_t = m.get("transfers") or []
    if not isinstance(raw_t, list):
        r.error((*path, "transfers"), "expected a list of {at, size}")
        raw_t = []
    for j, item in enumerate(raw_t):
        tp = (*path, "transfers", j)
        t = r.mapping(item, tp, ("at", "size"))
        transfers.append(
            Transfer(
                r.get(t, tp, "at", non_negative(parse_duration), 0.0) or 0.0,
                r.get(t, tp, "size", positive(parse_size), required=True) or 1.0,
            )
        )
    fields["transfers"] = tuple(transfers)
    for bad in ("rate", "request_size", "response_size", "size", "server_time", "retries"):
        if bad in m:
            r.error((*path, bad), "not used by a bulk class")
    return fields


def _packet_fields(r: Reader, m: YamlMap, path: KeyPath, kind: TrafficKind) -> YamlMap:
    """The keys of a packet class: a rate, sizes (and server time, retries), a timeout."""
    fields: YamlMap = {}  # TrafficClass keyword arguments, each parsed by r
    fields["rate"] = r.get(m, path, "rate", positive(parse_event_rate), 1.0, required=True) or 1.0
    if kind is TrafficKind.REQUEST_RESPONSE:
        fields["request_size"] = r.get(m, path, "request_size", parse_size_dist, required=True)
        fields["response_size"] = r.get(m, path, "response_size", parse_size_dist, required=True)
        fields["server_time"] = r.get(m, path, "server_time", parse_duration_dist)
        if "retries" in m:
            fields["retries"] = read_retries(r, m["retries"], (*path, "retries"))
        if "size" in m:
            r.error((*path, "size"), "request-response classes use request_size/response_size")
    else:
        fields["size"] = r.get(m, path, "size", parse_size_dist, required=True)
    for bad in ("volume", "transfers", "max_rate", "transfer_size", "streams", "window", "cc"):
        if bad in m:
            r.error((*path, bad), "only bulk classes take this key")
    fields["timeout"] = r.get(m, path, "timeout", positive(parse_duration), 2.0)
    return fields


def _profile(r: Reader, raw: Any, pp: KeyPath) -> Profile:
    p = r.mapping(raw, pp, ("kind", "peak_to_mean", "peak_at"))
    if p.get("kind", "diurnal") != "diurnal":
        r.error((*pp, "kind"), "unknown profile kind (expected diurnal)")
    peak = r.get(p, pp, "peak_to_mean", float, 2.0) or 2.0
    if peak < 1.0:
        r.error((*pp, "peak_to_mean"), "must be at least 1")
    return Profile(peak, r.get(p, pp, "peak_at", parse_duration, 50400.0) or 0.0)


__all__ = ["TRAFFIC_KEYS", "read_classes", "read_retries"]

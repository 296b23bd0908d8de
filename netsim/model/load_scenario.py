"""YAML -> :class:`~netsim.model.scenario.Scenario`, with ``--set`` overrides.

Like the topology loader, it collects every problem before raising one
:class:`~netsim.errors.InputError`. The scenario's ``topology:`` path is relative to the
scenario file. Overrides (``--set traffic.api.rate=2000000/day``) are applied to the parsed
YAML before validation; list items are addressed by their ``name`` or by index, and a
``topology.`` prefix reaches into the topology file (``topology.links.vpn-aws-gcp.capacity``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.errors import InputError, ModelError
from netsim.model.dist import parse_duration_dist
from netsim.model.load_topology import (
    _count,
    _int,
    _name,
    read_topology,
)
from netsim.model.load_traffic import read_classes, read_retries
from netsim.model.overrides import apply_override, apply_overrides, parse_override
from netsim.model.scenario import (
    DAY_S,
    DEFAULT_SLO_WINDOW,
    Failure,
    FailureMode,
    Mesh,
    Profile,
    Scenario,
    Slo,
    TargetKind,
    TrafficClass,
    TrafficKind,
)
from netsim.model.source import KeyPath, Reader, YamlMap, load_yaml, parse_yaml
from netsim.model.units import (
    non_negative,
    parse_bitrate,
    parse_duration,
    parse_target_duration,
    positive,
)

if TYPE_CHECKING:
    from netsim.model.topology import Topology

TOP_KEYS = (
    "name",
    "description",
    "topology",
    "topology_overrides",
    "duration",
    "warmup",
    "seed",
    "traffic",
    "failures",
    "slos",
    "mesh",
    "start",
)
FAILURE_KEYS = ("link", "node", "group", "at", "duration", "mode", "repeat", "every", "random")
SLO_KEYS = ("name", "class", "metric", "quantile", "max", "min", "window")
WINDOWED = ("latency", "success_ratio")  # the metrics judged per window


def looks_like_topology(data: object) -> bool:
    """A parsed file that is a topology (nodes or links, and no ``topology:`` of its own),
    given where a scenario was expected.

    >>> looks_like_topology({"name": "t", "links": []}), looks_like_topology({"topology": "t"})
    (True, False)
    """
    return (
        isinstance(data, dict) and "topology" not in data and ("nodes" in data or "links" in data)
    )


def _ratio(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {value!r}")
    return number


METRICS = {
    "latency": parse_target_duration,
    "failover_gap": parse_target_duration,
    "success_ratio": _ratio,
    "throughput": parse_bitrate,
}


def _failures(r: Reader, raw: Any, names: dict[str, set[str]]) -> tuple[list[Failure], bool]:
    out: list[Failure] = []
    random_on = False
    if not isinstance(raw, list):
        r.error(("failures",), "expected a list")
        return out, False
    for i, item in enumerate(raw):
        path: KeyPath = ("failures", i)
        m = r.mapping(item, path, FAILURE_KEYS)
        if m.get("random") is not None:
            random_on = m["random"] is True
            if set(m) - {"random"}:
                r.error(path, "a {random: true} entry takes no other keys")
            continue
        targets = [k for k in ("link", "node", "group") if k in m]
        if len(targets) != 1:
            r.error(path, "name exactly one of link, node, group (or random: true)")
            continue
        target = TargetKind(targets[0])
        name = str(m[target.value])
        if name not in names[target.value]:
            r.error((*path, target.value), f"unknown {target.value} {name!r}")
        mode, loss = _failure_mode(r, str(m.get("mode", "down")), (*path, "mode"))
        at = r.get(m, path, "at", non_negative(parse_duration), 0.0, required=True) or 0.0
        duration = r.get(m, path, "duration", positive(parse_duration))
        repeat = r.get(m, path, "repeat", _int, 1) or 1
        every = r.get(m, path, "every", positive(parse_duration))
        if repeat > 1 and (every is None or duration is None or every <= duration):
            r.error((*path, "every"), "repeat needs a duration and an 'every' longer than it")
            repeat = 1
        for k in range(max(repeat, 1)):
            out.append(Failure(target, name, at + k * (every or 0.0), duration, mode, loss))
    return out, random_on


def _failure_mode(r: Reader, raw_mode: str, path: KeyPath) -> tuple[FailureMode, float]:
    """``down``, ``blackhole`` or ``loss:P`` as (mode, P); an unknown mode is an error."""
    mode, loss = FailureMode.DOWN, 0.0
    if raw_mode.startswith("loss:"):
        mode = FailureMode.LOSS
        try:
            loss = _ratio(raw_mode.partition(":")[2])
        except ValueError:
            r.error(path, f"bad loss probability in {raw_mode!r}")
    elif raw_mode in ("down", "blackhole"):
        mode = FailureMode(raw_mode)
    else:
        r.error(path, f"unknown mode {raw_mode!r} (down, blackhole, loss:P)")
    return mode, loss


def _slo(r: Reader, raw: Any, path: KeyPath, classes: dict[str, TrafficKind]) -> Slo | None:
    m = r.mapping(raw, path, SLO_KEYS)
    if not m:
        return None
    metric = r.get(m, path, "metric", str, required=True) or "latency"
    if metric not in METRICS:
        r.error((*path, "metric"), f"unknown metric {metric!r} (expected {', '.join(METRICS)})")
        return None
    cls = r.get(m, path, "class", str)
    if cls is not None and cls not in classes:
        r.error((*path, "class"), f"unknown traffic class {cls!r}")
    elif cls is not None and (metric == "throughput") != (classes[cls] is TrafficKind.BULK):
        r.error(
            (*path, "class"),
            f"{cls} is a {classes[cls].value} class: "
            + (
                "a throughput SLO judges bulk transfers"
                if metric == "throughput"
                else f"a {metric} SLO judges requests or datagrams (a bulk class has a "
                "throughput SLO)"
            ),
        )
    if metric != "failover_gap" and cls is None:
        r.error((*path, "class"), f"a {metric} SLO needs a traffic class")
    quantile = r.get(m, path, "quantile", _ratio)
    if metric == "latency" and quantile is None and "quantile" not in m:
        r.error((*path, "quantile"), "a latency SLO needs a quantile (e.g. 0.95)")
    parse: Any = METRICS[metric]
    window, monthly = _window(r, m, path, metric)
    slo = Slo(
        name=r.get(m, path, "name", str, required=True) or metric,
        metric=metric,
        traffic_class=cls,
        quantile=quantile,
        max=r.get(m, path, "max", parse),
        min=r.get(m, path, "min", parse),
        window=window,
        monthly=monthly,
    )
    if "max" not in m and "min" not in m:
        r.error(path, "an SLO needs max or min")
    return slo


def _window(r: Reader, m: YamlMap, path: KeyPath, metric: str) -> tuple[float | None, bool]:
    """An SLO's ``window``: a duration or ``month`` (latency and success SLOs only)."""
    raw = m.get("window")
    if metric not in WINDOWED:
        if raw is not None:
            r.error(
                (*path, "window"),
                f"a {metric} SLO has no window (only latency and success_ratio SLOs are "
                "judged per window)",
            )
        return None, False
    if raw == "month":
        return None, True
    if isinstance(raw, str) and not any(ch.isdigit() for ch in raw):
        r.error((*path, "window"), f"expected a duration such as 5m or 1h, or month; got {raw!r}")
        return DEFAULT_SLO_WINDOW, False
    window = r.get(m, path, "window", positive(parse_duration))
    return (DEFAULT_SLO_WINDOW if window is None else window), False


def parse_time_of_day(value: object) -> float:
    """``"14:00"`` or ``"14:30:15"`` (a time of day), or a duration after midnight
    (``"14h"``, a number of seconds), as seconds after midnight in ``[0, 24 h)``.

    >>> parse_time_of_day("14:00"), parse_time_of_day("09:30:30"), parse_time_of_day("2h")
    (50400.0, 34230.0, 7200.0)
    """
    if isinstance(value, str) and ":" in value:
        parts = value.strip().split(":")
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValueError(f"expected a time of day HH:MM or HH:MM:SS, got {value!r}")
        h, mi, sec = (int(p) for p in (*parts, "0")[:3])
        if mi >= 60 or sec >= 60:  # noqa: PLR2004
            raise ValueError(f"minutes and seconds must be below 60, got {value!r}")
        seconds = float(3600 * h + 60 * mi + sec)
    else:
        seconds = parse_duration(value)
    if not 0.0 <= seconds < DAY_S:
        raise ValueError(f"a time of day must be from 00:00 to 23:59:59, got {value!r}")
    return seconds


def _on_the_clock(classes: list[TrafficClass], start: float) -> list[TrafficClass]:
    """Classes whose diurnal profile is in run time: the run starts at ``start`` o'clock."""
    import dataclasses

    return [
        c
        if c.profile is None
        else dataclasses.replace(
            c, profile=Profile(c.profile.peak_to_mean, (c.profile.peak_at - start) % DAY_S)
        )
        for c in classes
    ]


def load_scenario(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    text: str | None = None,
    topology_text: str | None = None,
) -> Scenario:
    """Load and validate a scenario and its topology; every problem is reported at once.

    A bad ``--set`` value is reported as ``--set KEY=VALUE: key: problem``. ``text`` and
    ``topology_text``, when given, are the YAML of the scenario (named ``path`` in
    messages) and of its topology, read instead of the files (a run directory's
    ``scenario.yaml`` and ``topology.yaml`` before they are written).
    """
    doc = load_yaml(path) if text is None else parse_yaml(text, str(path))
    parsed = [parse_override(o) for o in overrides]
    origins = [(f"--set {o.strip()}", 0) for o in overrides]
    local = [i for i, (k, _) in enumerate(parsed) if not k.startswith("topology.")]
    apply_overrides(doc, [parsed[i] for i in local], [origins[i] for i in local])
    r = Reader(doc)
    data = doc.data
    if looks_like_topology(data):
        r.error(
            ("nodes" if "nodes" in data else "links",),
            "this is a topology file; a scenario was expected (a scenario names its topology "
            "with topology: PATH, e.g. the ones in scenarios/)",
        )
        r.raise_if_errors()
    top = r.mapping(doc.data, (), TOP_KEYS)
    topology, errors = _topology(r, top, Path(path), parsed, origins=origins, given=topology_text)
    nodes = set(topology.node_names) if topology else set()
    names = {
        "link": {x.name for x in topology.links} if topology else set(),
        "node": nodes,
        "group": {g.name for g in topology.groups} if topology else set(),
    }
    if topology is None:
        names = {k: _Anything() for k in names}
        nodes = _Anything()
    classes = read_classes(r, top.get("traffic") or [], nodes)
    failures, random_on = _failures(r, top.get("failures") or [], names)
    slos = [
        s
        for i, raw in enumerate(top.get("slos") or [])
        if (s := _slo(r, raw, ("slos", i), {c.name: c.kind for c in classes})) is not None
    ]
    mesh_raw = r.mapping(top.get("mesh"), ("mesh",), ("sidecar_latency", "retries"))
    mesh = Mesh(
        sidecar_latency=r.get(mesh_raw, ("mesh",), "sidecar_latency", parse_duration_dist),
        retries=read_retries(r, mesh_raw.get("retries"), ("mesh", "retries")),
    )
    duration = r.get(top, (), "duration", positive(parse_duration), 60.0, required=True) or 60.0
    warmup = r.get(top, (), "warmup", non_negative(parse_duration), 0.0) or 0.0
    if warmup >= duration:
        r.error(("warmup",), "warmup must be shorter than the duration")
    set_by = next(
        (o for (k, _), (o, _) in zip(parsed, origins, strict=True) if k == "duration"), ""
    )
    for i, f in enumerate(failures):
        if f.at >= duration:
            r.error(
                ("failures", i, "at"),
                f"failure {i} on {f.name} starts at {f.at:g} s, after the run ends "
                f"({duration:g} s{f', as {set_by} makes it' if set_by else ''})",
            )
    seed = r.get(top, (), "seed", _count(0), 1) or 0  # numpy's seed sequences: not negative
    start = r.get(top, (), "start", parse_time_of_day, 0.0) or 0.0
    r.errors.extend(errors)
    r.raise_if_errors()
    assert topology is not None
    return Scenario(
        name=r.get(top, (), "name", _name, required=True) or "unnamed",
        topology=topology,
        duration=duration,
        warmup=warmup,
        seed=seed,
        traffic=tuple(_on_the_clock(classes, start)),
        failures=tuple(failures),
        random_failures=random_on,
        slos=tuple(slos),
        mesh=mesh,
        description=str(top.get("description") or ""),
        source=str(path),
        start=start,
    )


def _topology(
    r: Reader,
    top: YamlMap,
    path: Path,
    parsed: list[tuple[str, Any]],
    *,
    origins: list[tuple[str, int]],
    given: str | None = None,
) -> tuple[Topology | None, list[ModelError]]:
    """The scenario's topology with its overrides, or None and the errors of its file."""
    topo_ref = r.get(top, (), "topology", str, required=True)
    topology = None
    errors: list[ModelError] = []
    if topo_ref is not None:
        topo_path = path.parent / topo_ref
        try:
            topo_doc = (
                load_yaml(topo_path, label=str(topo_path))
                if given is None
                else parse_yaml(given, str(topo_path))
            )
            local = r.mapping(
                top.get("topology_overrides"),
                ("topology_overrides",),
                tuple(top.get("topology_overrides") or {}),
            )
            for key, value in local.items():
                where = (r.doc.path, r.doc.line(("topology_overrides", key)))
                try:
                    apply_override(topo_doc, key, value, where)
                except KeyError as exc:
                    r.error(("topology_overrides", key), exc.args[0])
            mine = [i for i, (k, _) in enumerate(parsed) if k.startswith("topology.")]
            apply_overrides(
                topo_doc,
                [(parsed[i][0][len("topology.") :], parsed[i][1]) for i in mine],
                [origins[i] for i in mine],
            )
            topology = read_topology(topo_doc)
        except InputError as exc:
            if any(e.message == "file not found" for e in exc.errors):
                r.error(("topology",), f"topology file not found: {topo_path}")
            else:
                errors.extend(exc.errors)
    return topology, errors


class _Anything(set[str]):
    """Stands in for the name sets when the topology could not be read (no cascading errors)."""

    def __contains__(self, item: object) -> bool:
        return True

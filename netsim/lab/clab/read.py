"""Reading containerlab topology files into typed, frozen values.

:func:`load_clab` reads a ``*.clab.yml`` made of ``kind: linux`` nodes, checks it against
containerlab's schema and against the stricter rules containerlab applies when it deploys (a
brief link has exactly two ``node:interface`` endpoints, an extended link has no undocumented
keys, endpoints name declared nodes, an interface is used once), plus what the netns deployer
needs (only ``linux`` nodes and ``veth`` links, existing bind sources, readable link
parameters). Every problem is collected and raised as one :class:`~netsim.errors.InputError`
listing ``file:line: key: message`` items, exit status 2.

Node settings resolve as containerlab does: ``defaults`` < ``kinds.<kind>`` < ``groups.<group>``
< the node itself. The management network (``mgmt``, ``mgmt-ipv4``...) is ignored: lab
namespaces have no management interface.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netsim.errors import InputError, ModelError
from netsim.lab.clab.params import LinkParams, parse_link_params
from netsim.lab.clab.schema import read_clab_yaml, schema_errors
from netsim.model.source import Document, KeyPath, format_path

#: Keys containerlab accepts on each link form (the schema is looser for extended links).
BRIEF_LINK_KEYS = frozenset({"endpoints", "mtu", "vars", "ipv4", "ipv6"})
VETH_LINK_KEYS = frozenset({"type", "endpoints", "mtu", "vars", "labels", "ipv4", "ipv6"})
#: Programs a node's ``exec`` list may run here (each as an argv list, never through a shell).
EXEC_PROGRAMS = frozenset({"ip", "sysctl"})
IFNAME_MAX = 15
LINK_ENDPOINTS = 2  # a veth link joins exactly two interfaces
DEFAULT_PREFIX = "clab"


@dataclass(frozen=True, slots=True)
class Bind:
    """A ``source:target[:mode]`` bind; ``source`` is resolved against the file's folder."""

    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class ClabNode:
    """One node of the lab: what it runs comes from its binds (FRR, strongSwan files)."""

    name: str
    kind: str
    image: str | None = None
    binds: tuple[Bind, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    exec: tuple[tuple[str, ...], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    vars: dict[str, object] = field(default_factory=dict)  # config vars, as read
    sysctls: dict[str, str] = field(default_factory=dict)

    def bind_for(self, target: str) -> Bind | None:
        """The bind whose target is ``target``, if any."""
        return next((b for b in self.binds if b.target.rstrip("/") == target), None)

    @property
    def role(self) -> str | None:
        return self.labels.get("netsim-role")


@dataclass(frozen=True, slots=True)
class Endpoint:
    node: str
    interface: str
    ipv4: str | None = None
    mac: str | None = None

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True, slots=True)
class ClabLink:
    """A point-to-point link; ``name`` is ``vars.name`` or derived from the endpoints."""

    name: str
    a: Endpoint
    b: Endpoint
    params: LinkParams = field(default_factory=LinkParams)
    mtu: int | None = None

    @property
    def endpoints(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass(frozen=True, slots=True)
class ClabTopology:
    """A whole containerlab file: name, nodes by name and links in file order."""

    name: str
    path: Path
    nodes: dict[str, ClabNode]
    links: tuple[ClabLink, ...]
    prefix: str = DEFAULT_PREFIX

    def namespace(self, node: str) -> str:
        """The network namespace of ``node``: ``clab-<lab>-<node>`` as containerlab names it."""
        if not self.prefix:
            return node
        if self.prefix == "__lab-name":
            return f"{self.name}-{node}"
        return f"{self.prefix}-{self.name}-{node}"

    def link(self, name: str) -> ClabLink:
        for link in self.links:
            if link.name == name:
                return link
        raise KeyError(name)

    def links_of(self, node: str) -> list[ClabLink]:
        return [lk for lk in self.links if node in (lk.a.node, lk.b.node)]


def load_clab(path: str | Path) -> ClabTopology:
    """Read and check a containerlab file; raise InputError listing every problem."""
    path = Path(path)
    doc = read_clab_yaml(path)
    errors = doc.errors + schema_errors(doc)
    if not isinstance(doc.data, dict):
        raise InputError(errors or [ModelError(doc.path, 0, "", "not a containerlab topology")])
    reader = _Reader(path, doc)
    try:
        topology = reader.topology(doc.data)
    except (TypeError, AttributeError, KeyError, ValueError):
        if not errors:
            raise
        # The schema errors already explain why the file cannot be read further.
    problems = list(dict.fromkeys(errors + reader.errors))
    if problems:
        raise InputError(problems)
    return topology


class _Reader:
    """Builds the typed topology while collecting every problem it meets."""

    def __init__(self, path: Path, doc: Document) -> None:
        self.path = path
        self.doc = doc
        self.errors: list[ModelError] = []

    def error(self, key: KeyPath, message: str) -> None:
        self.errors.append(ModelError(self.doc.path, self.doc.line(key), format_path(key), message))

    # The raw YAML, before validation: shapes are checked as it is read.
    def topology(self, data: dict[str, Any]) -> ClabTopology:
        topo = data.get("topology") or {}
        nodes = {
            name: self.node(name, spec or {}, topo)
            for name, spec in (topo.get("nodes") or {}).items()
        }
        read = [(i, self.link(i, spec, nodes)) for i, spec in enumerate(topo.get("links") or [])]
        links = [(i, link) for i, link in read if link is not None]
        self.check_links(links)
        return ClabTopology(
            str(data["name"]),
            self.path,
            nodes,
            tuple(link for _, link in links),
            str(data.get("prefix", DEFAULT_PREFIX)),
        )

    def node(self, name: str, spec: dict[str, Any], topo: dict[str, Any]) -> ClabNode:  # raw
        key: KeyPath = ("topology", "nodes", name)
        defaults = topo.get("defaults") or {}
        group = (topo.get("groups") or {}).get(spec.get("group", defaults.get("group")), {}) or {}
        kind = spec.get("kind") or group.get("kind") or defaults.get("kind")
        kind_spec = (topo.get("kinds") or {}).get(kind, {}) or {}
        layers = [defaults, kind_spec, group, spec]

        def pick(field_name: str) -> Any:
            for layer in reversed(layers):
                if field_name in layer:
                    return layer[field_name]
            return None

        def merged(field_name: str) -> dict[str, object]:
            out: dict[str, object] = {}
            for layer in layers:
                out.update(layer.get(field_name) or {})
            return out

        if kind != "linux":
            self.error((*key, "kind"), f"kind {kind!r} is not supported here; use kind: linux")
        return ClabNode(
            name=name,
            kind=str(kind),
            image=pick("image"),
            binds=tuple(self.bind(key, i, b) for i, b in enumerate(pick("binds") or [])),
            env={k: str(v) for k, v in merged("env").items()},
            exec=tuple(self.exec_argv(key, i, c) for i, c in enumerate(pick("exec") or [])),
            labels={k: str(v) for k, v in merged("labels").items()},
            vars=dict(((pick("config") or {}).get("vars")) or {}),
            sysctls={k: str(v) for k, v in merged("sysctls").items()},
        )

    def bind(self, node_key: KeyPath, index: int, text: str) -> Bind:
        key = (*node_key, "binds", index)
        parts = str(text).split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
            self.error(key, f"expected source:/target[:ro], got {text!r}")
            return Bind(Path(), "")
        source = (self.path.parent / parts[0]).resolve()
        if not source.exists():
            self.error(key, f"bind source {parts[0]!r} does not exist next to this file")
        options = parts[2].split(",") if parts[2:] else []
        return Bind(source, parts[1], "ro" in options)

    def exec_argv(self, node_key: KeyPath, index: int, command: Any) -> tuple[str, ...]:
        key = (*node_key, "exec", index)
        try:
            argv = tuple(shlex.split(str(command)))
        except ValueError as exc:
            self.error(key, f"cannot split command: {exc}")
            return ()
        if not argv or argv[0] not in EXEC_PROGRAMS:
            self.error(key, f"only {', '.join(sorted(EXEC_PROGRAMS))} commands are run here")
        return argv

    # spec: the raw YAML of one link, before validation
    def link(self, index: int, spec: dict[str, Any], nodes: dict[str, ClabNode]) -> ClabLink | None:
        key: KeyPath = ("topology", "links", index)
        link_type = spec.get("type")
        allowed = BRIEF_LINK_KEYS if link_type is None else VETH_LINK_KEYS
        if link_type not in (None, "veth"):
            self.error((*key, "type"), f"link type {link_type!r} is not supported here")
            return None
        for extra in sorted(set(spec) - allowed):
            self.error((*key, extra), "unknown key (containerlab rejects it)")
        raw = spec.get("endpoints") or []
        if len(raw) != LINK_ENDPOINTS:
            self.error((*key, "endpoints"), f"a link needs exactly two endpoints, got {len(raw)}")
            return None
        addresses = list(spec.get("ipv4") or [])
        ends = []
        for i, item in enumerate(raw):
            end_key = (*key, "endpoints", i)
            if isinstance(item, str):
                node, _, ifname = item.partition(":")
                if not node or not ifname or ":" in ifname:
                    self.error(end_key, f"expected node:interface, got {item!r}")
                    return None
                ends.append(Endpoint(node, ifname, addresses[i] if i < len(addresses) else None))
            else:
                ends.append(
                    Endpoint(item["node"], item["interface"], item.get("ipv4"), item.get("mac"))
                )
            if ends[-1].node not in nodes:
                self.error(end_key, f"unknown node {ends[-1].node!r}")
            if len(ends[-1].interface) > IFNAME_MAX:
                self.error(end_key, f"interface name longer than {IFNAME_MAX} characters")
        vars_ = spec.get("vars") or {}
        params, problems = parse_link_params(vars_)
        for problem in problems:
            self.error((*key, "vars", *problem.key.split(".")), str(problem))
        name = str(vars_.get("name") or f"{ends[0].node}-{ends[1].node}")
        return ClabLink(name, ends[0], ends[1], params, spec.get("mtu"))

    def check_links(self, links: list[tuple[int, ClabLink]]) -> None:
        seen_ends: dict[tuple[str, str], int] = {}
        seen_names: dict[str, int] = {}
        for index, link in links:
            key: KeyPath = ("topology", "links", index)
            if link.name in seen_names:
                self.error(key, f"link name {link.name!r} used twice (set vars.name)")
            seen_names[link.name] = index
            for end in link.endpoints:
                ident = (end.node, end.interface)
                if ident in seen_ends:
                    self.error(key, f"interface {end} is already used by another link")
                seen_ends[ident] = index

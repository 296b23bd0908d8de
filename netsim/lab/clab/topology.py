"""A containerlab file as typed, frozen values: nodes, links, binds and commands.

These are what :func:`netsim.lab.clab.read.load_clab` returns and what the deployer, the
daemons and the faults read. Node settings are already resolved the way containerlab
resolves them (``defaults`` < ``kinds`` < ``groups`` < the node, see
:mod:`netsim.lab.clab.nodes`); commands are already parsed and checked
(:mod:`netsim.lab.clab.execs`), so nothing downstream looks at raw YAML.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from netsim.lab.clab.params import LinkParams

DEFAULT_PREFIX = "clab"
#: containerlab's kind for a Linux bridge that links attach to (here: in its own namespace).
BRIDGE_KIND = "bridge"
#: containerlab names a lab's directory ``clab-<lab>``; its ``__clabLabName__`` is that name.
LAB_DIR_PREFIX = "clab-"


class Stage(enum.Enum):
    """containerlab's node stages, in the order a deploy passes them."""

    CREATE = "create"
    CREATE_LINKS = "create-links"
    CONFIGURE = "configure"
    #: the node's plain ``exec`` list: after ``configure``, as containerlab runs it
    EXEC = "exec"
    HEALTHY = "healthy"
    EXIT = "exit"


class Phase(enum.Enum):
    ON_ENTER = "on-enter"
    ON_EXIT = "on-exit"


@dataclass(frozen=True, slots=True)
class Bind:
    """A ``source:target[:options]`` bind; ``source`` is resolved against the file's folder."""

    source: Path
    target: str
    read_only: bool = False

    def resolve(self, target: str) -> Path | None:
        """Where ``target`` (a path inside the node) comes from through this bind, if it does.

        A file bind answers for its own target; a directory bind for anything below it
        (``router1:/etc/frr`` answers ``/etc/frr/frr.conf`` with ``router1/frr.conf``).
        """
        mine, wanted = PurePosixPath(self.target), PurePosixPath(target)
        if wanted == mine:
            return self.source
        if self.source.is_dir() and mine in wanted.parents:
            return self.source / wanted.relative_to(mine)
        return None


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a node: a plain ``exec`` entry or a stage's ``exec``.

    ``steps`` are the argv lists it runs (a ``sh -c`` script is split into its simple
    commands, see :mod:`netsim.lab.clab.execs`); ``text`` is the command as written.
    """

    text: str
    steps: tuple[tuple[str, ...], ...]
    stage: Stage = Stage.EXEC
    phase: Phase = Phase.ON_ENTER
    line: int = 0  # where the file says it, for the error if it fails
    key: str = ""


#: Where a container of an FRR image keeps its config and its daemons file.
FRR_CONF = "/etc/frr/frr.conf"
FRR_DAEMONS = "/etc/frr/daemons"
#: The places in a node whose files netsim reads (FRR's and strongSwan's configuration); a
#: bind elsewhere would reach a container's programs, which a namespace does not have.
READ_PLACES = tuple(
    map(PurePosixPath, ("/etc/frr", "/etc/swanctl", "/etc/strongswan.conf", "/etc/strongswan.d"))
)


@dataclass(frozen=True, slots=True)
class ClabNode:
    """One node of the lab: what it runs comes from its binds (FRR, strongSwan files)."""

    name: str
    kind: str
    image: str | None = None
    group: str | None = None
    binds: tuple[Bind, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    commands: tuple[Command, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    vars: dict[str, object] = field(default_factory=dict)  # config vars, merged as read
    sysctls: dict[str, str] = field(default_factory=dict)
    hostname: str | None = None  # containerlab's ``hostname`` (node, group, kind, defaults)

    @property
    def host_name(self) -> str:
        """The hostname its container would have: ``hostname`` if set, else the node's name."""
        return self.hostname or self.name

    def bind_for(self, target: str) -> Path | None:
        """The host file that appears at ``target`` inside the node, if a bind provides it.

        Like a container's mounts, the deepest bind wins (a file bind inside a bound
        directory overrides that directory's file).
        """
        best: tuple[int, Path] | None = None
        for bind in self.binds:
            source = bind.resolve(target)
            depth = len(PurePosixPath(bind.target).parts)
            if source is not None and (best is None or depth > best[0]):
                best = (depth, source)
        return None if best is None else best[1]

    def provides(self, target: str) -> bool:
        """True if a bind puts an existing file at ``target``."""
        source = self.bind_for(target)
        return source is not None and source.is_file()

    def unread_binds(self) -> tuple[str, ...]:
        """Targets of binds netsim reads nothing through (``/etc/network/interfaces``,
        ``/lib/modules``): no file of FRR's or strongSwan's is at or below them, nor are
        they below such a place (a bind of ``/etc`` still gives ``/etc/frr``). A
        strongSwan ``include`` may still read one: the note says "may"."""
        unread = []
        for bind in self.binds:
            mine = PurePosixPath(bind.target)
            if not any(mine == p or mine in p.parents or p in mine.parents for p in READ_PLACES):
                unread.append(bind.target)
        return tuple(unread)

    @property
    def runs_frr(self) -> bool:
        """A node runs FRR when a bind gives it FRR's config or its daemons file (an FRR
        image configured by ``vtysh`` commands in ``exec``, as containerlab's own examples
        do, binds the daemons file alone)."""
        return self.provides(FRR_CONF) or self.provides(FRR_DAEMONS)

    def commands_at(self, stage: Stage, phase: Phase = Phase.ON_ENTER) -> tuple[Command, ...]:
        return tuple(c for c in self.commands if c.stage is stage and c.phase is phase)

    @property
    def exec(self) -> tuple[tuple[str, ...], ...]:
        """The argv steps of the node's plain ``exec`` list."""
        return tuple(s for c in self.commands_at(Stage.EXEC) for s in c.steps)

    @property
    def role(self) -> str | None:
        return self.labels.get("netsim-role")


@dataclass(frozen=True, slots=True)
class Endpoint:
    node: str
    interface: str
    ipv4: str | None = None
    mac: str | None = None
    ipv6: str | None = None

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True, slots=True)
class ClabLink:
    """A point-to-point link; ``name`` is ``vars.name`` or derived from the endpoints.

    ``params`` is what the link's ``vars`` say (netsim's model data); ``shaping`` is what
    each direction does to packets (index 0: frames leaving ``a``), which is ``params``
    unless a ``containerlab tools netem set`` command of the file impairs that interface,
    as it would on a containerlab host.
    """

    name: str
    a: Endpoint
    b: Endpoint
    params: LinkParams = field(default_factory=LinkParams)
    mtu: int | None = None
    shaping: tuple[LinkParams, LinkParams] | None = None

    @property
    def endpoints(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)

    def egress(self, end: int) -> LinkParams:
        """What happens to frames sent out of end ``end`` (0: ``a``, 1: ``b``)."""
        return self.params if self.shaping is None else self.shaping[end]

    @property
    def impaired(self) -> bool:
        return self.egress(0).impaired or self.egress(1).impaired

    @property
    def symmetric(self) -> bool:
        return self.egress(0) == self.egress(1)


@dataclass(frozen=True, slots=True)
class ClabTopology:
    """A whole containerlab file: name, nodes by name and links in file order.

    ``name`` is the lab's name (the file's, or the ``--name`` it was deployed with);
    ``file_name`` is always the file's own.
    """

    name: str
    path: Path
    nodes: dict[str, ClabNode]
    links: tuple[ClabLink, ...]
    prefix: str = DEFAULT_PREFIX
    file_name: str = ""
    vars_files: tuple[Path, ...] = ()  # a template's --vars, read again with the file

    def namespace(self, node: str) -> str:
        """The network namespace of ``node``: ``clab-<lab>-<node>`` as containerlab names it."""
        if not self.prefix:
            return node
        if self.prefix == "__lab-name":
            return f"{self.name}-{node}"
        return f"{self.prefix}-{self.name}-{node}"

    def link(self, name: str) -> ClabLink:
        """A link by name, or by one of its ends written ``node:interface``."""
        for link in self.links:
            if link.name == name:
                return link
        for link in self.links:
            if name in (str(link.a), str(link.b)):
                return link
        raise KeyError(name)

    def links_of(self, node: str) -> list[ClabLink]:
        return [lk for lk in self.links if node in (lk.a.node, lk.b.node)]

"""The per-lab state file: a journal of everything a deploy creates.

Each creation step is written down *before* it happens (a namespace name, a path, the argv
of a process about to start) and completed after (the pid and its start time), and the file is
replaced atomically on every change. So after a crash or a SIGKILL of the deployer at any
point, :func:`netsim.lab.host.teardown.destroy` knows a superset of what exists and removes it.

The file lives in the lab directory ``<root>/<lab>/state.json``; the root is
``/var/lib/netsim/lab`` unless ``NETSIM_LAB_ROOT`` says otherwise. Everything the lab writes
(rendered configs, logs, sockets, charon's private /run) stays in that directory, except FRR's
per-node directories (``/etc/frr/<node>``, ``/run/frr/<node>``), which are listed here too.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import LabError
from netsim.lab.host import linux, registry

if TYPE_CHECKING:
    from netsim.lab.host.jsondoc import JsonDoc

DEFAULT_ROOT = Path("/var/lib/netsim/lab")
#: Short names for lab directories whose paths are too long for a unix socket's address.
SHORT_DIR = Path("/run/netsim/s")
SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes with the terminating NUL
ROOT_ENV = "NETSIM_LAB_ROOT"
TAG_ENV = "NETSIM_LAB"
STATE_FILE = "state.json"


def lab_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def lab_dir(name: str) -> Path:
    return lab_root() / name


def process_tag(lab: str) -> str:
    """The environment entry every lab process carries (``NETSIM_LAB=<lab>``)."""
    return f"{TAG_ENV}={lab}"


@dataclass(slots=True)
class ProcRecord:
    """A process the lab started: who it is for, and its (pid, start time) identity."""

    node: str
    name: str
    argv: list[str]
    pid: int = 0
    start: int = 0

    def alive(self) -> bool:
        return self.pid > 0 and linux.same_process(self.pid, self.start)


@dataclass(slots=True)
class LinkRecord:
    """How a link was built: ``veth``, ``relay`` (TAP pair + relay process) or ``netem``."""

    name: str
    mode: str
    ends: list[list[str]]  # [[namespace, ifname], [namespace, ifname]]
    control: str | None = None  # relay control socket


@dataclass(slots=True)
class LabState:
    """Everything a lab has created so far; saved on every change."""

    lab: str
    clab_file: str
    phase: str = "deploying"
    created: float = field(default_factory=time.time)
    deployer: list[int] = field(default_factory=list)  # [pid, start time]
    holder: list[int] = field(default_factory=list)  # the process the lab dies with, if any
    root: str = ""  # the lab root it was deployed under (NETSIM_LAB_ROOT at deploy)
    namespaces: dict[str, str] = field(default_factory=dict)  # node -> namespace
    links: list[LinkRecord] = field(default_factory=list)
    processes: list[ProcRecord] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # created outside the lab dir
    mounts: list[str] = field(default_factory=list)  # mount points the lab made
    faults: list[JsonDoc] = field(default_factory=list)  # Change.to_json() documents
    vars_files: list[str] = field(default_factory=list)  # a template's --vars, absolute

    def __post_init__(self) -> None:
        if not self.root:
            self.root = str(lab_root())

    @property
    def directory(self) -> Path:
        return Path(self.root) / self.lab

    def short(self, path: Path) -> Path:
        """``path`` as a unix socket can be bound or reached at (at most 107 bytes).

        A path inside a deep lab directory (a long root, a long lab name) is reached through
        a symlink ``/run/netsim/s/<hash>`` to the lab directory, journaled like any path the
        lab makes outside its directory. Other paths are returned as they are.
        """
        if len(os.fsencode(path)) <= SUN_PATH_MAX or not path.is_relative_to(self.directory):
            return path
        digest = hashlib.sha256(os.fsencode(self.directory)).hexdigest()[:12]
        link = SHORT_DIR / digest
        if not link.is_symlink():
            self.add_path(link)  # journaled before it exists
            SHORT_DIR.mkdir(parents=True, exist_ok=True)
            link.symlink_to(self.directory, target_is_directory=True)
        return link / path.relative_to(self.directory)

    def node_dir(self, node: str) -> Path:
        return self.directory / "nodes" / node

    def save(self) -> None:
        """Replace the state file atomically (write a temporary file, fsync, rename)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / STATE_FILE
        tmp = target.with_suffix(".tmp")
        with open(tmp, "w") as out:
            json.dump(asdict(self), out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        registry.mirror(self.lab, asdict(self))

    def add_namespace(self, node: str, namespace: str) -> None:
        self.namespaces[node] = namespace
        self.save()

    def add_path(self, path: Path) -> None:
        if str(path) not in self.paths:
            self.paths.append(str(path))
            self.save()

    def add_mount(self, target: Path) -> None:
        if str(target) not in self.mounts:
            self.mounts.append(str(target))
            self.save()

    def add_link(self, record: LinkRecord) -> None:
        self.links.append(record)
        self.save()

    def intend_process(self, node: str, name: str, argv: list[str]) -> ProcRecord:
        """Write down a process about to start (pid 0 until :meth:`started`)."""
        record = ProcRecord(node, name, list(argv))
        self.processes.append(record)
        self.save()
        return record

    def started(self, record: ProcRecord, pid: int) -> None:
        record.pid = pid
        record.start = linux.proc_start_time(pid) or 0
        self.save()

    def processes_of(self, node: str, name: str | None = None) -> list[ProcRecord]:
        return [p for p in self.processes if p.node == node and (name is None or p.name == name)]

    def link(self, name: str) -> LinkRecord:
        for record in self.links:
            if record.name == name:
                return record
        raise LabError(f"lab {self.lab} has no link {name!r}")

    @classmethod
    def load(cls, lab: str) -> LabState | None:
        """The saved state of ``lab`` under the current root, or None if it has none."""
        path = lab_dir(lab) / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabError(f"cannot read lab state {path}: {exc}") from None
        data["root"] = str(lab_root())  # where the file is, whatever it says
        return cls.from_document(data)

    @classmethod
    def registered(cls, lab: str) -> LabState | None:
        """The host registry's copy of ``lab``'s state, whatever root it was deployed under."""
        data = registry.load(lab)
        return None if data is None else cls.from_document(data)

    @classmethod
    def from_document(cls, data: JsonDoc) -> LabState:
        data = dict(data)
        data["links"] = [LinkRecord(**x) for x in data.get("links", [])]
        data["processes"] = [ProcRecord(**x) for x in data.get("processes", [])]
        return cls(**data)


def known_labs() -> list[str]:
    """Names of the labs that have a state file."""
    root = lab_root()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{STATE_FILE}"))

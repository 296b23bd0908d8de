"""The lab's entry points: the :class:`Lab` context manager and plain functions.

``with Lab("topologies/adr003.clab.yml") as lab:`` deploys (and waits until every BGP
session and SA is up), and ``__exit__`` always destroys, whatever happened inside. The same
operations exist as plain functions on a lab *name*, for the command line and for scripts
that span processes: :func:`deploy`, :func:`destroy`, :func:`status`, :func:`fail`,
:func:`restore`; :func:`find_lab` turns what a user typed (a lab name or the containerlab
file it was deployed from, like ``clab destroy -t FILE``) into that name. Faults made
through either are kept in the lab state so a later ``restore`` (even from another
process) can undo them.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.errors import LabError, UsageError
from netsim.lab.clab.read import check_lab_name
from netsim.lab.clab.schema import read_clab_yaml
from netsim.lab.host import registry
from netsim.lab.host.stalls import read_stalls
from netsim.lab.host.state import LabState, known_labs
from netsim.lab.host.teardown import destroy as _destroy
from netsim.lab.live import deploy as _deploy
from netsim.lab.live import faults as _faults
from netsim.lab.live.deploy import load_lab, require_environment
from netsim.lab.live.faults import Change
from netsim.lab.live.probes import ProbeResult, run_probes, start_probes
from netsim.lab.live.status import LabStatus, host_address, lab_status

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import TracebackType

    import numpy as np

    from netsim.lab.clab.topology import ClabTopology
    from netsim.lab.live.probes import ProbeRun


def deploy(path: str | Path, **options: Any) -> LabState:
    """Deploy a containerlab file; see :func:`netsim.lab.live.deploy.deploy`."""
    return _deploy.deploy(path, **options)


def destroy(name: str) -> list[str]:
    """Remove everything lab ``name`` created (idempotent); return what was removed."""
    require_environment(("ip",))
    return _destroy(name)


def status(name: str) -> LabStatus:
    topology, state = load_lab(name)
    return lab_status(topology, state)


def fail(name: str, target: str, mode: str = "down") -> list[Change]:
    """Fail a link (any mode) or a node (``down``) of lab ``name``; journaled for restore."""
    topology, state = load_lab(name)
    return _record(state, _fail(topology, state, target, mode))


def restore(name: str, target: str = "all") -> list[str]:
    """Undo the recorded faults on ``target`` (a link or node name, or ``all``)."""
    topology, state = load_lab(name)
    return _restore(topology, state, target)


def find_lab(spec: str | None) -> str:
    """The deployed lab ``spec`` names: a lab name, a containerlab file, or None.

    A file (relative or absolute) names the lab deployed from it; if several were (``deploy
    --name``), UsageError lists them. None names the only deployed lab. Anything that
    matches no deployed lab is a UsageError (exit 2), never a silent success.
    """
    labs = known_labs()
    deployed = f" (deployed: {', '.join(labs)})" if labs else " (no lab is deployed)"
    if spec is None:
        if len(labs) == 1:
            return labs[0]
        if not labs:
            raise UsageError("no lab is deployed")
        raise UsageError(f"several labs are deployed ({', '.join(labs)}): name one")
    path = Path(spec)
    if path.is_file() or "/" in spec or path.suffix in (".yml", ".yaml", ".gotmpl"):
        return _lab_of_file(path, labs, deployed)
    problem = check_lab_name(spec)
    if problem:
        raise UsageError(problem)
    if spec not in labs:
        elsewhere = LabState.registered(spec)
        if elsewhere is not None:
            raise UsageError(
                f"lab {spec} runs with its state in {elsewhere.directory}, not under this "
                f"lab root: run `NETSIM_LAB_ROOT={elsewhere.root} netsim lab destroy {spec}` "
                "(or status, fail, restore)"
            )
        raise UsageError(f"no lab named {spec!r} is deployed{deployed}")
    return spec


def _lab_of_file(path: Path, labs: list[str], deployed: str) -> str:
    target = path.resolve()
    states = [s for s in (LabState.load(lab) for lab in labs) if s is not None]
    matches = [s.lab for s in states if Path(s.clab_file) == target]
    if not matches and path.is_file():
        # Deployed from a copy elsewhere: containerlab goes by the name in the file.
        name = read_clab_yaml(path).data
        file_name = str(name.get("name")) if isinstance(name, dict) else None
        matches = [lab for lab in labs if lab == file_name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"several labs were deployed from {path} ({', '.join(matches)}): name one of them"
        )
    if not path.is_file():
        raise UsageError(f"{path}: no such file, and no deployed lab came from it{deployed}")
    raise UsageError(f"no lab deployed from {path} is running{deployed}")


def _fail(topology: ClabTopology, state: LabState, target: str, mode: str) -> list[Change]:
    if target in topology.nodes:
        if mode != "down":
            raise UsageError(f"a node can only fail with mode down, not {mode!r}")
        return _faults.fail_node(topology, state, target)
    return _faults.fail_link(topology, state, target, mode)


def _record(state: LabState, changes: list[Change]) -> list[Change]:
    state.faults += [c.to_json() for c in changes]
    state.save()
    return changes


def _restore(topology: ClabTopology, state: LabState, target: str) -> list[str]:
    """Undo the faults on ``target`` (a node, a link by name or ``node:interface``, or
    ``all``: nothing to undo is then no error); the targets restored."""
    if target != "all" and target not in topology.nodes:
        target = _faults.link_name(topology, target)
    chosen = [c for c in state.faults if target in ("all", c["target"])]
    if not chosen:
        if target == "all":
            return []
        raise UsageError(f"no fault recorded on {target!r} in lab {state.lab}")
    done = _faults.undo(topology, state, [Change.from_json(c) for c in chosen])
    state.faults = [c for c in state.faults if c not in chosen]
    state.save()
    return done


class Lab:
    """A deployed lab for the duration of a ``with`` block; always destroyed on exit."""

    def __init__(
        self,
        clab_file: str | Path,
        *,
        name: str | None = None,
        seed: int = 0,
        timeout: float | None = None,
        psk_file: Path | None = None,
        vars_files: Sequence[str | Path] = (),
    ) -> None:
        self.clab_file = Path(clab_file)
        self.vars_files = tuple(vars_files)
        self.lab_name = name
        self.seed = seed
        self.timeout = timeout
        self.psk_file = psk_file
        self.deploy_seconds = 0.0
        self._topology: ClabTopology | None = None
        self._state: LabState | None = None
        self._owned = True  # deployed by this object, destroyed when its block ends

    @classmethod
    def attach(cls, lab: str) -> Lab:
        """A lab deployed elsewhere (``netsim lab deploy``), by name or file.

        Its ``with`` block neither deploys nor destroys it.
        """
        topology, state = load_lab(find_lab(lab))
        attached = cls(state.clab_file, name=state.lab, vars_files=state.vars_files)
        attached._topology, attached._state, attached._owned = topology, state, False
        return attached

    def __enter__(self) -> Lab:
        if not self._owned:
            return self
        start = time.monotonic()
        try:
            self._state = _deploy.deploy(
                self.clab_file,
                name=self.lab_name,
                seed=self.seed,
                timeout=self.timeout,
                psk_file=self.psk_file,
                holder=registry.identity(os.getpid()),  # the lab lives as long as we do
                vars_files=self.vars_files,
            )
        except BaseException:
            self._state = None
            raise
        self.deploy_seconds = time.monotonic() - start
        self._topology, self._state = load_lab(self._state.lab)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state is not None and self._owned:
            _destroy(self._state.lab)
            self._state = None

    @property
    def topology(self) -> ClabTopology:
        if self._topology is None:
            raise LabError("the lab is not deployed")
        return self._topology

    @property
    def state(self) -> LabState:
        if self._state is None:
            raise LabError("the lab is not deployed")
        return self._state

    @property
    def name(self) -> str:
        return self.topology.name

    def namespace(self, node: str) -> str:
        return self.topology.namespace(node)

    def address(self, node: str) -> str:
        return host_address(self.topology, node)

    def status(self) -> LabStatus:
        return lab_status(self.topology, self.state)

    def fail_link(self, link: str, mode: str = "down") -> list[Change]:
        return _record(self.state, _faults.fail_link(self.topology, self.state, link, mode))

    def fail_node(self, node: str) -> list[Change]:
        return _record(self.state, _faults.fail_node(self.topology, self.state, node))

    def fail(self, targets: list[tuple[str, str]]) -> list[Change]:
        """Fail several (link or node, mode) targets at once, then record them together."""
        changes = [
            c for target, mode in targets for c in _fail(self.topology, self.state, target, mode)
        ]
        return _record(self.state, changes)

    def restore(self, changes: list[Change] | None = None) -> list[str]:
        """Undo ``changes`` (default: every recorded fault)."""
        if changes is None:
            return _restore(self.topology, self.state, "all") if self.state.faults else []
        done = _faults.undo(self.topology, self.state, changes)
        undone = [c.to_json() for c in changes]
        self.state.faults = [c for c in self.state.faults if c not in undone]
        self.state.save()
        return done

    @contextlib.contextmanager
    def without_link_delays(self) -> Iterator[None]:
        """Every link's own delay left out for the block: the lab's own forwarding time,
        its floor, is what a path then takes (:func:`~netsim.lab.live.faults.set_link_delays`).
        """
        _faults.set_link_delays(self.topology, self.state, on=False)
        try:
            yield
        finally:
            _faults.set_link_delays(self.topology, self.state, on=True)

    def stalls(self) -> np.ndarray:
        """The host's stalls since the deploy (wall-clock start/end rows, see
        :mod:`netsim.lab.host.stalls`)."""
        return read_stalls(self.state.directory)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until every BGP session is Established, BFD up and every SA installed again."""
        daemons = [d for ds in _deploy.node_daemons(self.topology, self.state).values() for d in ds]
        _deploy.wait_ready(daemons, time.monotonic() + timeout, timeout)

    def _probe_args(self, src: str, dst: str) -> dict[str, Any]:  # run/start_probes kwargs
        return {
            "lab": self.name,
            "src_ns": self.namespace(src),
            "dst_ns": self.namespace(dst),
            "dst_addr": self.address(dst),
            "workdir": self.state.directory / "probes",
            "names": (src, dst),
        }

    def probe(self, src: str, dst: str, **options: Any) -> ProbeResult:
        """Run probes from host ``src`` to host ``dst`` (blocking)."""
        return run_probes(**self._probe_args(src, dst), **options)

    def start_probe(self, src: str, dst: str, **options: Any) -> ProbeRun:
        """Start probes in the background; ``.wait()`` on the result collects them."""
        return start_probes(**self._probe_args(src, dst), **options)

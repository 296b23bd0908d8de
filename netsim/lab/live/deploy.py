"""``deploy``: a containerlab file becomes namespaces, links and running daemons, no Docker.

The pipeline, one phase per line in :func:`deploy`::

    topology = load_clab(path)            # read + validate (InputError, exit 2)
    daemons  = check_configs(topology)    # every daemon's config checked before anything exists
    state    = begin(topology)            # state file written, lab directory created
    build_namespaces(...) / build_links(...) / configure_nodes(...)
    start_daemons(...) / configure_daemons(...)
    wait_ready(...)                       # every BGP session Established, every SA INSTALLED

Every creation is journaled in the lab state first, so a failure (or SIGKILL) at any point
leaves something :func:`netsim.lab.host.teardown.destroy` can remove completely. On failure the
partial lab is destroyed unless ``keep_on_failure`` is set.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from netsim.errors import EnvironmentProblem, LabError
from netsim.lab import DEPLOY_TIMEOUT_S
from netsim.lab.clab.read import ClabTopology, load_clab
from netsim.lab.daemons import Daemon, NodeContext, daemons_for
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host import linux, netns
from netsim.lab.host.links import build_links
from netsim.lab.host.state import LabState, lab_dir
from netsim.lab.host.teardown import destroy

POLL_S = 0.5
INSTALL_HINT = (
    "apt-get install frr strongswan-charon strongswan-swanctl libcharon-extra-plugins "
    "libstrongswan-standard-plugins nftables"
)
TOOLS = {
    "ip": "iproute2",
    "tc": "iproute2",
    "vtysh": "frr",
    "/usr/lib/frr/zebra": "frr",
    "swanctl": "strongswan-swanctl",
    "/usr/lib/ipsec/charon": "strongswan-charon",
}


def require_environment(tools: tuple[str, ...] = tuple(TOOLS)) -> None:
    """Raise EnvironmentProblem (exit 3) saying what to do if not root or tools are missing."""
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "the emulation lab needs root (network namespaces, veth/TAP devices, FRR and "
            f"charon run as root): run it with sudo; it also needs: {INSTALL_HINT}"
        )
    missing = sorted({TOOLS.get(t, t) for t in tools if not _have(t)})
    if missing:
        raise EnvironmentProblem(f"missing {', '.join(missing)}: install them with: {INSTALL_HINT}")


def _have(tool: str) -> bool:
    return Path(tool).exists() if tool.startswith("/") else shutil.which(tool) is not None


def deploy(
    path: str | Path,
    *,
    timeout: float = DEPLOY_TIMEOUT_S,
    seed: int = 0,
    keep_on_failure: bool = False,
) -> LabState:
    """Deploy the lab of a containerlab file and wait until it is fully up."""
    require_environment(("ip", "tc"))
    topology = load_clab(path)
    require_environment(needed_tools(topology))
    check_configs(topology)
    state = begin(topology)
    try:
        deadline = time.monotonic() + timeout
        build_namespaces(topology, state)
        netem_ok = netns.netem_available(next(iter(state.namespaces.values())))
        build_links(topology, state, netem_ok, seed)
        configure_nodes(topology)
        daemons = start_daemons(topology, state)
        configure_daemons(daemons)
        wait_ready(daemons, deadline, timeout)
        state.phase = "up"
        state.save()
    except BaseException:
        if not keep_on_failure:
            destroy(topology.name)
        raise
    return state


def node_daemons(topology: ClabTopology, state: LabState) -> dict[str, list[Daemon]]:
    """The daemons of every node (objects only; nothing is started)."""
    return {
        name: daemons_for(NodeContext(topology, node, state))
        for name, node in topology.nodes.items()
    }


def needed_tools(topology: ClabTopology) -> tuple[str, ...]:
    """The host programs the daemons of ``topology`` need."""
    scratch = LabState(topology.name, str(topology.path))
    daemons = [d for ds in node_daemons(topology, scratch).values() for d in ds]
    return tuple(sorted({tool for d in daemons for tool in d.TOOLS}))


def check_configs(topology: ClabTopology) -> None:
    """Check every daemon's configuration files before anything is created."""
    scratch = LabState(topology.name, str(topology.path))
    problems = [
        problem
        for daemons in node_daemons(topology, scratch).values()
        for daemon in daemons
        for problem in daemon.check()
    ]
    if problems:
        raise LabError("configuration check failed:\n  " + "\n  ".join(problems))


def begin(topology: ClabTopology) -> LabState:
    """Write the initial state file; refuse if the lab (or its namespaces) exists."""
    existing = LabState.load(topology.name)
    if existing is not None:
        raise LabError(
            f"lab {topology.name} is already deployed (state: {existing.phase}); "
            f"run `netsim lab destroy {topology.name}` first"
        )
    for node in topology.nodes:
        if linux.netns_path(topology.namespace(node)).exists():
            raise LabError(
                f"namespace {topology.namespace(node)} already exists: a lab called "
                f"{topology.name} runs without its state in {lab_dir(topology.name)}"
            )
    state = LabState(topology.name, str(topology.path.resolve()))
    state.deployer = [os.getpid(), linux.proc_start_time(os.getpid()) or 0]
    state.save()
    return state


def build_namespaces(topology: ClabTopology, state: LabState) -> None:
    for node in topology.nodes:
        netns.add_namespace(state, node, topology.namespace(node))


def configure_nodes(topology: ClabTopology) -> None:
    """Apply each node's ``sysctls`` and run its ``exec`` commands (ip/sysctl argv)."""
    for name, node in topology.nodes.items():
        namespace = topology.namespace(name)
        for key, value in node.sysctls.items():
            netns.set_sysctl(namespace, key, value)
        for argv in node.exec:
            netns.run(list(argv), namespace)


def start_daemons(topology: ClabTopology, state: LabState) -> list[Daemon]:
    """Install and start every node's daemons (per node in DEPENDS order)."""
    started = []
    for daemons in node_daemons(topology, state).values():
        for daemon in daemons:
            daemon.install()
            daemon.start()
            started.append(daemon)
    return started


def configure_daemons(daemons: list[Daemon]) -> None:
    """Load configuration into the running daemons.

    strongSwan nodes that initiate fewer tunnels load first, so that a responder knows its
    connections by the time an initiator's first IKE_SA_INIT arrives.
    """

    def order(daemon: Daemon) -> tuple[int, int]:
        if isinstance(daemon, StrongSwan):
            starts = sum(1 for a in daemon.children().values() if a == "start")
            return (0, starts)
        return (1, 0)

    for daemon in sorted(daemons, key=order):
        daemon.configure()


def wait_ready(daemons: list[Daemon], deadline: float, timeout: float) -> None:
    """Poll until nothing is pending and routing stopped changing between two polls.

    LabError naming what did not come up if that takes longer than the deadline.
    """
    previous = None
    while True:
        dead = [item for d in daemons for item in d.dead()]
        if dead:
            raise LabError("lab processes exited during deploy:\n  " + "\n  ".join(dead))
        pending = [item for d in daemons for item in d.pending()]
        fingerprint = [d.fingerprint() for d in daemons]
        if not pending and fingerprint == previous:
            return
        previous = None if pending else fingerprint
        if time.monotonic() > deadline:
            raise LabError(
                f"lab not up after {timeout:.0f} s; still pending:\n  " + "\n  ".join(pending)
            )
        time.sleep(POLL_S)


def load_lab(name: str) -> tuple[ClabTopology, LabState]:
    """The topology and state of a deployed lab (LabError if it is not deployed)."""
    state = LabState.load(name)
    if state is None:
        raise LabError(f"lab {name} is not deployed (no state in {lab_dir(name)})")
    return load_clab(state.clab_file), state

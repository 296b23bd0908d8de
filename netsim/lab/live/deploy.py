"""``deploy``: a containerlab file becomes namespaces, links and running daemons, no Docker.

The pipeline, one phase per line in :func:`deploy`::

    topology = load_clab(path, name)      # read + validate (InputError, exit 2)
    keys     = deploy_keys(topology, ...)  # the IPsec keys of this deploy (memory only)
    check_configs(topology)               # every daemon's config checked: exit 2, nothing made
    state    = begin(topology)            # state file written, lab directory created
    build_namespaces(...)                 # + Docker's forwarding defaults, node sysctls
    build_links(...)
    start_daemons(...) / configure_daemons(...)   # a line FRR refuses after start: exit 2
    wait_ready(...)               # every BGP session Established, BFD up, every SA INSTALLED

with the nodes' commands run between the phases at containerlab's stage points
(:mod:`netsim.lab.live.commands`). Every creation is journaled in the lab state first, so a
failure (or SIGKILL) at any point leaves something :func:`netsim.lab.host.teardown.destroy`
can remove completely. On failure the partial lab is destroyed unless
``keep_on_failure`` is set.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import EnvironmentProblem, InputError, LabError
from netsim.lab import DEPLOY_TIMEOUT_S
from netsim.lab.clab.execs import NETNS_PROGRAMS
from netsim.lab.clab.read import ClabTopology, load_clab
from netsim.lab.clab.topology import Phase, Stage
from netsim.lab.daemons import Daemon, NodeContext, daemons_for
from netsim.lab.daemons.secrets import LabKeys, lab_keys, needed
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host import linux, netns, registry
from netsim.lab.host.links import build_links
from netsim.lab.host.stalls import watcher_argv
from netsim.lab.host.state import LabState, lab_dir
from netsim.lab.host.teardown import destroy, destroy_state
from netsim.lab.live.commands import run_commands

if TYPE_CHECKING:
    from collections.abc import Sequence

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
#: The packages of the host programs nodes' commands may run (netsim.lab.clab.execs).
COMMAND_PACKAGES = {
    "bridge": "iproute2",
    "nft": "nftables",
    "ping": "iputils-ping",
    "ethtool": "ethtool",
    "iptables": "iptables",
    "ip6tables": "iptables",
    "ifconfig": "net-tools",
    "route": "net-tools",
    "arp": "net-tools",
}
#: What a container's namespace has on a Docker host, before the node's own sysctls:
#: Docker turns IPv4 forwarding on in the host and new namespaces inherit it; containerlab
#: enables IPv6 on linux nodes. IPv6 forwarding stays off: a new namespace gets IPv6's
#: defaults, not the host's (net.core.devconf_inherit_init_net = 0), and Docker leaves it.
DOCKER_SYSCTLS = {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.disable_ipv6": "0"}


def require_environment(tools: tuple[str, ...] = tuple(TOOLS)) -> None:
    """Raise EnvironmentProblem (exit 3) saying what to do if not root or tools are missing."""
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "the emulation lab needs root (network namespaces, veth/TAP devices, FRR and "
            f"charon run as root): run it with sudo; it also needs: {INSTALL_HINT}"
        )
    packages = {**TOOLS, **COMMAND_PACKAGES}
    missing = sorted({packages.get(t, t) for t in tools if not _have(t)})
    if missing:
        extra = [p for p in missing if p not in INSTALL_HINT.split()]
        hint = " ".join([INSTALL_HINT, *extra])
        raise EnvironmentProblem(f"missing {', '.join(missing)}: install them with: {hint}")


def _have(tool: str) -> bool:
    return Path(tool).exists() if tool.startswith("/") else shutil.which(tool) is not None


def deploy(
    path: str | Path,
    *,
    name: str | None = None,
    timeout: float | None = None,
    seed: int = 0,
    keep_on_failure: bool = False,
    psk_file: Path | None = None,
    holder: list[int] | None = None,
    vars_files: Sequence[str | Path] = (),
) -> LabState:
    """Deploy the lab of a containerlab file (as lab ``name``) and wait until it is up.

    ``holder`` (``[pid, start time]``) is the process the lab should not outlive: once it is
    gone, the next deploy of the same name removes the lab (default: ``NETSIM_LAB_HOLDER``).
    ``timeout`` (None: ``DEPLOY_TIMEOUT_S`` plus the longest :meth:`Daemon.settle_s
    <netsim.lab.daemons.base.Daemon.settle_s>`, e.g. OSPF's dead interval) bounds the
    whole deploy. ``vars_files`` are a templated file's variables (``--vars``).
    """
    require_environment(("ip", "tc"))
    topology = load_clab(path, name, vars_files)
    note_unread_binds(topology)
    require_environment(needed_tools(topology))
    keys = deploy_keys(topology, psk_file)
    check_configs(topology)
    state = begin(topology, holder)
    try:
        started = time.monotonic()
        build_namespaces(topology, state)
        run_commands(topology, Stage.CREATE, Phase.ON_EXIT)
        run_commands(topology, Stage.CREATE_LINKS, Phase.ON_ENTER)
        _phase(state, "links")
        netem_ok = netns.netem_available(next(iter(state.namespaces.values())))
        build_links(topology, state, netem_ok, seed)
        watch_stalls(topology, state)
        run_commands(topology, Stage.CREATE_LINKS, Phase.ON_EXIT)
        run_commands(topology, Stage.CONFIGURE, Phase.ON_ENTER)
        _phase(state, "daemons")
        daemons = start_daemons(topology, state, keys)
        _phase(state, "configure")
        configure_daemons([d for ds in daemons.values() for d in ds])
        run_commands(topology, Stage.CONFIGURE, Phase.ON_EXIT, daemons)
        _phase(state, "commands")
        run_commands(topology, Stage.EXEC, Phase.ON_ENTER, daemons)
        _phase(state, "waiting")
        every = [d for ds in daemons.values() for d in ds]
        if timeout is None:
            timeout = DEPLOY_TIMEOUT_S + max((d.settle_s() for d in every), default=0.0)
        wait_ready(every, started + timeout, timeout)
        for phase in (Phase.ON_ENTER, Phase.ON_EXIT):
            run_commands(topology, Stage.HEALTHY, phase, daemons)
        _phase(state, "up")
    except BaseException:
        if not keep_on_failure:
            destroy(topology.name)
        raise
    return state


#: At most this many CPUs are watched for stalls (:mod:`netsim.lab.host.stalls`).
MAX_WATCHED_CPUS = 8


def watch_stalls(topology: ClabTopology, state: LabState) -> None:
    """Start one stall watcher per CPU, lab processes in the first node's namespace."""
    node = next(iter(topology.nodes))
    for cpu in sorted(os.sched_getaffinity(0))[:MAX_WATCHED_CPUS]:
        argv = watcher_argv(state.directory, cpu)
        netns.spawn(state, node, f"stalls.cpu{cpu}", argv, netns=topology.namespace(node))


def _phase(state: LabState, phase: str) -> None:
    """Note how far the deploy got (``netsim lab status`` shows it for a half-made lab)."""
    state.phase = phase
    state.save()


def node_daemons(
    topology: ClabTopology, state: LabState, keys: LabKeys | None = None
) -> dict[str, list[Daemon]]:
    """The daemons of every node (objects only; nothing is started)."""
    return {
        name: daemons_for(NodeContext(topology, node, state, keys))
        for name, node in topology.nodes.items()
    }


def _scratch(topology: ClabTopology) -> LabState:
    """A state that is never saved, for daemons that are only asked about their files."""
    return LabState(topology.name, str(topology.path))


def needed_tools(topology: ClabTopology) -> tuple[str, ...]:
    """The host programs the daemons and the nodes' commands of ``topology`` need.

    A container's image brings its own ``ping`` or ``iptables``; here they are the host's,
    so one that is missing is an environment problem found before anything is created (it
    failed the deploy half-way, as if the file's command were wrong).
    """
    daemons = [d for ds in node_daemons(topology, _scratch(topology)).values() for d in ds]
    commands = {
        step[0].rsplit("/", 1)[-1]
        for node in topology.nodes.values()
        for command in node.commands
        for step in command.steps
    }
    return tuple(sorted({tool for d in daemons for tool in d.TOOLS} | (commands & NETNS_PROGRAMS)))


def deploy_keys(topology: ClabTopology, psk_file: Path | None = None) -> LabKeys:
    """The pre-shared keys every strongSwan node's configuration leaves to the deploy."""
    pairs = set()
    for daemons in node_daemons(topology, _scratch(topology)).values():
        for daemon in daemons:
            if isinstance(daemon, StrongSwan) and not daemon.check():
                pairs |= set(needed(daemon.swanctl_settings()))
    return lab_keys(pairs, psk_file)


def check_configs(topology: ClabTopology) -> None:
    """Check every daemon's configuration files before anything is created (exit 2)."""
    problems = [
        problem
        for daemons in node_daemons(topology, _scratch(topology)).values()
        for daemon in daemons
        for problem in daemon.check()
    ]
    if problems:
        raise InputError(problems)


def begin(topology: ClabTopology, holder: list[int] | None = None) -> LabState:
    """Write the initial state file; refuse if the lab (or its namespaces) exists.

    A lab of the same name that was abandoned (its holder or its half-way deployer died;
    see :func:`netsim.lab.host.registry.abandoned`) is torn down first, wherever its state
    lives, and said so on stderr.
    """
    clear_abandoned(topology.name)
    existing = LabState.load(topology.name)
    if existing is not None:
        raise LabError(
            f"lab {topology.name} is already deployed (state: {existing.phase}); "
            f"run `netsim lab destroy {topology.name}` first, or deploy it again under "
            "another name with --name"
        )
    taken = [ns for ns in map(topology.namespace, topology.nodes) if linux.netns_path(ns).exists()]
    if taken:
        raise LabError(f"namespace {taken[0]} already exists: {_owner_hint(topology.name)}")
    state = LabState(topology.name, str(topology.path.resolve()))
    state.vars_files = [str(v.resolve()) for v in topology.vars_files]
    state.deployer = registry.identity(os.getpid())
    state.holder = holder if holder is not None else registry.holder_from_env()
    state.save()
    return state


def note_unread_binds(topology: ClabTopology) -> None:
    """Say on stderr which binds have no effect here: a node is a namespace running the
    host's FRR and strongSwan, not an image whose programs would read them."""
    unread = {n: node.unread_binds() for n, node in topology.nodes.items()}
    listing = "; ".join(f"{n}: {', '.join(t)}" for n, t in unread.items() if t)
    if listing:
        print(
            f"netsim: lab {topology.name}: binds that may have no effect here ({listing}): "
            "nodes run this host's FRR and strongSwan, which read /etc/frr and strongSwan's "
            "files, not an image's programs",
            file=sys.stderr,
        )


def clear_abandoned(name: str) -> list[str]:
    """Tear down lab ``name`` if it was abandoned (see ``begin``); return what was removed."""
    state = LabState.load(name) or LabState.registered(name)
    if state is None:
        return []
    gone = not any(linux.netns_path(ns).exists() for ns in state.namespaces.values())
    if not (registry.abandoned(asdict(state)) or (gone and state.phase == "up")):
        return []
    removed = destroy_state(state)
    who = f"pid {state.holder[0]}" if state.holder else f"deployer pid {state.deployer[0]}"
    print(
        f"netsim: removed the leftovers of lab {name} ({who} is gone; state was in "
        f"{state.directory}): {len(removed)} items",
        file=sys.stderr,
    )
    return removed


def _owner_hint(name: str) -> str:
    """What to run to remove a lab whose namespaces exist but whose state is not ours."""
    copy = LabState.registered(name)
    if copy is None:
        return (
            f"no lab state records it (a lab called {name} deployed by another tool or an "
            f"older netsim); remove its namespaces with `ip netns delete clab-{name}-<node>`"
        )
    if copy.holder and registry.alive(copy.holder):
        return f"lab {name} is in use by pid {copy.holder[0]} (state in {copy.directory})"
    return (
        f"lab {name} runs with its state in {copy.directory}; remove it with "
        f"`NETSIM_LAB_ROOT={copy.root} netsim lab destroy {name}`"
    )


def build_namespaces(topology: ClabTopology, state: LabState) -> None:
    """One namespace per node, with Docker's forwarding defaults and then the node's sysctls."""
    _phase(state, "namespaces")
    for name, node in topology.nodes.items():
        namespace = topology.namespace(name)
        netns.add_namespace(state, name, namespace)
        for key, value in DOCKER_SYSCTLS.items():
            if key not in node.sysctls and Path("/proc/sys", *key.split(".")).exists():
                netns.set_sysctl(namespace, key, value)
        for key, value in node.sysctls.items():
            netns.set_sysctl(namespace, key, value)


def start_daemons(
    topology: ClabTopology, state: LabState, keys: LabKeys | None = None
) -> dict[str, list[Daemon]]:
    """Install and start every node's daemons (per node in DEPENDS order)."""
    daemons = node_daemons(topology, state, keys)
    for node_daemons_ in daemons.values():
        for daemon in node_daemons_:
            daemon.install()
            daemon.start()
    return daemons


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
    """Poll until nothing is pending and routing stopped changing: between two polls, and
    for the longest :meth:`~netsim.lab.daemons.base.Daemon.quiet_s` of the daemons (OSPF:
    its LSA interval and a second, since a router may hold an update that long).

    LabError naming what did not come up if that takes longer than the deadline.
    """
    quiet = max((d.quiet_s() for d in daemons), default=0.0)
    previous = None
    since = time.monotonic()
    while True:
        dead = [item for d in daemons for item in d.dead()]
        if dead:
            raise LabError("lab processes exited during deploy:\n  " + "\n  ".join(dead))
        pending = [item for d in daemons for item in d.pending()]
        fingerprint = [d.fingerprint() for d in daemons]
        if pending or fingerprint != previous:
            since = time.monotonic()
        elif time.monotonic() - since >= quiet:
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
    return load_clab(state.clab_file, state.lab, state.vars_files), state

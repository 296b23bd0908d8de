"""Thin wrappers over ``ip``, ``tc``, ``nft`` and process start-up inside namespaces.

Every command is an argv list (never a shell). Commands for a namespace run either through
``ip -n <ns>`` or, for other tools, in a child that enters the namespace with ``setns``
between fork and exec. Long-running lab processes are started by :func:`spawn`, which writes
the intent into the lab state before the process exists and its (pid, start time) after, tags
its environment with ``NETSIM_LAB=<lab>``, detaches it into its own session and sends its
output to a log file in the lab directory.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import LabError
from netsim.lab.host import linux
from netsim.lab.host.state import LabState, ProcRecord, process_tag

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

COMMAND_TIMEOUT_S = 30.0


def _enter(
    netns: str | None, private_run: Path | None, hostname: str | None = None
) -> Callable[[], None] | None:
    if netns is None and private_run is None and hostname is None:
        return None

    def enter() -> None:  # runs in the child between fork and exec
        if netns is not None:
            linux.setns(linux.netns_path(netns))
        if private_run is not None:
            linux.private_run(private_run)
        if hostname is not None:
            linux.own_hostname(hostname)

    return enter


def run(
    argv: Sequence[str],
    netns: str | None = None,
    *,
    check: bool = True,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run a short command (in ``netns`` if given); LabError naming it if it fails."""
    try:
        result = subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_enter(netns, None),
            env=None if env is None else {**os.environ, **env},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{' '.join(argv)}: {exc}") from None
    if check and result.returncode != 0:
        where = f" (in {netns})" if netns else ""
        detail = (result.stderr or result.stdout).strip()
        raise LabError(f"{' '.join(argv)}{where} failed: {detail}")
    return result


def ip(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``ip -n <netns> args...``."""
    return run(["ip", "-n", netns, *args], check=check)


def spawn(
    state: LabState,
    node: str,
    name: str,
    argv: Sequence[str],
    *,
    netns: str | None,
    env: Mapping[str, str] | None = None,
    private_run: Path | None = None,
    stdout_pipe: bool = False,
    hostname: str | None = None,
) -> tuple[ProcRecord, subprocess.Popen[bytes]]:
    """Start a long-running lab process, journaled in ``state`` before and after.

    ``hostname``: the process gets a UTS namespace of its own with that hostname (a node's
    daemons: the node's name, as its container's would be).
    """
    record = state.intend_process(node, name, list(argv))
    log_dir = state.directory / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    tag_key, _, tag_value = process_tag(state.lab).partition("=")
    child_env = {**os.environ, **(env or {}), tag_key: tag_value}
    with open(log_dir / f"{node}.{name}.log", "ab") as log:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else log,
                stderr=log,
                env=child_env,
                preexec_fn=_enter(netns, private_run, hostname),
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LabError(f"cannot start {name} for {node}: {exc}") from None
    state.started(record, proc.pid)
    return record, proc


def add_namespace(state: LabState, node: str, namespace: str) -> None:
    """Create the namespace (journaled first) and bring its loopback up."""
    if linux.netns_path(namespace).exists():
        raise LabError(
            f"namespace {namespace} already exists; another lab (or a leftover) uses it: "
            f"run `netsim lab destroy {state.lab}` or `ip netns del {namespace}`"
        )
    if not os.path.ismount(linux.NETNS_DIR):
        # `ip netns add` makes /run/netns a shared mount of itself the first time.
        state.add_mount(linux.NETNS_DIR)
    state.add_namespace(node, namespace)
    run(["ip", "netns", "add", namespace])
    ip(namespace, "link", "set", "lo", "up")


def add_veth(a: tuple[str, str], b: tuple[str, str], mtu: int | None = None) -> None:
    """Create a veth pair with each end created directly inside its namespace.

    The first end is made inside its namespace (``ip -n``) and the peer is created straight
    into the other namespace, so no end ever exists in the host namespace.
    """
    args = ["link", "add", a[1]]
    if mtu:
        args += ["mtu", str(mtu)]
    args += ["type", "veth", "peer", "name", b[1], "netns", b[0]]
    if mtu:
        args += ["mtu", str(mtu)]
    ip(a[0], *args)


def configure_end(
    netns: str,
    ifname: str,
    ipv4: str | None,
    mac: str | None = None,
    mtu: int | None = None,
    *,
    ipv6: str | None = None,
) -> None:
    """Set an interface's MAC/MTU/addresses and bring it up."""
    if mac:
        ip(netns, "link", "set", "dev", ifname, "address", mac)
    if mtu:
        ip(netns, "link", "set", "dev", ifname, "mtu", str(mtu))
    for address in (ipv4, ipv6):
        if address:
            ip(netns, "addr", "add", address, "dev", ifname)
    ip(netns, "link", "set", "dev", ifname, "up")


def set_sysctl(netns: str, key: str, value: str) -> None:
    """Write a ``net.*`` sysctl of the namespace through /proc/sys.

    /proc/sys/net shows the namespace of the process that opens it, so the write happens
    after entering the namespace.
    """
    if not key.startswith("net."):
        raise LabError(f"sysctl {key} is not per-namespace; only net.* keys are applied")
    path = Path("/proc/sys", *key.split("."))
    try:
        with linux.in_netns(netns):
            path.write_text(f"{value}\n")
    except OSError as exc:
        raise LabError(f"sysctl {key}={value} in {netns}: {exc.strerror}") from None


def netem_available(netns: str) -> bool:
    """True if this kernel has netem (checked on the namespace's loopback)."""
    probe = run(
        ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"], netns, check=False
    )
    if probe.returncode != 0:
        return False
    run(["tc", "qdisc", "del", "dev", "lo", "root"], netns, check=False)
    return True


def nft(netns: str, ruleset: str) -> None:
    """Load an nftables ruleset (text) into the namespace (libnftables, else ``nft -f -``)."""
    try:
        with linux.in_netns(netns):
            error = linux.nft_run(ruleset)
    except FileNotFoundError:
        run(["nft", "-f", "-"], netns, input=ruleset)
        return
    if error:
        raise LabError(f"nftables in {netns}: {error.strip()}")


def nft_delete_table(netns: str, family: str, table: str) -> None:
    with contextlib.suppress(LabError):
        nft(netns, f"delete table {family} {table}\n")


def run_all(commands: Sequence[tuple[Sequence[str], str | None]]) -> None:
    """Run short commands (argv, namespace) at the same time; LabError if any fails."""
    procs = [
        (
            argv,
            ns,
            subprocess.Popen(
                list(argv),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=_enter(ns, None),
            ),
        )
        for argv, ns in commands
    ]
    failed = []
    for argv, ns, proc in procs:
        _, err = proc.communicate(timeout=COMMAND_TIMEOUT_S)
        if proc.returncode != 0:
            failed.append(f"{' '.join(argv)} (in {ns}): {err.strip()}")
    if failed:
        raise LabError("; ".join(failed))


def delete_namespace(namespace: str) -> None:
    """Delete a namespace and, with it, every interface inside it (idempotent)."""
    if linux.netns_path(namespace).exists():
        run(["ip", "netns", "del", namespace], check=False)

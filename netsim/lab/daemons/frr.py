"""FRR on a lab node: zebra, staticd and the daemons its ``daemons`` file enables.

Each node gets its own FRR *pathspace*: daemons run with ``-N <node>`` inside the node's
namespace, so they read ``/etc/frr/<node>/`` and put their sockets and pid files in
``/run/frr/<node>/`` (both owned by user ``frr``), and ``vtysh -N <node>`` reaches them from
the host. The integrated ``frr.conf`` is checked with ``vtysh --dryrun`` before anything
starts and applied with ``vtysh -b`` once the daemons are up, as FRR's own init script does.
"""

from __future__ import annotations

import json
import os
import pwd
import time
from pathlib import Path
from typing import Any, ClassVar

from netsim.errors import LabError
from netsim.lab.daemons.base import Daemon
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host import netns

FRR_BIN = Path("/usr/lib/frr")
ETC_FRR = Path("/etc/frr")
RUN_FRR = Path("/run/frr")
#: Started whatever the daemons file says, in this order, before the enabled ones.
ALWAYS = ("zebra", "staticd")
#: Order of the optional daemons (bfdd before bgpd, so BGP can register its BFD sessions).
OPTIONAL = ("bfdd", "bgpd", "ospfd", "ospf6d", "ripd", "isisd", "pbrd", "vrrpd")
SOCKET_WAIT_S = 10.0
DEFAULT_VTYSH_CONF = "service integrated-vtysh-config\n"


def vtysh(node: str, *commands: str, check: bool = True) -> str:
    """Run vtysh commands against ``node``'s daemons; return the output."""
    argv = ["vtysh", "-N", node]
    for command in commands:
        argv += ["-c", command]
    return netns.run(argv, check=check).stdout


def vtysh_json(node: str, command: str) -> Any:
    """A ``show ... json`` command's output, parsed ({} if the daemon gave nothing)."""
    text = vtysh(node, command, check=False).strip()
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return {}
    start = min(starts)
    try:
        return json.loads(text[start:])
    except ValueError:
        return {}


def read_daemons_file(text: str) -> list[str]:
    """The daemons a FRR ``daemons`` file enables, in start order (zebra first)."""
    enabled = set()
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if value.strip().strip('"') == "yes":
            enabled.add(key.strip())
    return [*ALWAYS, *(d for d in OPTIONAL if d in enabled)]


class Frr(Daemon):
    """FRR with its own pathspace inside one node's namespace."""

    NAME: ClassVar[str] = "frr"
    DEPENDS = (StrongSwan,)
    TOOLS = ("vtysh", str(FRR_BIN / "zebra"))

    @classmethod
    def wanted(cls, node: Any) -> bool:
        return node.bind_for("/etc/frr/frr.conf") is not None

    @property
    def conf_dir(self) -> Path:
        return ETC_FRR / self.ctx.name

    @property
    def run_dir(self) -> Path:
        return RUN_FRR / self.ctx.name

    def programs(self) -> list[str]:
        bind = self.ctx.node.bind_for("/etc/frr/daemons")
        return read_daemons_file(bind.source.read_text()) if bind else [*ALWAYS, "bgpd"]

    def install(self) -> None:
        state = self.ctx.state
        frr = pwd.getpwnam("frr")
        if not RUN_FRR.exists():
            state.add_path(RUN_FRR)
            _make_dir(RUN_FRR, frr)
        for path in (self.conf_dir, self.run_dir):
            if path.exists() and str(path) not in state.paths:
                raise LabError(
                    f"{path} already exists: FRR pathspace {self.ctx.name!r} is in use "
                    "(by another lab or by hand); destroy that lab or remove the directory"
                )
            state.add_path(path)
            _make_dir(path, frr)
        files = {"frr.conf": self.ctx.node.bind_for("/etc/frr/frr.conf")}
        vtysh_bind = self.ctx.node.bind_for("/etc/frr/vtysh.conf")
        daemons_bind = self.ctx.node.bind_for("/etc/frr/daemons")
        for name, bind in (("vtysh.conf", vtysh_bind), ("daemons", daemons_bind)):
            if bind:
                files[name] = bind
        for name, bind in files.items():
            assert bind is not None
            _install_file(self.conf_dir / name, bind.source.read_text(), frr)
        if vtysh_bind is None:
            _install_file(self.conf_dir / "vtysh.conf", DEFAULT_VTYSH_CONF, frr)

    def check(self) -> list[str]:
        bind = self.ctx.node.bind_for("/etc/frr/frr.conf")
        assert bind is not None
        result = netns.run(["vtysh", "--dryrun", "-f", str(bind.source)], check=False)
        if result.returncode == 0:
            return []
        detail = (result.stdout + result.stderr).strip().replace("\n", "; ")
        return [f"{self.ctx.name}: frr.conf does not pass vtysh --dryrun: {detail}"]

    def start(self) -> None:
        # A restart after a node failure must not mistake old sockets for new ones.
        for stale in self.run_dir.iterdir():
            stale.unlink(missing_ok=True)
        for program in self.programs():
            argv = [str(FRR_BIN / program), "-N", self.ctx.name, "-P", "0", "--log", "stdout"]
            if program == "zebra":
                argv += ["-s", "90000000"]
            netns.spawn(
                self.ctx.state, self.ctx.name, f"frr.{program}", argv, netns=self.ctx.namespace
            )
            # Clients of zebra that start before its socket exists retry only after ~10 s.
            socket = self.run_dir / ("zserv.api" if program == "zebra" else f"{program}.vty")
            self._wait_for(socket, program)

    def _wait_for(self, path: Path, program: str) -> None:
        deadline = time.monotonic() + SOCKET_WAIT_S
        while not path.exists():
            if time.monotonic() > deadline or self.dead():
                problems = "; ".join(self.dead()) or f"no {path} after {SOCKET_WAIT_S:.0f} s"
                raise LabError(f"{self.ctx.name}: FRR {program} did not start: {problems}")
            time.sleep(0.02)

    def configure(self) -> None:
        result = netns.run(["vtysh", "-N", self.ctx.name, "-b"], check=False)
        if result.returncode != 0:
            detail = (result.stdout + result.stderr).strip().replace("\n", "; ")
            raise LabError(f"{self.ctx.name}: vtysh -b could not apply frr.conf: {detail}")

    def _summary(self) -> dict[str, Any]:  # FRR's JSON as it prints it
        summary = vtysh_json(self.ctx.name, "show bgp summary json")
        return summary if isinstance(summary, dict) else {}

    def fingerprint(self) -> str:
        if "bgpd" not in self.programs():
            return ""
        peers = (self._summary().get("ipv4Unicast") or {}).get("peers") or {}
        return repr(
            sorted((a, p.get("state"), p.get("pfxRcd"), p.get("pfxSnt")) for a, p in peers.items())
        )

    def pending(self) -> list[str]:
        if "bgpd" not in self.programs():
            return []
        summary = self._summary()
        peers = (summary.get("ipv4Unicast") or {}).get("peers") or {}
        if not summary:
            return [f"{self.ctx.name}: bgpd does not answer"]
        return [
            f"{self.ctx.name}: BGP {addr} ({peer.get('desc') or peer.get('remoteAs')}) "
            f"is {peer.get('state')}"
            for addr, peer in peers.items()
            if peer.get("state") != "Established"
        ]


def _make_dir(path: Path, owner: pwd.struct_passwd) -> None:
    path.mkdir(mode=0o750, exist_ok=True)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o755 if path.parent == Path("/run") or path.is_relative_to(RUN_FRR) else 0o750)


def _install_file(path: Path, text: str, owner: pwd.struct_passwd) -> None:
    path.write_text(text)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o640)

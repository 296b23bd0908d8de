"""strongSwan on a lab node: one ``charon`` per node, configured through ``swanctl``.

charon runs in the node's namespace with ``STRONGSWAN_CONF`` pointing at the node's own
``strongswan.conf`` and with a private ``/run`` (a bind mount of the node's run directory,
made in a mount namespace of its own between fork and exec), so its pid file and vici socket
never collide with another node's. ``swanctl --uri unix://<socket> --load-all --file ...``
loads the node's connections; readiness means every child SA the node's ``swanctl.conf``
defines is INSTALLED. strongSwan has no offline config check, so both files are parsed
before charon starts (see :mod:`netsim.lab.daemons.settings`).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, ClassVar

from netsim.errors import LabError
from netsim.lab.daemons.base import Daemon
from netsim.lab.daemons.settings import SettingsError, lookup, parse_settings, section
from netsim.lab.host import netns

CHARON = Path("/usr/lib/ipsec/charon")
DEFAULT_VICI = "unix:///var/run/charon.vici"
SOCKET_WAIT_S = 10.0
#: A child not up this long after loading is initiated again (initiator side only).
REINITIATE_AFTER_S = 6.0
_CHILD_SA = re.compile(r"^\s+(\S+): #\d+, reqid \d+, (\w+),", re.MULTILINE)


class StrongSwan(Daemon):
    """charon + swanctl for one node."""

    NAME: ClassVar[str] = "strongswan"
    TOOLS = ("swanctl", str(CHARON))

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._loaded_at = 0.0
        self._initiated_at: dict[str, float] = {}

    @classmethod
    def wanted(cls, node: Any) -> bool:
        return node.bind_for("/etc/swanctl/swanctl.conf") is not None

    @property
    def conf_dir(self) -> Path:
        return self.ctx.directory / "strongswan"

    @property
    def run_dir(self) -> Path:
        """Mounted on /run for charon only."""
        return self.ctx.directory / "run"

    @property
    def strongswan_conf(self) -> Path:
        return self.conf_dir / "strongswan.conf"

    @property
    def swanctl_conf(self) -> Path:
        return self.conf_dir / "swanctl.conf"

    @property
    def vici_socket(self) -> Path:
        """Where charon's vici socket appears, seen from outside its mount namespace."""
        try:
            settings = parse_settings(self.strongswan_conf.read_text())
        except (OSError, SettingsError):
            settings = {}
        uri = lookup(settings, "charon.plugins.vici.socket", DEFAULT_VICI)
        path = uri.removeprefix("unix://")
        for run in ("/var/run/", "/run/"):
            if path.startswith(run):
                return self.run_dir / path[len(run) :]
        return Path(path)

    @property
    def env(self) -> dict[str, str]:
        return {"STRONGSWAN_CONF": str(self.strongswan_conf)}

    def _sources(self) -> tuple[Path, Path | None]:
        """The node's bound strongswan.conf and swanctl.conf files."""
        swanctl = self.ctx.node.bind_for("/etc/swanctl/swanctl.conf")
        conf = self.ctx.node.bind_for("/etc/strongswan.conf")
        assert swanctl is not None
        return swanctl.source, conf.source if conf else None

    def install(self) -> None:
        swanctl, conf = self._sources()
        assert conf is not None  # check() refused a node without one
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.swanctl_conf.write_text(swanctl.read_text())
        self.strongswan_conf.write_text(conf.read_text())

    def children(self) -> dict[str, str]:
        """Child SAs this node defines, with their ``start_action``."""
        settings = parse_settings(self.swanctl_conf.read_text())
        out = {}
        for conn in section(settings, "connections").values():
            for name, child in section(conn if isinstance(conn, dict) else {}, "children").items():
                out[name] = lookup(child if isinstance(child, dict) else {}, "start_action", "none")
        return out

    def check(self) -> list[str]:
        swanctl, conf = self._sources()
        if conf is None:
            return [
                f"{self.ctx.name}: a strongSwan node needs a strongswan.conf bind "
                "(/etc/strongswan.conf) that loads kernel-libipsec and vici"
            ]
        problems = []
        for path in (conf, swanctl):
            try:
                parse_settings(path.read_text())
            except SettingsError as exc:
                problems.append(f"{self.ctx.name}: {path}: {exc}")
        if problems:
            return problems
        settings = parse_settings(conf.read_text())
        plugins = lookup(settings, "charon.load").split()
        if (
            "kernel-libipsec" in plugins
            and "kernel-netlink" in plugins
            and (plugins.index("kernel-libipsec") > plugins.index("kernel-netlink"))
        ):
            problems.append(
                f"{self.ctx.name}: strongswan.conf must load kernel-libipsec before "
                "kernel-netlink (this kernel has no ESP)"
            )
        if plugins and "vici" not in plugins:
            problems.append(f"{self.ctx.name}: strongswan.conf does not load vici")
        return problems

    def start(self) -> None:
        for stale in self.run_dir.iterdir():  # pid file and sockets of an earlier run
            stale.unlink(missing_ok=True)
        netns.spawn(
            self.ctx.state,
            self.ctx.name,
            "strongswan.charon",
            [str(CHARON)],
            netns=self.ctx.namespace,
            env=self.env,
            private_run=self.run_dir,
        )
        deadline = time.monotonic() + SOCKET_WAIT_S
        while not self.vici_socket.exists():
            if time.monotonic() > deadline or self.dead():
                problems = "; ".join(self.dead()) or f"no vici socket {self.vici_socket}"
                raise LabError(f"{self.ctx.name}: charon did not start: {problems}")
            time.sleep(0.02)

    def swanctl(self, *args: str, check: bool = True) -> str:
        argv = ["swanctl", *args, "--uri", f"unix://{self.vici_socket}"]
        return netns.run(argv, env=self.env, check=check).stdout

    def configure(self) -> None:
        self.swanctl("--load-all", "--noprompt", "--file", str(self.swanctl_conf))
        self._loaded_at = time.monotonic()

    def installed(self) -> set[str]:
        """Names of the child SAs that are INSTALLED right now."""
        text = self.swanctl("--list-sas", check=False)
        return {name for name, sa_state in _CHILD_SA.findall(text) if sa_state == "INSTALLED"}

    def pending(self) -> list[str]:
        wanted = self.children()
        missing = sorted(set(wanted) - self.installed())
        now = time.monotonic()
        for child in missing:
            # A responder that was not loaded yet when we first tried rejected us; try again.
            since = now - max(self._loaded_at, self._initiated_at.get(child, 0.0))
            if wanted[child] == "start" and self._loaded_at and since > REINITIATE_AFTER_S:
                self._initiated_at[child] = now
                self.swanctl("--initiate", "--child", child, "--timeout", "1", check=False)
        return [f"{self.ctx.name}: IPsec SA {child} not installed" for child in missing]

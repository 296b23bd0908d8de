"""strongSwan on a lab node: one ``charon`` per node, configured through ``swanctl``.

charon runs in the node's namespace with ``STRONGSWAN_CONF`` pointing at the node's own
``strongswan.conf`` and with a private ``/run`` (a bind mount of the node's run directory,
made in a mount namespace of its own between fork and exec), so its pid file and vici socket
never collide with another node's. ``swanctl --uri unix://<socket> --load-all --file ...``
loads the node's connections; readiness means every child SA the node's ``swanctl.conf``
defines is INSTALLED. strongSwan has no offline config check, so both files are parsed
before charon starts (see :mod:`netsim.lab.daemons.settings`); their ``include``
statements are resolved through the node's binds and inlined into the node's copies.
Pre-shared keys the files do not hold are made for the deploy
(:mod:`netsim.lab.daemons.secrets`) and kept in a 0600 file the copy includes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from netsim.errors import InputError, LabError, ModelError
from netsim.lab.daemons.base import Daemon, NodeContext
from netsim.lab.daemons.secrets import needed, secrets_text, write_secrets
from netsim.lab.daemons.settings import (
    Settings,
    SettingsError,
    inline_includes,
    lookup,
    parse_settings,
    section,
)
from netsim.lab.host import netns

if TYPE_CHECKING:
    from netsim.lab.clab.topology import ClabNode

CHARON = Path("/usr/lib/ipsec/charon")
DEFAULT_VICI = "unix:///var/run/charon.vici"
SOCKET_WAIT_S = 10.0
#: A child not up this long after loading is initiated again (initiator side only).
REINITIATE_AFTER_S = 6.0
_CHILD_SA = re.compile(r"^\s+(\S+): #\d+, reqid \d+, (\w+),", re.MULTILINE)
#: What swanctl --load-all says about a connection, key or pool it could not load (not its
#: complaints about credential directories that do not exist).
_REFUSED = re.compile(r"^loading .* failed|failed to load")
SWANCTL_CONF = "/etc/swanctl/swanctl.conf"
STRONGSWAN_CONF = "/etc/strongswan.conf"


class StrongSwan(Daemon):
    """charon + swanctl for one node."""

    NAME: ClassVar[str] = "strongswan"
    TOOLS = ("swanctl", str(CHARON))

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        self._loaded_at = 0.0
        self._initiated_at: dict[str, float] = {}

    @classmethod
    def wanted(cls, node: ClabNode) -> bool:
        return node.provides(SWANCTL_CONF)

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
    def secrets_conf(self) -> Path:
        return self.conf_dir / "secrets.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**self.ctx.node.env, "STRONGSWAN_CONF": str(self.strongswan_conf)}

    def _sources(self) -> tuple[Path, Path | None]:
        """The node's bound swanctl.conf and strongswan.conf files."""
        swanctl = self.ctx.node.bind_for(SWANCTL_CONF)
        conf = self.ctx.node.bind_for(STRONGSWAN_CONF)
        assert swanctl is not None
        return swanctl, conf if conf is not None and conf.is_file() else None

    def _lookup(self, pattern: str) -> list[Path]:
        """Host files behind a path pattern inside the node (through its binds)."""
        pure = PurePosixPath(pattern)
        directory = self.ctx.node.bind_for(str(pure.parent))
        if directory is not None and directory.is_dir():
            return sorted(p for p in directory.glob(pure.name) if p.is_file())
        single = self.ctx.node.bind_for(pattern)
        return [single] if single is not None and single.is_file() else []

    def _inlined(self, source: Path, target: str) -> str:
        return inline_includes(source.read_text(), PurePosixPath(target).parent, self._lookup)

    def swanctl_settings(self) -> Settings:
        """The node's swanctl.conf with its includes, as strongSwan would read it."""
        return parse_settings(self._inlined(self._sources()[0], SWANCTL_CONF))

    def install(self) -> None:
        swanctl, conf = self._sources()
        assert conf is not None  # check() refused a node without one
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        text = self._inlined(swanctl, SWANCTL_CONF)
        pairs = needed(parse_settings(text))
        if pairs:
            if self.ctx.keys is None:
                raise LabError(f"{self.ctx.name}: no pre-shared keys for {len(pairs)} tunnel(s)")
            write_secrets(self.secrets_conf, secrets_text(pairs, self.ctx.keys))
            text += f"# The keys of this deploy:\ninclude {self.secrets_conf}\n"
        self.swanctl_conf.write_text(text)
        self.strongswan_conf.write_text(self._inlined(conf, STRONGSWAN_CONF))

    def children(self) -> dict[str, str]:
        """Child SAs this node defines, with their ``start_action``."""
        settings = parse_settings(self.swanctl_conf.read_text())
        out = {}
        for conn in section(settings, "connections").values():
            for name, child in section(conn if isinstance(conn, dict) else {}, "children").items():
                out[name] = lookup(child if isinstance(child, dict) else {}, "start_action", "none")
        return out

    def check(self) -> list[ModelError]:
        swanctl, conf = self._sources()
        name = self.ctx.name
        if conf is None:
            return [
                ModelError(
                    str(swanctl),
                    0,
                    "",
                    f"{name}: a strongSwan node needs a strongswan.conf bind "
                    "(/etc/strongswan.conf) that loads kernel-libipsec and vici",
                )
            ]
        problems = []
        texts = {}
        for path, target in ((conf, STRONGSWAN_CONF), (swanctl, SWANCTL_CONF)):
            try:
                texts[target] = self._inlined(path, target)
                parse_settings(texts[target])
            except SettingsError as exc:
                problems.append(ModelError(str(path), exc.line, "", f"{name}: {exc.reason}"))
        if problems:
            return problems
        plugins = lookup(parse_settings(texts[STRONGSWAN_CONF]), "charon.load").split()
        if (
            "kernel-libipsec" in plugins
            and "kernel-netlink" in plugins
            and (plugins.index("kernel-libipsec") > plugins.index("kernel-netlink"))
        ):
            problems.append(
                ModelError(
                    str(conf),
                    0,
                    "charon.load",
                    f"{name}: load kernel-libipsec before kernel-netlink (this kernel has no ESP)",
                )
            )
        if plugins and "vici" not in plugins:
            problems.append(ModelError(str(conf), 0, "charon.load", f"{name}: vici is not loaded"))
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
            hostname=self.ctx.node.host_name,
        )
        deadline = time.monotonic() + SOCKET_WAIT_S
        while not self.vici_socket.exists():
            if time.monotonic() > deadline or self.dead():
                problems = "; ".join(self.dead()) or f"no vici socket {self.vici_socket}"
                raise LabError(f"{self.ctx.name}: charon did not start: {problems}")
            time.sleep(0.02)

    def swanctl(self, *args: str, check: bool = True) -> str:
        argv = ["swanctl", *args, "--uri", f"unix://{self.ctx.state.short(self.vici_socket)}"]
        return netns.run(argv, env=self.env, check=check).stdout

    def configure(self) -> None:
        """Load the connections and keys; InputError naming what strongSwan refused."""
        argv = ["swanctl", "--load-all", "--noprompt", "--file", str(self.swanctl_conf)]
        result = netns.run(
            [*argv, "--uri", f"unix://{self.ctx.state.short(self.vici_socket)}"],
            env=self.env,
            check=False,
        )
        output = result.stdout + result.stderr
        refused = [line.strip() for line in output.splitlines() if _REFUSED.search(line)]
        if refused:
            source = self._sources()[0]
            raise InputError(
                [ModelError(str(source), 0, "", f"{self.ctx.name}: swanctl: {r}") for r in refused]
            )
        if result.returncode != 0:
            raise LabError(f"{self.ctx.name}: swanctl --load-all: {output.strip()}")
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

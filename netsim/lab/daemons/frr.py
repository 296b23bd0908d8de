"""FRR on a lab node: zebra, staticd and the daemons its ``daemons`` file enables.

Each node gets its own FRR *pathspace*, named after its namespace (``clab-<lab>-<node>``, so
two labs with the same node names never share one): daemons run with ``-N <pathspace>``
inside the node's namespace, read ``/etc/frr/<pathspace>/`` and put their sockets and pid
files in ``/run/frr/<pathspace>/`` (both owned by user ``frr``), and ``vtysh -N
<pathspace>`` reaches them from the host. The integrated ``frr.conf`` is checked with
``vtysh --dryrun`` before anything starts and applied with ``vtysh -b`` once the daemons
are up, as FRR's own init script does; a line FRR rejects at either point is bad input
(exit 2), named with its node, file, line and FRR's reason (:mod:`netsim.lab.daemons.frrconf`).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from netsim.errors import InputError, LabError, ModelError
from netsim.lab.clab.topology import FRR_CONF, FRR_DAEMONS
from netsim.lab.daemons.base import Daemon, NodeContext
from netsim.lab.daemons.frrconf import (
    ALWAYS,
    FRR_BIN,
    ISIS_LSP_GEN_S,
    LSA_MIN_INTERVAL_MS,
    OSPF_DEAD_S,
    STATE_FILES,
    dryrun_problems,
    frr_version,
    isis_pending,
    ospf6_pending,
    ospf_pending,
    read_daemons_file,
    rejected_lines,
    skipped_sections,
)
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host import netns

if TYPE_CHECKING:
    from netsim.lab.clab.topology import ClabNode

ETC_FRR = Path("/etc/frr")
RUN_FRR = Path("/run/frr")
SOCKET_WAIT_S = 10.0
DEFAULT_VTYSH_CONF = "service integrated-vtysh-config\n"


def vtysh(pathspace: str, *commands: str, check: bool = True) -> str:
    """Run vtysh commands against the daemons of ``pathspace``; return the output."""
    argv = ["vtysh", "-N", pathspace]
    for command in commands:
        argv += ["-c", command]
    return netns.run(argv, check=check).stdout


def vtysh_json(pathspace: str, command: str) -> Any:
    """A ``show ... json`` command's output, parsed ({} if the daemon gave nothing)."""
    text = vtysh(pathspace, command, check=False).strip()
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return {}
    start = min(starts)
    try:
        return json.loads(text[start:])
    except ValueError:
        return {}


class Frr(Daemon):
    """FRR with its own pathspace inside one node's namespace."""

    NAME: ClassVar[str] = "frr"
    DEPENDS = (StrongSwan,)
    TOOLS = ("vtysh", str(FRR_BIN / "zebra"))

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        self._configured_at = time.monotonic()

    @classmethod
    def wanted(cls, node: ClabNode) -> bool:
        return node.runs_frr

    @property
    def pathspace(self) -> str:
        return self.ctx.namespace

    @property
    def conf_dir(self) -> Path:
        return ETC_FRR / self.pathspace

    @property
    def run_dir(self) -> Path:
        return RUN_FRR / self.pathspace

    @property
    def source(self) -> Path | None:
        """The bound frr.conf (None: the node starts from an empty config)."""
        source = self.ctx.node.bind_for(FRR_CONF)
        return source if source is not None and source.is_file() else None

    def config_text(self) -> str:
        """The node's FRR config: the bound file, else what is running (``exec`` vtysh
        commands configure such a node)."""
        if self.source is not None:
            return self.source.read_text()
        return vtysh(self.pathspace, "show running-config", check=False)

    def programs(self) -> list[str]:
        daemons = self.ctx.node.bind_for(FRR_DAEMONS)
        if daemons is None or not daemons.is_file():
            return [*ALWAYS, "bgpd"]
        return read_daemons_file(daemons.read_text())

    def install(self) -> None:
        state = self.ctx.state
        frr = pwd.getpwnam("frr")
        if not RUN_FRR.exists():
            state.add_path(RUN_FRR)
            _make_dir(RUN_FRR, frr)
        for path in (self.conf_dir, self.run_dir):
            if path.exists() and str(path) not in state.paths:
                raise LabError(
                    f"{path} already exists: FRR pathspace {self.pathspace!r} is in use "
                    "(by another lab or by hand); destroy that lab or remove the directory"
                )
            state.add_path(path)
            _make_dir(path, frr)
        text = self.source.read_text() if self.source is not None else ""
        _install_file(self.conf_dir / "frr.conf", text, frr)
        for name in ("vtysh.conf", "daemons"):
            bound = self.ctx.node.bind_for(f"/etc/frr/{name}")
            if bound is not None and bound.is_file():
                _install_file(self.conf_dir / name, bound.read_text(), frr)
        if not (self.conf_dir / "vtysh.conf").exists():
            _install_file(self.conf_dir / "vtysh.conf", DEFAULT_VTYSH_CONF, frr)

    def check(self) -> list[ModelError]:
        problems = []
        for program in self.programs():
            if not (FRR_BIN / program).exists():
                problems.append(
                    ModelError(
                        str(self.ctx.node.bind_for(FRR_DAEMONS)),
                        0,
                        program,
                        f"{self.ctx.name}: the daemons file enables {program}, which FRR "
                        f"{frr_version()} on this host does not have (no {FRR_BIN / program})",
                    )
                )
        if self.source is None:
            return problems
        problems += skipped_sections(self.ctx.name, self.source, self.programs())
        result = netns.run(["vtysh", "--dryrun", "-f", str(self.source)], check=False)
        if result.returncode != 0:
            problems += dryrun_problems(self.ctx.name, self.source, result.stdout + result.stderr)
        return problems

    def start(self) -> None:
        # A restart after a node failure must not mistake old sockets for new ones.
        for stale in self.run_dir.iterdir():
            stale.unlink(missing_ok=True)
        for program in self.programs():
            for state_file in STATE_FILES.get(program, ()):
                # Written outside the pathspace (graceful-restart state): journaled first.
                if not state_file.exists():
                    self.ctx.state.add_path(state_file)
            argv = [str(FRR_BIN / program), "-N", self.pathspace, "-P", "0", "--log", "stdout"]
            if program == "zebra":
                argv += ["-s", "90000000"]
            netns.spawn(
                self.ctx.state,
                self.ctx.name,
                f"frr.{program}",
                argv,
                netns=self.ctx.namespace,
                env=self.ctx.node.env,
                hostname=self.ctx.node.host_name,
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
        """Apply frr.conf (``vtysh -b``); InputError naming every line the daemons refused."""
        result = netns.run(["vtysh", "-N", self.pathspace, "-b"], check=False)
        output = result.stdout + result.stderr
        problems = rejected_lines(self.ctx.name, self.source or self.conf_dir / "frr.conf", output)
        if problems:
            raise InputError(problems)
        if result.returncode != 0:
            detail = output.strip().replace("\n", "; ")
            raise LabError(f"{self.ctx.name}: vtysh -b could not apply frr.conf: {detail}")
        self._configured_at = time.monotonic()

    def run_vtysh(self, args: tuple[str, ...]) -> str:
        """A node's own ``vtysh ...`` command (from its ``exec``), against its daemons."""
        result = netns.run(["vtysh", "-N", self.pathspace, *args], check=False)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 or "% " in output:
            raise LabError(f"vtysh {' '.join(args)}: {output or f'exit {result.returncode}'}")
        return output

    def _summary(self) -> dict[str, Any]:  # FRR's JSON as it prints it
        summary = vtysh_json(self.pathspace, "show bgp summary json")
        return summary if isinstance(summary, dict) else {}

    def fingerprint(self) -> str:
        """The node's IPv4 and IPv6 routes and OSPF databases: ready also means they stopped
        changing (an LSA that changes no route yet may be followed by one that does)."""
        out = [self._routes(c) for c in ("show ip route json", "show ipv6 route json")]
        programs = self.programs()
        for program, command in (
            ("ospfd", "show ip ospf database json"),
            ("ospf6d", "show ipv6 ospf6 database json"),
        ):
            if program in programs:
                out.append(repr(without_ages(vtysh_json(self.pathspace, command))))
        return "\n".join(out)

    def quiet_s(self) -> float:
        """OSPF: its LSA interval and a second (flooding, SPF) without a change."""
        runs_ospf = {"ospfd", "ospf6d"} & set(self.programs())
        return LSA_MIN_INTERVAL_MS / 1000 + 1 if runs_ospf else 0.0

    def _routes(self, command: str) -> str:
        routes = vtysh_json(self.pathspace, command)
        if not isinstance(routes, dict):
            return ""
        return repr(
            sorted(
                (
                    prefix,
                    tuple(
                        sorted(
                            str(h.get("ip", h.get("interfaceName")))
                            for e in entries
                            for h in e.get("nexthops", [])
                            if e.get("selected")
                        )
                    ),
                )
                for prefix, entries in routes.items()
            )
        )

    def pending(self) -> list[str]:
        out = []
        programs = self.programs()
        text = self.config_text()
        running_s = time.monotonic() - self._configured_at
        if "bgpd" in programs and re.search(r"^router bgp\b", text, re.MULTILINE):
            out += self._bgp_pending()
        if "bfdd" in programs:
            out += self._bfd_pending()
        if "ospfd" in programs and re.search(r"^router ospf\b", text, re.MULTILINE):
            out += ospf_pending(
                self.ctx.name,
                vtysh_json(self.pathspace, "show ip ospf interface json"),
                vtysh_json(self.pathspace, "show ip ospf neighbor json"),
                running_s=running_s,
                peers=self.ospf_peers(),
                lsa_interval_ms=self._lsa_interval_ms(),
            )
        if "ospf6d" in programs and re.search(r"^router ospf6\b", text, re.MULTILINE):
            out += ospf6_pending(
                self.ctx.name,
                vtysh_json(self.pathspace, "show ipv6 ospf6 interface json"),
                vtysh_json(self.pathspace, "show ipv6 ospf6 neighbor json"),
                running_s=running_s,
                peers=self.ospf_peers("ospf6d"),
            )
        if "isisd" in programs and re.search(r"^router isis\b", text, re.MULTILINE):
            out += isis_pending(
                self.ctx.name,
                vtysh_json(self.pathspace, "show isis interface json"),
                vtysh_json(self.pathspace, "show isis neighbor json"),
                running_s=running_s,
                peers=self.ospf_peers("isisd"),
                lsp_gen_s=self._lsp_gen_s(text),
            )
        return out

    def settle_s(self) -> float:
        """OSPF (v2 or v3): its longest dead interval (the DR election waits that long on a
        broadcast link) plus the LSA interval, after which the adjacency's LSA is flooded;
        IS-IS: its LSP generation interval (see :func:`isis_pending`)."""
        text = self.config_text()
        programs = self.programs()
        isis = self._lsp_gen_s(text) + 1 if "isisd" in programs else 0.0
        if not any(
            p in programs and re.search(rf"^router {p[:-1]}\b", text, re.MULTILINE)
            for p in ("ospfd", "ospf6d")
        ):
            return isis
        dead = re.findall(r"^\s*ipv?6? ospf6? dead-interval (\d+)", text, re.MULTILINE)
        ospf = max([int(x) for x in dead] or [OSPF_DEAD_S]) + LSA_MIN_INTERVAL_MS / 1000
        return max(ospf, isis)

    @staticmethod
    def _lsp_gen_s(text: str) -> float:
        """The longest ``lsp-gen-interval`` of frr.conf's IS-IS sections (FRR's default 30 s)."""
        found = re.findall(r"^\s*lsp-gen-interval (?:level-[12] )?(\d+)", text, re.MULTILINE)
        return float(max([int(x) for x in found] or [ISIS_LSP_GEN_S]))

    def _lsa_interval_ms(self) -> float:
        info = vtysh_json(self.pathspace, "show ip ospf json")
        value = info.get("lsaMinIntervalMsecs") if isinstance(info, dict) else None
        return float(value) if isinstance(value, int | float) else LSA_MIN_INTERVAL_MS

    def ospf_peers(self, program: str = "ospfd") -> frozenset[str]:
        """This node's interfaces whose link leads to another node that runs ``program``."""
        topology, me = self.ctx.topology, self.ctx.name
        out = set()
        for link in topology.links_of(me):
            mine, other = (link.a, link.b) if link.a.node == me else (link.b, link.a)
            peer = Frr(NodeContext(topology, topology.nodes[other.node], self.ctx.state))
            if Frr.wanted(peer.ctx.node) and program in peer.programs():
                out.add(mine.interface)
        return frozenset(out)

    def _bfd_pending(self) -> list[str]:
        """BFD sessions not up yet, except those of a BGP neighbour shut down by config.

        BGP can reach Established while its BFD session is still in Init (seen in CI),
        so a lab is ready only once BFD, which decides failover, is up as well.
        """
        peers = vtysh_json(self.pathspace, "show bfd peers json")
        neighbours = bgp_peers(self._summary())
        shut = {a for a, p in neighbours.items() if "Admin" in str(p.get("peerState"))}
        return [
            f"{self.ctx.name}: BFD {p.get('peer')} is {p.get('status')}"
            for p in (peers if isinstance(peers, list) else [])
            if p.get("status") not in ("up", "shutdown") and p.get("peer") not in shut
        ]

    def _bgp_pending(self) -> list[str]:
        summary = self._summary()
        peers = bgp_peers(summary)
        if not summary:
            return [f"{self.ctx.name}: bgpd does not answer"]
        return [
            f"{self.ctx.name}: BGP {addr} ({peer.get('desc') or peer.get('remoteAs')}) "
            f"is {peer.get('state')}"
            for addr, peer in peers.items()
            if peer.get("state") != "Established" and "Admin" not in str(peer.get("peerState"))
        ]


def without_ages(data: Any) -> Any:
    """FRR's JSON without the fields that change by themselves (an LSA's age, timers).

    >>> without_ages({"lsaAge": 3, "seq": "80000002", "x": [{"duration": "00:01"}]})
    {'seq': '80000002', 'x': [{}]}
    """
    if isinstance(data, dict):
        return {
            k: without_ages(v)
            for k, v in data.items()
            if not any(t in k.lower() for t in ("age", "duration", "timer", "uptime"))
        }
    if isinstance(data, list):
        return [without_ages(v) for v in data]
    return data


def bgp_peers(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The neighbours of ``show bgp summary json`` in every address family it lists.

    A neighbour activated only in ``ipv6 unicast`` (or EVPN) appears under that family
    alone, so reading ``ipv4Unicast`` only would not wait for it.

    >>> bgp_peers({"ipv4Unicast": {"peers": {"10.0.0.1": {"state": "Active"}}},
    ...            "ipv6Unicast": {"peers": {"fd00::1": {"state": "Idle"}}}})
    {'10.0.0.1': {'state': 'Active'}, 'fd00::1': {'state': 'Idle'}}
    """
    out: dict[str, dict[str, Any]] = {}
    for family in summary.values():
        peers = family.get("peers") if isinstance(family, dict) else None
        for address, peer in (peers or {}).items():
            if isinstance(peer, dict):
                out.setdefault(address, peer)
    return out


def _make_dir(path: Path, owner: pwd.struct_passwd) -> None:
    path.mkdir(mode=0o750, exist_ok=True)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o755 if path.parent == Path("/run") or path.is_relative_to(RUN_FRR) else 0o750)


def _install_file(path: Path, text: str, owner: pwd.struct_passwd) -> None:
    path.write_text(text)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o640)

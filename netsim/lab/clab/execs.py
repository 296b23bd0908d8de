"""The commands of a containerlab file, parsed and checked before anything runs.

containerlab runs a node's ``exec`` commands (and its stages' ``exec`` commands with
``target: container``) inside the node's container, split into argv the way a shell would
split them but without a shell. netsim has no container, only the node's network namespace
on the host, so it runs a command only if its effect stays inside that namespace:

- network tools (``ip``, ``tc``, ``bridge``, ``ifconfig``, ``route``, ``arp``, ``ethtool``,
  ``iptables``, ``ip6tables``, ``nft``, ``ping``), run in the node's namespace;
- ``sysctl [-w] net.KEY=VALUE`` (per-namespace keys only);
- ``vtysh ...`` on a node that runs FRR, against that node's FRR;
- ``echo``, ``true`` and ``sleep N`` (N at most ``MAX_SLEEP_S``);
- ``sh|bash|ash -c 'SCRIPT'`` whose script is a sequence (``;``, ``&&``, new lines) of the
  above, with ``$VAR`` taken from the node's ``env``; no pipes, redirections or
  substitutions.

Anything else is refused with the reason before the deploy creates anything: a file's
``rm -rf /`` would otherwise run on the host as root.

Host commands (``target: host``) are refused except containerlab's own link impairment tool,
``containerlab tools netem set -n CONTAINER -i IFACE [--delay D] [--jitter J] [--loss PCT]
[--rate KBIT] [--corruption PCT]``, which :func:`parse_netem` reads so that the lab applies
the same impairment with its own link emulation (:mod:`netsim.lab.host.links`).

Examples
--------
>>> parse_command("ip route add default via 10.0.0.1", {})
(('ip', 'route', 'add', 'default', 'via', '10.0.0.1'),)
>>> parse_command("sh -c 'ip link set eth1 up && ip addr add $A dev eth1'", {"A": "10.0.0.2/24"})
(('ip', 'link', 'set', 'eth1', 'up'), ('ip', 'addr', 'add', '10.0.0.2/24', 'dev', 'eth1'))
>>> parse_command("rm -rf /", {})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
netsim.lab.clab.execs.CommandError: 'rm' is not run here: netsim runs only commands whose ...
>>> n = parse_netem("containerlab tools netem set -n clab-lab-r1 -i eth1 --delay 10ms --jitter 1ms")
>>> n.container, n.interface, n.delay_s, n.jitter_s
('clab-lab-r1', 'eth1', 0.01, 0.001)
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.lab.clab.params import LinkParams
from netsim.model.dist import Dist

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Programs whose effect stays inside the network namespace they run in.
NETNS_PROGRAMS = frozenset(
    {"ip", "tc", "bridge", "ifconfig", "route", "arp", "ethtool", "iptables", "ip6tables"}
    | {"nft", "ping"}
)
BUILTINS = frozenset({"echo", "true", "sleep", "sysctl"})
FRR_PROGRAMS = frozenset({"vtysh"})
SHELLS = frozenset({"sh", "bash", "ash", "dash"})
MAX_SLEEP_S = 30.0
_SCRIPT_SEPARATORS = frozenset({";", "&&"})
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
CLAB_PROGRAMS = frozenset({"containerlab", "clab"})
#: containerlab's netem: the qdisc holds at most this many packets (``Limit: 10000``).
NETEM_LIMIT_PACKETS = 10000
FULL_FRAME_BYTES = 1514
PERCENT = 100.0


class CommandError(ValueError):
    """A command netsim will not (or cannot) run, with the reason."""


def _program(argv0: str) -> str:
    return argv0.rsplit("/", 1)[-1]


def allowed_programs() -> str:
    return ", ".join(sorted(NETNS_PROGRAMS | BUILTINS | FRR_PROGRAMS))


def _check_step(argv: tuple[str, ...]) -> None:
    program = _program(argv[0])
    if program in NETNS_PROGRAMS or program in FRR_PROGRAMS or program in ("echo", "true"):
        return
    if program == "sleep":
        try:
            seconds = float(argv[1]) if len(argv) == 2 else -1.0  # noqa: PLR2004 - sleep N
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_SLEEP_S:
            raise CommandError(f"sleep takes one number of seconds up to {MAX_SLEEP_S:g}")
        return
    if program == "sysctl":
        sysctl_assignments(argv)
        return
    raise CommandError(
        f"{program!r} is not run here: netsim runs only commands whose effect stays in the "
        f"node's network namespace ({allowed_programs()})"
    )


def sysctl_assignments(argv: tuple[str, ...]) -> list[tuple[str, str]]:
    """The ``key=value`` pairs of a ``sysctl [-w] k=v ...`` command (``net.*`` keys only)."""
    pairs = []
    for arg in argv[1:]:
        if arg in ("-w", "-q", "--write", "--quiet"):
            continue
        key, eq, value = arg.partition("=")
        if not eq or arg.startswith("-"):
            raise CommandError(f"sysctl: only `sysctl [-w] key=value` is run here, not {arg!r}")
        if not key.startswith("net."):
            raise CommandError(f"sysctl {key} is not per network namespace: only net.* keys")
        pairs.append((key, value))
    if not pairs:
        raise CommandError("sysctl without key=value")
    return pairs


def _expand(script: str, env: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise CommandError(f"${name} is not in the node's env")
        return env[name]

    return _VAR.sub(value, script)


def _script_steps(script: str, env: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """A ``sh -c`` script as its simple commands; anything but sequencing is refused."""
    if "`" in script or "$(" in script:
        raise CommandError("command substitution is not run here")
    # New lines separate commands, as ; does.
    lexer = shlex.shlex(
        _expand(script, env).replace("\n", ";"), posix=True, punctuation_chars=";&|<>()"
    )
    lexer.whitespace_split = True
    steps: list[tuple[str, ...]] = []
    current: list[str] = []
    try:
        tokens = list(lexer)
    except ValueError as exc:
        raise CommandError(f"cannot split the script: {exc}") from None
    for token in tokens:
        if token in _SCRIPT_SEPARATORS:
            if current:
                steps.append(tuple(current))
            current = []
        elif token and set(token) <= set(";&|<>()"):
            raise CommandError(f"shell operator {token!r} is not run here (only ; and &&)")
        else:
            current.append(token)
    if current:
        steps.append(tuple(current))
    return tuple(steps)


def parse_command(text: str, env: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """The argv steps of one command; CommandError if netsim does not run it."""
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise CommandError(f"cannot split the command: {exc}") from None
    if not argv:
        raise CommandError("empty command")
    if _program(argv[0]) in SHELLS:
        if len(argv) != 3 or argv[1] != "-c":  # noqa: PLR2004 - sh -c SCRIPT
            raise CommandError("a shell is run here only as `sh -c 'SCRIPT'`")
        steps = _script_steps(argv[2], env)
    else:
        steps = (argv,)
    if not steps:
        raise CommandError("empty command")
    for step in steps:
        _check_step(step)
    return steps


@dataclass(frozen=True, slots=True)
class NetemSet:
    """``containerlab tools netem set``: egress impairment of one interface of a container."""

    container: str
    interface: str
    delay_s: float = 0.0
    jitter_s: float = 0.0
    loss_pct: float = 0.0
    rate_kbit: int = 0
    corruption_pct: float = 0.0

    def params(self, base: LinkParams) -> LinkParams:
        """The link parameters of this direction: netem's, with ``base``'s buffer.

        netem's jitter without a distribution table is uniform on ``delay +- jitter``;
        corrupted frames fail their checksum at the receiver, so they count as lost.
        Without a ``buffer`` in the link's vars, the queue holds what netem's
        ``NETEM_LIMIT_PACKETS`` full frames would.
        """
        delay: Dist | None = None
        if self.jitter_s:
            low = max(self.delay_s - self.jitter_s, 0.0)
            width = self.delay_s + self.jitter_s - low
            delay = Dist("uniform", (("loc", low), ("scale", width)))
        elif self.delay_s:
            delay = Dist.constant(self.delay_s)
        loss = 1 - (1 - self.loss_pct / PERCENT) * (1 - self.corruption_pct / PERCENT)
        buffer = base.buffer_bytes
        if buffer is None and self.rate_kbit:
            buffer = NETEM_LIMIT_PACKETS * FULL_FRAME_BYTES
        return LinkParams(
            delay,
            loss,
            self.rate_kbit * 1e3 if self.rate_kbit else None,
            buffer,
            base.vars,
        )


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0}
_GO_UNITS |= {"m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> float:
    """Seconds of a Go duration (``1.5ms``, ``500us``, ``1m30s``, ``0``), as Go's flags read it."""
    if text in ("0", "+0", "-0"):
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        match = _GO_PART.match(text, pos)
        if match is None:
            raise CommandError(f"invalid duration {text!r} (Go syntax: 10ms, 1.5s, 500us)")
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise CommandError("empty duration")
    return total


_NETEM_FLAGS = {
    "-n": "node",
    "--node": "node",
    "-i": "interface",
    "--interface": "interface",
    "--delay": "delay",
    "--jitter": "jitter",
    "--loss": "loss",
    "--rate": "rate",
    "--corruption": "corruption",
}
#: containerlab's global flags that take a value and do not change what netem does.
_IGNORED_WITH_VALUE = frozenset({"-r", "--runtime", "--log-level", "--timeout", "-t", "--topo"})
_IGNORED = frozenset({"-d", "--debug"})
_NETEM_ARGS = 3  # containerlab tools netem


def is_netem(argv: tuple[str, ...]) -> bool:
    return (
        len(argv) > _NETEM_ARGS
        and _program(argv[0]) in CLAB_PROGRAMS
        and argv[1:_NETEM_ARGS] == ("tools", "netem")
    )


def _netem_options(args: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        flag, eq, inline = args[i].partition("=")
        if flag in _IGNORED:
            i += 1
            continue
        takes_value = flag in _NETEM_FLAGS or flag in _IGNORED_WITH_VALUE
        if not takes_value:
            raise CommandError(f"containerlab tools netem set: unknown flag {flag!r}")
        if eq:
            value = inline
        elif i + 1 < len(args):
            i += 1
            value = args[i]
        else:
            raise CommandError(f"containerlab tools netem set: {flag} needs a value")
        if flag in _NETEM_FLAGS:
            values[_NETEM_FLAGS[flag]] = value
        i += 1
    return values


def parse_netem(text: str) -> NetemSet:
    """Read a ``containerlab tools netem set`` host command with containerlab's checks."""
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise CommandError(f"cannot split the command: {exc}") from None
    if not is_netem(argv) or argv[_NETEM_ARGS] != "set":
        raise CommandError(
            "netsim runs no commands on the host; the only host command it understands is "
            "`containerlab tools netem set -n CONTAINER -i IFACE ...`, which it applies with "
            "its own link emulation"
        )
    values = _netem_options(argv[_NETEM_ARGS + 1 :])
    for required in ("node", "interface"):
        if not values.get(required):
            raise CommandError(f"containerlab tools netem set: --{required} is required")
    try:
        loss = float(values.get("loss", 0))
        corruption = float(values.get("corruption", 0))
        rate = int(values.get("rate", 0))
    except ValueError as exc:
        raise CommandError(f"containerlab tools netem set: {exc}") from None
    delay = go_duration(values.get("delay", "0"))
    jitter = go_duration(values.get("jitter", "0"))
    if not 0 <= loss <= PERCENT or not 0 <= corruption <= PERCENT:
        raise CommandError("packet loss must be in the range between 0 and 100")
    if jitter and not delay:
        raise CommandError("jitter cannot be set without setting delay")
    if rate < 0:
        raise CommandError("rate must not be negative")
    return NetemSet(values["node"], values["interface"], delay, jitter, loss, rate, corruption)

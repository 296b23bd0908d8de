"""What FRR says about a configuration, read back as located problems.

FRR reports a line it refuses in two places: ``vtysh --dryrun -f FILE`` before anything
starts (``line 10: % Unknown command[41]: bogus``) and ``vtysh -b`` when the running daemons
are given the file (``% Invalid value`` then ``line 14: Failure to communicate[13] to bgpd,
line: neighbor 10.0.0.2 timers 3 1``). A section for a daemon that does not run is skipped
silently (vtysh has nobody to send it to), which :func:`skipped_sections` finds from the
file itself. Each problem becomes a :class:`~netsim.errors.ModelError` on the node's own
file and line, so the deploy fails as bad input (exit 2) saying exactly what to fix.

Examples
--------
>>> from pathlib import Path
>>> out = "% Invalid value\\nline 14: Failure to communicate[13] to bgpd, line: neighbor x timers"
>>> str(rejected_lines("r1", Path("r1/frr.conf"), out)[0])
'r1/frr.conf:14: r1: FRR rejects `neighbor x timers`: Invalid value'
>>> str(dryrun_problems("r1", Path("f"), "line 10: % Unknown command[41]:  bogus here")[0])
'f:10: r1: FRR rejects `bogus here`: Unknown command'
>>> read_daemons_file("bgpd=yes\\nospfd=no\\nbfdd=yes\\nvtysh_enable=yes\\n")
['zebra', 'staticd', 'bfdd', 'bgpd']
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from netsim.errors import ModelError

FRR_BIN = Path("/usr/lib/frr")
#: Started whatever the daemons file says (as FRR's frrcommon.sh does), before the others.
ALWAYS = ("zebra", "staticd")
#: FRR's daemons in its own start order (frrcommon.sh), bfdd moved before bgpd so that BGP
#: can register its BFD sessions at once.
ORDER = (
    "mgmtd",
    "bfdd",
    "bgpd",
    "ripd",
    "ripngd",
    "ospfd",
    "ospf6d",
    "isisd",
    "babeld",
    "pimd",
    "pim6d",
    "ldpd",
    "nhrpd",
    "eigrpd",
    "sharpd",
    "pbrd",
    "fabricd",
    "vrrpd",
    "pathd",
)
#: Files some daemons write outside their pathspace (graceful-restart state).
STATE_FILES = {
    "ospfd": (Path("/run/frr/ospfd-gr.json"),),
    "ospf6d": (Path("/run/frr/ospf6d-gr.json"),),
}
#: Top-level sections of frr.conf and the daemon that carries out each.
SECTIONS = (
    (re.compile(r"^router bgp\b"), "bgpd"),
    (re.compile(r"^router ospf6\b"), "ospf6d"),
    (re.compile(r"^router ospf\b"), "ospfd"),
    (re.compile(r"^router isis\b"), "isisd"),
    (re.compile(r"^router ripng\b"), "ripngd"),
    (re.compile(r"^router rip\b"), "ripd"),
    (re.compile(r"^router eigrp\b"), "eigrpd"),
    (re.compile(r"^router babel\b"), "babeld"),
    (re.compile(r"^router openfabric\b"), "fabricd"),
    (re.compile(r"^bfd\s*$"), "bfdd"),
    (re.compile(r"^mpls ldp\b"), "ldpd"),
    (re.compile(r"^pbr-map\b"), "pbrd"),
)
_LINE = re.compile(r"^line (\d+): (.*)$")
_UNKNOWN = re.compile(r"^% ([^\[]+?)(?:\[\d+\])?:\s*(.*)$")
_FAILURE = re.compile(r"^Failure to communicate\[\d+\] to \S+, line:\s*(.*)$")
#: OSPF interface and neighbour states that mean "not converged yet".
OSPF_WAITING = frozenset({"Waiting"})
OSPF_FORMING = frozenset({"Init", "Attempt", "ExStart", "Exchange", "Loading"})
OSPF_DEAD_S = 40  # OSPF's default dead interval
LSA_MIN_INTERVAL_MS = 5000  # FRR's default: an LSA is re-originated at most this often
ISIS_HOLD_S = 30  # FRR's default IS-IS hold time: hello 3 s x multiplier 10
ISIS_LSP_GEN_S = 30  # FRR's default lsp-gen-interval: an LSP is regenerated at most this often


def read_daemons_file(text: str) -> list[str]:
    """The daemons a FRR ``daemons`` file enables, in start order (zebra first)."""
    enabled = set()
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if value.strip().strip("\"'") == "yes":
            enabled.add(key.strip())
    return [*ALWAYS, *(d for d in ORDER if d in enabled)]


@lru_cache(maxsize=1)
def frr_version() -> str:
    """The version of the host's FRR (``8.4.4``), or ``?``."""
    try:
        out = subprocess.run(
            [str(FRR_BIN / "zebra"), "--version"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return "?"
    match = re.search(r"version (\S+)", out)
    return match.group(1) if match else "?"


def _problem(node: str, source: Path, line: int, text: str, reason: str) -> ModelError:
    return ModelError(str(source), line, "", f"{node}: FRR rejects `{text}`: {reason}")


def dryrun_problems(node: str, source: Path, output: str) -> list[ModelError]:
    """The lines ``vtysh --dryrun`` refused, or one problem with its whole output."""
    problems = []
    for raw in output.splitlines():
        match = _LINE.match(raw.strip())
        if not match:
            continue
        detail = _UNKNOWN.match(match.group(2).strip())
        reason, text = (detail.group(1), detail.group(2)) if detail else (match.group(2), "")
        problems.append(_problem(node, source, int(match.group(1)), text.strip(), reason.strip()))
    if not problems:
        said = output.strip().replace("\n", "; ") or "no output"
        message = f"{node}: frr.conf does not pass vtysh --dryrun: {said}"
        problems.append(ModelError(str(source), 0, "", message))
    return problems


def rejected_lines(node: str, source: Path, output: str) -> list[ModelError]:
    """The lines the running daemons refused during ``vtysh -b``, with FRR's reasons."""
    problems = []
    reason = ""
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("% "):
            reason = line[2:].strip()
            continue
        match = _LINE.match(line)
        if not match:
            continue
        rest = match.group(2).strip()
        failure = _FAILURE.match(rest)
        unknown = _UNKNOWN.match(rest)
        if failure:
            text = failure.group(1)
        elif unknown:
            reason, text = unknown.group(1), unknown.group(2)
        else:
            text = rest
        problems.append(
            _problem(node, source, int(match.group(1)), text.strip(), reason or "refused")
        )
        reason = ""
    return problems


def skipped_sections(node: str, source: Path, programs: list[str]) -> list[ModelError]:
    """Sections of frr.conf for daemons that do not run: vtysh skips them without a word."""
    problems = []
    for number, raw in enumerate(source.read_text().splitlines(), start=1):
        for pattern, daemon in SECTIONS:
            if pattern.match(raw) and daemon not in programs:
                problems.append(
                    ModelError(
                        str(source),
                        number,
                        "",
                        f"{node}: `{raw.strip()}` configures {daemon}, which the node's "
                        "daemons file does not enable: FRR would skip the whole section",
                    )
                )
                break
    return problems


def ospf_pending(
    node: str,
    interfaces: Any,
    neighbors: Any,
    *,
    running_s: float,
    peers: frozenset[str],
    lsa_interval_ms: float = LSA_MIN_INTERVAL_MS,
) -> list[str]:  # interfaces, neighbors: FRR's JSON
    """OSPF interfaces still waiting for a neighbour or a DR, and adjacencies still forming.

    An interface in ``peers`` (its link's far end runs ospfd too) with no adjacent neighbour
    yet is pending until its dead interval has passed since ospfd got its configuration:
    by then OSPF itself would have given up on a neighbour that never said hello. An
    adjacency younger than the LSA interval (plus a second for flooding and SPF) is pending
    too: a router re-originates its LSA at most once per interval, so the LSA that announces
    this adjacency may still be held back, and the routes would change after "ready".
    """
    out = []
    for name, iface in ((interfaces or {}).get("interfaces") or {}).items():
        if (
            not isinstance(iface, dict)
            or iface.get("timerPassiveIface")
            or not iface.get("ifUp", True)
        ):
            continue
        # Waiting matters only where a neighbour will become adjacent after the election;
        # a lonely interface is already in the router's LSA as a stub network.
        if iface.get("state") in OSPF_WAITING and iface.get("nbrCount", 1):
            out.append(f"{node}: OSPF interface {name} is waiting (DR election)")
        elif (
            name in peers
            and not iface.get("nbrAdjacentCount", 1)
            and running_s < iface.get("timerDeadSecs", OSPF_DEAD_S)
        ):
            out.append(f"{node}: OSPF interface {name} has no adjacency yet")
    for router, entries in ((neighbors or {}).get("neighbors") or {}).items():
        for entry in entries if isinstance(entries, list) else [entries]:
            state = str(entry.get("state") or entry.get("nbrState") or "").split("/")[0]
            if state in OSPF_FORMING:
                out.append(f"{node}: OSPF neighbour {router} is {state}")
            elif state == "Full" and entry.get("upTimeInMsec", 1e12) < lsa_interval_ms + 1000:
                out.append(f"{node}: OSPF adjacency with {router} is new; its LSAs may be held")
    return out


def _seconds(text: object) -> float:
    """FRR's ``HH:MM:SS`` durations (ospf6d's neighbour uptime) in seconds."""
    parts = str(text).split(":")
    try:
        return float(sum(int(p) * 60**i for i, p in enumerate(reversed(parts))))
    except ValueError:
        return 1e12


def ospf6_pending(
    node: str,
    interfaces: Any,
    neighbors: Any,
    *,
    running_s: float,
    peers: frozenset[str],
    lsa_interval_ms: float = LSA_MIN_INTERVAL_MS,
) -> list[str]:  # interfaces, neighbors: FRR's JSON
    """:func:`ospf_pending` for OSPFv3 (ospf6d), whose JSON is shaped differently.

    A neighbour ``0.0.0.0`` is a hello heard before the far end had its router ID (its
    interfaces come before ``router ospf6`` in frr.conf): it is not an adjacency that will
    form, and ages out by itself, so only the interface's own wait counts there.
    """
    out = []
    entries = [n for n in ((neighbors or {}).get("neighbors") or []) if isinstance(n, dict)]
    full = {n.get("interfaceName") for n in entries if n.get("state") == "Full"}
    heard = {n.get("interfaceName") for n in entries}
    for name, iface in (interfaces or {}).items():
        if not isinstance(iface, dict) or iface.get("status") != "up":
            continue
        if not iface.get("attachedToArea", True):
            continue
        if iface.get("ospf6InterfaceState") in OSPF_WAITING and name in heard:
            out.append(f"{node}: OSPFv3 interface {name} is waiting (DR election)")
        elif (
            name in peers
            and name not in full
            and running_s < iface.get("timerIntervalsConfigDead", OSPF_DEAD_S)
        ):
            out.append(f"{node}: OSPFv3 interface {name} has no adjacency yet")
    for entry in entries:
        router, state = entry.get("neighborId"), str(entry.get("state"))
        if state in OSPF_FORMING and router != "0.0.0.0":
            out.append(f"{node}: OSPFv3 neighbour {router} is {state}")
        elif state == "Full" and _seconds(entry.get("duration")) < lsa_interval_ms / 1000 + 1:
            out.append(f"{node}: OSPFv3 adjacency with {router} is new; its LSAs may be held")
    return out


def isis_pending(
    node: str,
    interfaces: Any,
    neighbors: Any,
    *,
    running_s: float,
    peers: frozenset[str],
    lsp_gen_s: float = ISIS_LSP_GEN_S,
) -> list[str]:  # interfaces, neighbors: FRR's JSON (``show isis interface|neighbor json``)
    """IS-IS adjacencies still forming, and interfaces towards an isisd with none yet.

    An interface in ``peers`` with no adjacency up is pending for a hold time (30 s with
    FRR's defaults) after isisd got its configuration, as :func:`ospf_pending` does. isisd
    generates its LSP when it starts and regenerates it at most once per ``lsp_gen_s``
    (``lsp-gen-interval``): an adjacency that came up meanwhile reaches the other routers
    (and their routes) only then, seen here 20 s after the adjacency. FRR's JSON gives no
    adjacency age, so a node with an adjacency up is pending until that interval (plus a
    second for flooding and SPF) has passed since isisd got its configuration.
    """

    def circuits(data: Any) -> list[dict[str, Any]]:
        areas = (data or {}).get("areas") or [] if isinstance(data, dict) else []
        return [c for a in areas for c in (a.get("circuits") or []) if isinstance(c, dict)]

    out = []
    up = set()
    for adj in circuits(neighbors):
        if "state" not in adj:
            continue
        if adj["state"] == "Up":
            up.add(adj.get("interface"))
        else:
            out.append(f"{node}: IS-IS adjacency on {adj.get('interface')} is {adj['state']}")
    for circuit in circuits(interfaces):
        iface = circuit.get("interface")
        name = iface.get("name") if isinstance(iface, dict) else None
        if name in peers and name not in up and running_s < ISIS_HOLD_S:
            out.append(f"{node}: IS-IS interface {name} has no adjacency yet")
    if up and running_s < lsp_gen_s + 1:
        out.append(f"{node}: IS-IS LSP announcing its adjacencies may be held (lsp-gen-interval)")
    return out

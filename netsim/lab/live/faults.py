"""Failure injection on a live lab; every fault returns what it changed, to be undone.

Modes (the model's, section 4 of the architecture):

- ``down``: carrier loss: both ends of the link are set administratively down;
- ``blackhole``: forwarding stops but the link stays up: an nftables ``netdev`` ingress
  chain with policy drop on both ends (BFD, or the BGP hold timer, has to notice);
- ``loss:P``: each packet is dropped with probability P in each direction (nftables
  ``numgen random``); nothing is detected;
- ``delay:+X``: X is added to the one-way delay (relay control socket, or netem);
- a node failure: all the node's interfaces go down and its daemons are stopped.

Each function returns a list of :class:`Change`; :func:`undo` reverses them (last first).
Changes are plain data (``to_json``) so that ``netsim lab restore`` in another process can
undo what ``netsim lab fail`` did; the runner keeps them in the lab state.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from netsim.errors import UsageError
from netsim.lab.daemons import NodeContext, daemons_for
from netsim.lab.host import netns, relay
from netsim.lab.host.links import netem_args
from netsim.model.units import UnitError, parse_duration

if TYPE_CHECKING:
    from netsim.lab.clab.topology import ClabTopology
    from netsim.lab.host.jsondoc import JsonDoc
    from netsim.lab.host.state import LabState

_LOSS = re.compile(r"^loss:(0(?:\.\d+)?|1(?:\.0+)?)$")
_DELAY = re.compile(r"^delay:\+(.+)$")
NFT_PRIORITY = -500


@dataclass(frozen=True, slots=True)
class Change:
    """One reversible change: ``kind`` says how to undo it, ``details`` what to restore."""

    kind: str  # link-down | nft | relay | netem | daemons
    target: str  # the link or node the fault was asked for
    mode: str
    at: float  # wall-clock time (time.time()) the change took effect
    # What to restore differs per kind (ends, nft table, relay socket...); it is saved in
    # the lab's state file so that another process can undo the change.
    details: JsonDoc = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JsonDoc) -> Change:  # as read from the state file
        return cls(**data)


def check_mode(mode: str) -> None:
    """UsageError (exit 2) unless ``mode`` is a fault mode this module knows."""
    if mode in ("down", "blackhole") or _LOSS.match(mode):
        return
    match = _DELAY.match(mode)
    if match:
        try:
            parse_duration(match.group(1))
        except UnitError as exc:
            raise UsageError(f"fault mode {mode!r}: {exc}") from None
        return
    raise UsageError(
        f"unknown fault mode {mode!r}: use down, blackhole, loss:P (P a fraction from 0 to 1, "
        "e.g. loss:0.1 for 10 %), delay:+X (e.g. delay:+5ms) or flap:DOWN/UP/COUNT"
    )


def link_name(topology: ClabTopology, target: str) -> str:
    """The name of the link ``target`` names (its name, or one end as ``node:interface``);
    UsageError (exit 2) listing the lab's links if there is none."""
    try:
        return topology.link(target).name
    except KeyError:
        names = ", ".join(lk.name for lk in topology.links)
        raise UsageError(f"no link {target!r} in lab {topology.name} (links: {names})") from None


def _ends(topology: ClabTopology, link_name: str) -> list[list[str]]:
    link = topology.link(link_name)
    return [[topology.namespace(e.node), e.interface] for e in link.endpoints]


def _set_links(ends: list[list[str]], state: str) -> None:
    """Set every (namespace, interface) up or down at once."""
    netns.run_all(
        [(["ip", "-n", ns, "link", "set", "dev", ifname, state], None) for ns, ifname in ends]
    )


def _table(link: str, what: str) -> str:
    return "netsim_" + re.sub(r"[^A-Za-z0-9_]", "_", f"{link}_{what}")


def fail_link(topology: ClabTopology, state: LabState, link: str, mode: str) -> list[Change]:
    """Inject ``mode`` on ``link`` (a name or ``node:interface``); return the changes made,
    recorded under the link's name."""
    check_mode(mode)
    link = link_name(topology, link)
    ends = _ends(topology, link)
    start = time.time()  # the fault takes effect from the first end on
    if mode == "down":
        _set_links(ends, "down")
        return [Change("link-down", link, mode, start, {"ends": ends})]
    if mode == "blackhole" or mode.startswith("loss:"):
        what = "blackhole" if mode == "blackhole" else "loss"
        table = _table(link, what)
        for namespace, ifname in ends:
            netns.nft(namespace, _ruleset(table, ifname, mode))
        return [Change("nft", link, mode, start, {"ends": ends, "table": table})]
    extra = parse_duration(mode.partition("+")[2])
    record = state.link(link)
    if record.mode == "relay" and record.control:
        before = relay.control(record.control, {"op": "stats"})["state"]
        relay.control(record.control, {"op": "set", "extra_delay": before["extra_delay"] + extra})
        return [
            Change(
                "relay",
                link,
                mode,
                start,
                {"control": record.control, "extra_delay": before["extra_delay"]},
            )
        ]
    if record.mode == "netem":
        lab_link = topology.link(link)
        for index, (namespace, ifname) in enumerate(ends):
            params = lab_link.egress(index)
            args = netem_args(params)
            if "delay" in args:
                args[args.index("delay") + 1] = f"{(params.mean_delay() + extra) * 1e6:.0f}us"
            else:
                args = ["delay", f"{extra * 1e6:.0f}us", *args]
            verb = "change" if params.impaired else "add"
            netns.run(["tc", "qdisc", verb, "dev", ifname, "root", "netem", *args], namespace)
        return [Change("netem", link, mode, start, {"ends": ends})]
    raise UsageError(
        f"link {link} is a plain veth pair: a delay fault needs netem (not in this kernel) "
        "or a relay link; give the link a delay in the containerlab file (its vars: "
        "delay: 1ms) and deploy again"
    )


def _ruleset(table: str, ifname: str, mode: str) -> str:
    if mode == "blackhole":
        body, policy = "", "drop"
    else:
        scale = 1_000_000
        threshold = round(float(mode.partition(":")[2]) * scale)
        body, policy = f"    numgen random mod {scale} < {threshold} drop\n", "accept"
    return (
        f"table netdev {table} {{\n"
        f"  chain ingress {{\n"
        f'    type filter hook ingress device "{ifname}" priority {NFT_PRIORITY}; '
        f"policy {policy};\n{body}  }}\n}}\n"
    )


def fail_node(topology: ClabTopology, state: LabState, node: str) -> list[Change]:
    """Fail ``node``: its interfaces go down, then its daemons are stopped."""
    if node not in topology.nodes:
        raise UsageError(f"no node {node!r} in lab {topology.name}")
    namespace = topology.namespace(node)
    ends = [
        [namespace, end.interface]
        for link in topology.links_of(node)
        for end in link.endpoints
        if end.node == node
    ]
    start = time.time()
    _set_links(ends, "down")
    changes = [Change("link-down", node, "down", start, {"ends": ends})]
    stopped = []
    for daemon in daemons_for(NodeContext(topology, topology.nodes[node], state)):
        stopped += daemon.stop()
    changes.append(Change("daemons", node, "down", time.time(), {"stopped": stopped}))
    return changes


def undo(topology: ClabTopology, state: LabState, changes: list[Change]) -> list[str]:
    """Reverse ``changes`` (last first); return a description of each step."""
    done = []
    for change in reversed(changes):
        if change.kind == "link-down":
            _set_links(change.details["ends"], "up")
        elif change.kind == "nft":
            for namespace, _ in change.details["ends"]:
                netns.nft_delete_table(namespace, "netdev", change.details["table"])
        elif change.kind == "relay":
            relay.control(
                change.details["control"],
                {"op": "set", "extra_delay": change.details["extra_delay"]},
            )
        elif change.kind == "netem":
            lab_link = topology.link(change.target)
            for index, (namespace, ifname) in enumerate(change.details["ends"]):
                params = lab_link.egress(index)
                if params.impaired:
                    args = ["change", "dev", ifname, "root", "netem", *netem_args(params)]
                else:
                    args = ["del", "dev", ifname, "root"]
                netns.run(["tc", "qdisc", *args], namespace)
        elif change.kind == "daemons":
            _restart_node(topology, state, change.target)
        done.append(f"restored {change.target} ({change.kind}, {change.mode})")
    return done


def _restart_node(topology: ClabTopology, state: LabState, node: str) -> None:
    daemons = daemons_for(NodeContext(topology, topology.nodes[node], state))
    for daemon in daemons:
        daemon.start()
    for daemon in daemons:
        daemon.configure()


def flap(
    topology: ClabTopology,
    state: LabState,
    link: str,
    *,
    down_s: float,
    up_s: float,
    count: int,
    mode: str = "down",
) -> list[tuple[float, float]]:
    """Fail and restore ``link`` ``count`` times; return the (failed, restored) times."""
    times = []
    for _ in range(count):
        changes = fail_link(topology, state, link, mode)
        time.sleep(down_s)
        undo(topology, state, changes)
        times.append((changes[0].at, time.time()))
        time.sleep(up_s)
    return times


def set_link_delays(topology: ClabTopology, state: LabState, on: bool) -> None:
    """Apply (``on``) or leave out every emulated link's own delay, loss and rate kept.

    With the delays left out, a path's latency is what the lab itself takes to carry a
    packet (relays, charon's user-space ESP, the kernels, the probes): the lab's floor,
    which a comparison with the model's link delays subtracts. Relay links switch at
    their control socket; netem links are changed to the same qdisc without ``delay``.
    """
    for record in state.links:
        if record.mode == "relay" and record.control:
            relay.control(record.control, {"op": "set", "delay": on})
        elif record.mode == "netem":
            lab_link = topology.link(record.name)
            for index, (namespace, ifname) in enumerate(record.ends):
                params = lab_link.egress(index)
                args = netem_args(params if on else replace(params, delay=None))
                netns.run(
                    ["tc", "qdisc", "change", "dev", ifname, "root", "netem", *args], namespace
                )

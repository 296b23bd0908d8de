"""Building lab links: veth pairs, netem-shaped veth pairs, or TAP pairs with a relay.

A link without impairments is a veth pair created directly inside its two namespaces. A link
with delay, jitter, loss or a rate gets kernel netem on both ends of a veth pair when the
kernel has netem and the delay is constant, normal or uniform (what netem can express), and
otherwise a user-space relay (:mod:`netsim.lab.host.relay`) between two TAP devices. Each
direction is shaped by what its sending end says (:meth:`ClabLink.egress
<netsim.lab.clab.topology.ClabLink.egress>`: the link's vars, or the file's
``containerlab tools netem set`` for that interface). Every link is written into the lab
state before it is created; relays are journaled processes like the daemons.
"""

from __future__ import annotations

import enum
import json
import select
import sys
import time
import zlib
from typing import TYPE_CHECKING

from netsim.errors import LabError
from netsim.lab.clab.links import IFNAME_MAX
from netsim.lab.clab.topology import BRIDGE_KIND
from netsim.lab.host import netns
from netsim.lab.host.state import LinkRecord

if TYPE_CHECKING:
    import subprocess

    from netsim.lab.clab.params import LinkParams
    from netsim.lab.clab.topology import ClabLink, ClabTopology
    from netsim.lab.host.state import LabState

RELAY_READY_S = 30.0


class LinkMode(enum.Enum):
    VETH = "veth"
    NETEM = "netem"
    RELAY = "relay"


NETEM_DELAYS = frozenset({"constant", "norm", "uniform"})


def choose_mode(directions: tuple[LinkParams, LinkParams], netem_ok: bool) -> LinkMode:
    """How to build a link whose directions do these things, on this kernel."""
    if not any(p.impaired for p in directions):
        return LinkMode.VETH
    if netem_ok and all(p.delay is None or p.delay.name in NETEM_DELAYS for p in directions):
        return LinkMode.NETEM
    return LinkMode.RELAY


def netem_args(params: LinkParams) -> list[str]:
    """``tc qdisc ... netem`` arguments for one direction of a link."""
    args = []
    if params.delay is not None:
        values = dict(params.delay.params)
        if params.delay.is_constant:
            args += ["delay", f"{values['value'] * 1e6:.0f}us"]
        elif params.delay.name == "uniform":  # netem without a table: uniform +- jitter
            half = values["scale"] / 2
            args += ["delay", f"{(values['loc'] + half) * 1e6:.0f}us", f"{half * 1e6:.0f}us"]
        else:
            args += [
                "delay",
                f"{values['loc'] * 1e6:.0f}us",
                f"{values['scale'] * 1e6:.0f}us",
                "distribution",
                "normal",
            ]
    if params.loss:
        args += ["loss", f"{params.loss * 100:.6g}%"]
    if params.rate_bps:
        args += ["rate", f"{params.rate_bps:.0f}bit"]
    if params.buffer_bytes:
        args += ["limit", str(max(1, params.buffer_bytes // 1500))]
    return args


def link_seed(seed: int, name: str) -> int:
    """A per-link seed that depends only on the lab seed and the link's name."""
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32


def build_links(topology: ClabTopology, state: LabState, netem_ok: bool, seed: int) -> None:
    """Create every link of ``topology`` (relays start in parallel), then address the ends."""
    relays = []
    for link in topology.links:
        mode = choose_mode((link.egress(0), link.egress(1)), netem_ok)
        ends = [[topology.namespace(e.node), e.interface] for e in link.endpoints]
        if mode is LinkMode.RELAY:
            relays.append(_start_relay(state, link, ends, seed))
            continue
        state.add_link(LinkRecord(link.name, mode.value, ends))
        netns.add_veth((ends[0][0], ends[0][1]), (ends[1][0], ends[1][1]), link.mtu)
        if mode is LinkMode.NETEM:
            for index, (namespace, ifname) in enumerate(ends):
                if link.egress(index).impaired:
                    args = netem_args(link.egress(index))
                    netns.run(
                        ["tc", "qdisc", "add", "dev", ifname, "root", "netem", *args], namespace
                    )
    for name, proc in relays:
        _wait_ready(name, proc)
    for link in topology.links:
        for end in link.endpoints:
            netns.configure_end(
                topology.namespace(end.node),
                end.interface,
                end.ipv4,
                end.mac,
                link.mtu,
                ipv6=end.ipv6,
            )
    build_bridges(topology)


def build_bridges(topology: ClabTopology) -> None:
    """A ``kind: bridge`` node: a Linux bridge in its own namespace, every link end it has
    enslaved to it.

    containerlab attaches such links to a bridge the user made beforehand in the host's
    namespace; here the bridge lives in the node's namespace (no end is ever in the host's),
    named after the node as containerlab's is, and made by the deploy.
    """
    for name, node in topology.nodes.items():
        if node.kind != BRIDGE_KIND:
            continue
        namespace = topology.namespace(name)
        device = bridge_device(name)
        netns.ip(namespace, "link", "add", device, "type", "bridge")
        for link in topology.links:
            for end in link.endpoints:
                if end.node == name:
                    netns.ip(namespace, "link", "set", end.interface, "master", device)
        netns.ip(namespace, "link", "set", device, "up")


def bridge_device(node: str) -> str:
    """The bridge device of a ``kind: bridge`` node: its name, if a Linux interface can have it.

    >>> bridge_device("br-clab"), bridge_device("a-very-long-bridge-name")
    ('br-clab', 'bridge')
    """
    return node if len(node) <= IFNAME_MAX else "bridge"


def _start_relay(
    state: LabState, link: ClabLink, ends: list[list[str]], seed: int
) -> tuple[str, subprocess.Popen[bytes]]:
    link_dir = state.directory / "links"
    link_dir.mkdir(parents=True, exist_ok=True)
    control = state.short(link_dir / f"{link.name}.sock")
    config = {
        "lab": state.lab,
        "link": link.name,
        "ends": [{"netns": ns, "ifname": ifname} for ns, ifname in ends],
        "params": [link.egress(0).to_json(), link.egress(1).to_json()],
        "seed": link_seed(seed, link.name),
        "control": str(control),
    }
    config_path = link_dir / f"{link.name}.json"
    config_path.write_text(json.dumps(config, indent=1))
    state.add_link(LinkRecord(link.name, LinkMode.RELAY.value, ends, str(control)))
    _, proc = netns.spawn(
        state,
        link.a.node,
        f"relay.{link.name}",
        [sys.executable, "-m", "netsim.lab.host.relay", str(config_path)],
        netns=None,
        stdout_pipe=True,
    )
    return link.name, proc


def _wait_ready(name: str, proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + RELAY_READY_S
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            break
        if proc.poll() is not None:
            break
    proc.stdout.close()
    if line.strip() != b"ready":
        raise LabError(f"relay of link {name} did not start (see its log in the lab's logs/)")

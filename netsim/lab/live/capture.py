"""A capture of the internet underlay, and what it shows about the VPN's traffic.

:func:`start_capture` sniffs with scapy inside a namespace (the internet router) and
:func:`classify_capture` checks that VPN traffic there is only IKE (UDP 500/4500) and
ESP-in-UDP, with no inner address or probe payload visible in clear. The sniffer runs as
``python -m netsim.lab.live.capture ...`` inside the namespace (:mod:`netsim.lab.live.helpers`).
"""

from __future__ import annotations

import argparse
import socket
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.lab.live.helpers import await_ready, spawn_helper
from netsim.lab.live.probes import MAGIC

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

IKE_PORT = 500
NAT_T_PORT = 4500  # IKE and ESP in UDP (libipsec always encapsulates)


def _capture(args: argparse.Namespace) -> None:
    from scapy.sendrecv import AsyncSniffer
    from scapy.utils import wrpcap

    sniffer = AsyncSniffer(iface=args.iface.split(","), store=True)
    sniffer.start()
    time.sleep(0.3)  # the sniffer's sockets are open
    print("ready", flush=True)
    time.sleep(args.duration)
    packets = sniffer.stop()
    wrpcap(args.out, packets or [])


def start_capture(
    lab: str, namespace: str, interfaces: list[str], duration: float, out: Path
) -> subprocess.Popen[str]:
    """Start sniffing ``interfaces`` of ``namespace`` for ``duration`` s into pcap ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = spawn_helper(
        namespace,
        lab,
        "netsim.lab.live.capture",
        [
            "capture",
            "--iface",
            ",".join(interfaces),
            "--duration",
            str(duration),
            "--out",
            str(out),
        ],
    )
    await_ready(proc, f"capture in {namespace}")
    return proc


@dataclass(frozen=True, slots=True)
class CaptureReport:
    """What a capture held: packet counts per class and anything that leaked."""

    counts: dict[str, int]
    leaks: list[str]

    @property
    def only_ike_and_esp(self) -> bool:
        allowed = {"ike", "esp-in-udp", "nat-keepalive", "arp", "ipv6-link-local"}
        return not self.leaks and set(self.counts) <= allowed


def classify_capture(pcap: Path, inner: list[str]) -> CaptureReport:
    """Classify every captured packet; ``inner`` addresses must never appear in clear."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP
    from scapy.utils import rdpcap

    needles = [socket.inet_aton(a) for a in inner] + [MAGIC]
    counts: Counter[str] = Counter()
    leaks = []
    for packet in rdpcap(str(pcap)):
        raw = bytes(packet)
        if ARP in packet:
            kind = "arp"
        elif IPv6 in packet:
            kind = (
                "ipv6-link-local"
                if packet[IPv6].src.startswith("fe80") or packet[IPv6].src == "::"
                else "other"
            )
        elif IP in packet and UDP in packet and IKE_PORT in (packet[UDP].sport, packet[UDP].dport):
            kind = "ike"
        elif (
            IP in packet and UDP in packet and NAT_T_PORT in (packet[UDP].sport, packet[UDP].dport)
        ):
            payload = bytes(packet[UDP].payload)
            kind = (
                "nat-keepalive"
                if payload == b"\xff"
                else "ike"
                if payload[:4] == b"\0\0\0\0"
                else "esp-in-udp"
            )
        else:
            kind = "other"
        counts[kind] += 1
        if kind == "other":
            leaks.append(f"unexpected packet: {packet.summary()}")
        hits = [n for n in needles if n in raw[14:]]
        if hits:
            leaks.append(f"inner data in clear: {packet.summary()}")
    return CaptureReport(dict(counts), leaks)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netsim.lab.live.capture")
    sub = parser.add_subparsers(dest="cmd", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("--iface", required=True)
    cap.add_argument("--out", required=True)
    cap.add_argument("--duration", type=float, required=True)
    args = parser.parse_args(argv)
    _capture(args)


if __name__ == "__main__":
    main()

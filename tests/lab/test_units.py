"""Unit tests of the lab's pure pieces: settings reader, relay queueing, fault rules, probes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from netsim.errors import UsageError
from netsim.lab.clab.params import LinkParams, parse_link_params
from netsim.lab.daemons import DAEMONS, start_order
from netsim.lab.daemons.frr import Frr
from netsim.lab.daemons.frrconf import read_daemons_file
from netsim.lab.daemons.settings import SettingsError, lookup, parse_settings
from netsim.lab.daemons.strongswan import StrongSwan
from netsim.lab.host.links import LinkMode, choose_mode, link_seed, netem_args
from netsim.lab.host.relay import Direction
from netsim.lab.live.capture import classify_capture
from netsim.lab.live.faults import _ruleset, check_mode
from netsim.lab.live.probes import MAGIC, ProbeResult

ROOT = Path(__file__).resolve().parent.parent.parent


def test_settings_reader_on_the_fixture_files() -> None:
    swanctl = parse_settings((ROOT / "topologies/adr003/gcp/swanctl.conf").read_text())
    child = swanctl["connections"]["vpn-gcp-azure"]["children"]["vpn-gcp-azure"]
    assert child["start_action"] == "start"
    assert "secrets" not in swanctl  # the keys are made per deploy, never committed
    conf = parse_settings((ROOT / "topologies/adr003/aws/strongswan.conf").read_text())
    assert lookup(conf, "charon.load").split()[:2] == ["kernel-libipsec", "kernel-netlink"]
    assert lookup(conf, "charon.plugins.vici.socket") == "unix:///var/run/charon.vici"
    assert lookup(conf, "charon.nothing", "dflt") == "dflt"


def test_settings_reader_one_line_sections_and_errors() -> None:
    assert parse_settings('a { b { x = 1 }\n y = "q # not a comment" } # c') == {
        "a": {"b": {"x": "1"}, "y": "q # not a comment"}
    }
    with pytest.raises(SettingsError, match="line 2: section is never closed"):
        parse_settings("x = 1\na {\n b = 2\n")
    with pytest.raises(SettingsError, match="line 1: '}' without an open section"):
        parse_settings("}\n")
    with pytest.raises(SettingsError, match="expected 'key = value'"):
        parse_settings("a {\n just words\n}\n")


def test_daemons_file_and_start_order() -> None:
    text = "bgpd=yes\nospfd=no\nbfdd=yes\nvtysh_enable=yes\n"
    assert read_daemons_file(text) == ["zebra", "staticd", "bfdd", "bgpd"]
    assert read_daemons_file("ospfd=yes\nldpd=yes\nstaticd=no\n") == [
        "zebra",
        "staticd",
        "ospfd",
        "ldpd",
    ]
    assert start_order() == [StrongSwan, Frr]
    assert {"strongswan": StrongSwan, "frr": Frr} == DAEMONS


def params(**vars_: object) -> LinkParams:
    result, errors = parse_link_params(vars_)
    assert errors == []
    return result


def both(p: LinkParams) -> tuple[LinkParams, LinkParams]:
    return (p, p)


def test_link_mode_and_netem_arguments() -> None:
    assert choose_mode(both(params()), netem_ok=False) is LinkMode.VETH
    assert choose_mode(both(params(delay="1ms")), netem_ok=False) is LinkMode.RELAY
    assert choose_mode(both(params(delay="1ms")), netem_ok=True) is LinkMode.NETEM
    assert choose_mode((params(), params(delay="1ms")), netem_ok=True) is LinkMode.NETEM
    lognorm = params(delay={"dist": "lognorm", "s": 0.5, "scale": "2ms"})
    assert choose_mode(both(lognorm), netem_ok=True) is LinkMode.RELAY
    uniform = params(delay={"dist": "uniform", "loc": "9ms", "scale": "2ms"})
    assert netem_args(uniform) == ["delay", "10000us", "1000us"]
    assert netem_args(params(delay="10ms", jitter="1ms", loss=0.01, rate="1Gbps")) == [
        "delay",
        "10000us",
        "1000us",
        "distribution",
        "normal",
        "loss",
        "1%",
        "rate",
        "1000000000bit",
    ]
    assert link_seed(1, "a") == link_seed(1, "a") != link_seed(2, "a")


class Pipe:
    """A datagram socket pair standing in for the far TAP device (one frame per read)."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.reader.setblocking(False)
        self.write_fd = self.writer.fileno()

    def frames(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.reader.recv(65536))
            except BlockingIOError:
                return out


def test_relay_direction_delays_in_fifo_order() -> None:
    pipe = Pipe()
    jittery = params(delay={"dist": "uniform", "loc": "1ms", "scale": "10ms"})
    d = Direction(jittery, np.random.default_rng(1), -1, pipe.write_fd, bias=0.0)
    for i in range(50):
        d.accept(bytes([i]), now=100.0 + i * 1e-4)
    releases = [t for t, _ in d.queue]
    assert releases == sorted(releases)  # never reordered
    assert releases[0] >= 100.001
    due = sum(1 for t in releases if t <= releases[10])  # later frames may share its time
    d.flush(now=releases[10])
    assert [f[0] for f in pipe.frames()] == list(range(due))
    d.flush(now=1e9)
    assert len(pipe.frames()) == 50 - due
    assert d.counters["sent"] == 50


def test_relay_direction_rate_buffer_loss_and_blackhole() -> None:
    pipe = Pipe()
    slow = params(rate="8Kbps", buffer="1000B")  # 1 ms per byte
    d = Direction(slow, np.random.default_rng(1), -1, pipe.write_fd, bias=0.0)
    for _ in range(3):
        d.accept(b"x" * 500, now=0.0)
    assert [t for t, _ in d.queue] == pytest.approx([0.5, 1.0])  # third frame over the buffer
    assert d.counters["dropped"] == 1
    lossy = Direction(params(loss=0.3), np.random.default_rng(7), -1, pipe.write_fd)
    for _ in range(2000):
        lossy.accept(b"y", now=0.0)
    assert 500 < lossy.counters["dropped"] < 700
    lossy.blackhole = True
    lossy.accept(b"z", now=0.0)
    assert lossy.counters["dropped"] == lossy.counters["received"] - len(lossy.queue)


def test_fault_modes_and_rulesets() -> None:
    for mode in ("down", "blackhole", "loss:0.05", "loss:1", "delay:+20ms"):
        check_mode(mode)
    for bad in ("up", "loss:5", "delay:20ms", "delay:+3 parsecs"):
        with pytest.raises(UsageError):
            check_mode(bad)
    assert "policy drop" in _ruleset("t", "eth1", "blackhole")
    assert "numgen random mod 1000000 < 50000 drop" in _ruleset("t", "eth1", "loss:0.05")


def test_probe_result_loss_runs_and_gap() -> None:
    t_send = np.arange(10) * 0.1
    t_recv = t_send + 0.01
    t_recv[[3, 4, 5, 8]] = np.nan
    result = ProbeResult("a", "b", np.arange(10), t_send, t_recv)
    runs = result.loss_runs()
    assert [(round(s, 3), round(g, 3), n) for s, g, n in runs] == [(0.3, 0.3, 3), (0.8, 0.1, 1)]
    assert result.max_gap() == pytest.approx(0.3)
    assert result.max_gap(after=0.5) == pytest.approx(0.1)
    assert np.nanmean(result.delay) == pytest.approx(0.01)


def test_capture_classification(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import ARP, Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    ether = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    good = [
        ether
        / IP(src="198.51.100.1", dst="198.51.100.5")
        / UDP(sport=500, dport=500)
        / Raw(b"\x11" * 40),
        ether
        / IP(src="198.51.100.1", dst="198.51.100.5")
        / UDP(sport=4500, dport=4500)
        / Raw(b"\0\0\0\0" + b"\x22" * 40),
        ether
        / IP(src="198.51.100.1", dst="198.51.100.5")
        / UDP(sport=4500, dport=4500)
        / Raw(b"\xc0\xff\xee\x01" + os.urandom(64)),
        Ether() / ARP(),
    ]
    wrpcap(str(tmp_path / "good.pcap"), good)
    report = classify_capture(tmp_path / "good.pcap", ["10.10.1.10"])
    assert report.counts == {"ike": 2, "esp-in-udp": 1, "arp": 1}
    assert report.only_ike_and_esp
    leaky = [ether / IP(src="10.10.1.10", dst="10.20.1.10") / UDP(dport=47000) / Raw(MAGIC)]
    wrpcap(str(tmp_path / "leak.pcap"), leaky)
    report = classify_capture(tmp_path / "leak.pcap", ["10.10.1.10"])
    assert not report.only_ike_and_esp
    assert len(report.leaks) == 2  # an unexpected packet, carrying inner data in clear

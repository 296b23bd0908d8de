"""The exported default topology deployed for real: the lab agrees with the model (root).

Delays measured between the cloud hosts are compared with the model's link means: the
interconnect paths through the MCR, and (with the MCR failed) the VPN links, whose lab delay
was fitted onto the internet links. Tolerance: 10 % or 1 ms, whichever is larger, on the
interconnect paths, whose datagrams cross the user-space link relay once per link (the lab
measured 0.1-0.55 ms above the model there). A VPN datagram also crosses two user-space
charons (kernel-libipsec: TUN, ESP in user space, UDP) and the relay on both underlay
links, which the model does not carry: 0.8-1.1 ms above the model on an idle 2-core host
(aws->azure 5.19 and 5.52 ms against 4.39 ms in two runs), 1-3 ms on a busy one (5.3-7.1
ms). So on those paths the lab's own floor, the same probes with every link's delay left
out (1.1-2.9 ms), is subtracted before the comparison (measured: 3.3-4.0 ms against 4.39),
with 10 % or 1.5 ms. The lab side is the median one-way delay of the datagrams no host
stall overlapped (tests/lab/conftest.py ``unstalled``), so that a stalled host does not
move it.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from netsim.lab import Lab, destroy
from netsim.model import load_topology
from tests.lab.conftest import (
    ROOT,
    floor_delay,
    holds_unless_stalled,
    stall_rate,
    steady_probe,
)

pytestmark = pytest.mark.lab

CLAB = ROOT / "topologies" / "megaport-hub.clab.yml"
MODEL = ROOT / "topologies" / "megaport-hub.yaml"
CLOUDS = [("aws", "gcp"), ("aws", "azure"), ("gcp", "azure")]


def one_way(lab: Lab, a: str, b: str) -> float:
    return float(np.nanmedian(steady_probe(lab, f"host-{a}", f"host-{b}", rate=50, duration=2)))


def close(measured: float, expected: float, floor: float = 1e-3) -> bool:
    return abs(measured - expected) <= max(0.1 * expected, floor)


@pytest.mark.usefixtures("lab_root")
def test_exported_lab_matches_the_model_delays() -> None:
    model = load_topology(MODEL)
    try:
        with Lab(CLAB) as lab:
            assert lab.deploy_seconds < 60
            for a, b in CLOUDS:
                expected = model.link(f"{a}-mcr").delay.mean() + model.link(f"{b}-mcr").delay.mean()
                began = time.time()
                measured = one_way(lab, a, b)
                what = (
                    f"{a}->{b} interconnect: {measured * 1e3:.2f} ms, model {expected * 1e3:.2f} ms"
                )
                print(f"\n{what}")
                holds_unless_stalled(close(measured, expected), what, stall_rate(lab, began))
            changes = lab.fail_node("mcr")
            deadline = time.monotonic() + 15
            while not all(p.uses_vpn for p in lab.status().paths):
                assert time.monotonic() < deadline, lab.status().paths
                time.sleep(0.5)
            for a, b in CLOUDS:
                expected = model.link(f"vpn-{a}-{b}").delay.mean()
                # over a VPN, charon's user-space ESP (kernel-libipsec) adds 1-3 ms of its
                # own on a busy 2-core machine, where kernel ESP takes microseconds: the
                # lab's floor on the path, measured with the link delays left out, is
                # subtracted (interconnect paths have no such stage; their relays take
                # their own forwarding time off each delay)
                began = time.time()
                measured = one_way(lab, a, b)
                floor = floor_delay(lab, f"host-{a}", f"host-{b}")
                what = (
                    f"{a}->{b} VPN: {measured * 1e3:.2f} ms less the lab's floor "
                    f"{floor * 1e3:.2f} ms, model mean {expected * 1e3:.2f} ms"
                )
                print(what)
                # the lab's own time stays small against the links'
                holds_unless_stalled(
                    floor < 5e-3 and close(measured - floor, expected, floor=1.5e-3),
                    what,
                    stall_rate(lab, began),
                )
            lab.restore(changes)
    finally:
        destroy("megaport-hub")

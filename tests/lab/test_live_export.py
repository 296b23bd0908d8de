"""The exported default topology deployed for real: the lab agrees with the model (root).

Delays measured between the cloud hosts are compared with the model's link means: the
interconnect paths through the MCR, and (with the MCR failed) the VPN links, whose lab delay
was fitted onto the internet links. Tolerance: 10 % or 1 ms, whichever is larger, on the
interconnect paths, whose datagrams cross the user-space link relay once per link (the lab
measured 0.1-0.55 ms above the model there). A VPN datagram also crosses two user-space
charons (kernel-libipsec: TUN, ESP in user space, UDP) and the relay on both underlay
links, which the model does not carry: 0.8-1.1 ms above the model on this 2-core host
(aws->azure 5.19 and 5.52 ms against 4.39 ms in two runs), so those paths get 10 % or
1.5 ms. The lab side is the median one-way delay, so that the charons' scheduling
hiccups on a busy machine do not move it.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from netsim.lab import Lab, destroy
from netsim.model import load_topology
from tests.lab.conftest import ROOT

pytestmark = pytest.mark.lab

CLAB = ROOT / "topologies" / "megaport-hub.clab.yml"
MODEL = ROOT / "topologies" / "megaport-hub.yaml"
CLOUDS = [("aws", "gcp"), ("aws", "azure"), ("gcp", "azure")]


def one_way(lab: Lab, a: str, b: str) -> float:
    result = lab.probe(f"host-{a}", f"host-{b}", rate=50, duration=2)
    assert result.lost.sum() == 0
    return float(np.nanmedian(result.delay))


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
                measured = one_way(lab, a, b)
                print(
                    f"\n{a}->{b} interconnect: {measured * 1e3:.2f} ms, "
                    f"model {expected * 1e3:.2f} ms"
                )
                assert close(measured, expected)
            changes = lab.fail_node("mcr")
            deadline = time.monotonic() + 15
            while not all(p.uses_vpn for p in lab.status().paths):
                assert time.monotonic() < deadline, lab.status().paths
                time.sleep(0.5)
            for a, b in CLOUDS:
                expected = model.link(f"vpn-{a}-{b}").delay.mean()
                measured = one_way(lab, a, b)
                print(f"{a}->{b} VPN: {measured * 1e3:.2f} ms, model mean {expected * 1e3:.2f} ms")
                assert close(measured, expected, floor=1.5e-3)
            lab.restore(changes)
    finally:
        destroy("megaport-hub")

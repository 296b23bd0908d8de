"""Live test at scale: the generated 20-site design, exported and deployed (root, slow).

``netsim generate --sites 20 --hubs 2 --vpn ring`` -> ``netsim lab export`` -> deploy of the
exported containerlab file: 43 namespaces, real FRR (82 BGP sessions, BFD on every
interconnect) and strongSwan (20 tunnels). Oracles: FRR's and charon's own state (every
session Established, every SA installed), the kernels' routes (every host pair has a complete
path), and the machine's snapshot after destroy. The deploy must converge within the issue's
3 minutes, which is the deploy's own timeout: past it the deploy fails with what is still
pending. The wall time itself is measured by ``benchmarks/bench_lab_scale.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netsim.cli.main import main
from netsim.lab import Lab
from tests.lab.conftest import snapshot
from tests.lab.test_live_teardown import settle

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SITES, HUBS = 20, 2
CONVERGE_S = 180.0  # the bound for the 20-site deploy


def test_generated_20_site_lab_deploys_with_every_session_up(
    lab_root: Path, tmp_path: Path
) -> None:
    design, out = tmp_path / "design", tmp_path / "lab"
    argv = ["generate", "--sites", str(SITES), "--hubs", str(HUBS), "--vpn", "ring"]
    assert main([*argv, "--out", str(design)]) == 0
    assert main(["lab", "export", str(design / "topology.yaml"), "--out", str(out)]) == 0
    (clab,) = out.glob("*.clab.yml")
    before = snapshot(lab_root)
    with Lab(clab, timeout=CONVERGE_S) as lab:
        status = lab.status()
        # An interconnect per site and the hubs meshed, both ends; a ring of tunnels, both ends.
        interconnects = SITES + HUBS * (HUBS - 1) // 2
        assert len(status.bgp) == 2 * interconnects + 2 * SITES
        assert {s.state for s in status.bgp} == {"Established"}
        assert len(status.sas) == 2 * SITES
        assert all(sa.installed for sa in status.sas)
        assert {b.status for b in status.bfd} == {"up"}
        assert len(status.paths) == SITES * (SITES - 1)
        assert all(path.complete for path in status.paths)
    settle(lab_root, before)

"""Link impairments of an exported lab, as containerlab applies them: ``tools netem`` on the host.

containerlab ignores link ``vars``, and impairments cannot be declared in a topology file;
its way is ``containerlab tools netem set -n CONTAINER -i IFACE --delay D --jitter J
--loss PCT --rate KBIT`` on the host (egress of one interface). An exported node runs that
for each of its impaired interfaces as a per-stage host command, when its links exist::

    stages:
      create-links:
        exec:
          - {command: containerlab tools netem set -n clab-lab-aws -i eth1 --delay 500us ...,
             target: host, phase: on-exit}

``netsim lab deploy`` reads the same commands and applies them with its own link emulation
(:func:`netsim.lab.clab.execs.parse_netem`), so a file behaves the same under both.

netem's jitter (without a distribution table, which containerlab does not set) is uniform
on ``delay +- jitter``. A model delay ``{dist: norm, loc, scale}`` becomes ``--delay loc
--jitter sqrt(3) scale``: the same mean and standard deviation; any other distribution
its mean and, as jitter, the uniform of the same standard deviation (at most the mean).
containerlab passes the rate to the kernel as 32-bit bytes per second, so a link faster
than ``MAX_RATE_BPS`` gets no ``--rate``.

Examples
--------
>>> from netsim.model.dist import Dist
>>> d = Dist("norm", (("loc", 0.0005), ("scale", 2e-05)))
>>> netem_flags(d, 10e9, 0.0)
['--delay', '500us', '--jitter', '34.641us', '--rate', '10000000']
>>> netem_command("clab-lab-aws", "eth1", ["--delay", "1ms"])
'containerlab tools netem set -n clab-lab-aws -i eth1 --delay 1ms'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netsim.model.dist import Dist

#: containerlab writes the rate as bytes per second into a 32-bit netem field.
MAX_RATE_BPS = (2**32 - 1) * 8.0
UNIFORM_SD = math.sqrt(3.0)  # a uniform on +-J has standard deviation J / sqrt(3)
MICROSECOND = 1e-6
MILLISECOND = 1e-3
PERCENT = 100.0


def go_duration_text(seconds: float) -> str:
    """A Go duration (``500us``, ``10.1ms``, ``2s``) with six significant digits."""
    if seconds < MILLISECOND:
        return f"{seconds / MICROSECOND:.6g}us"
    if seconds < 1:
        return f"{seconds / MILLISECOND:.6g}ms"
    return f"{seconds:.6g}s"


def delay_and_jitter(delay: Dist) -> tuple[float, float]:
    """netem's (delay, jitter) for a model delay: same mean, same standard deviation."""
    if delay.is_constant:
        return delay.mean(), 0.0
    params = dict(delay.params)
    if delay.name == "norm":
        return params["loc"], UNIFORM_SD * params["scale"]
    mean = delay.mean()
    return mean, min(UNIFORM_SD * float(delay.frozen().std()), mean)


def netem_flags(delay: Dist | None, rate_bps: float | None, loss: float) -> list[str]:
    """The ``tools netem set`` options for one direction (empty: nothing to impair)."""
    flags = []
    if delay is not None:
        mean, jitter = delay_and_jitter(delay)
        if mean > 0:
            flags += ["--delay", go_duration_text(mean)]
            if jitter > 0:
                flags += ["--jitter", go_duration_text(jitter)]
    if loss > 0:
        flags += ["--loss", f"{loss * PERCENT:.6g}"]
    if rate_bps is not None and rate_bps <= MAX_RATE_BPS:
        flags += ["--rate", str(round(rate_bps / 1e3))]
    return flags


def netem_command(container: str, interface: str, flags: list[str]) -> str:
    return " ".join(
        ["containerlab", "tools", "netem", "set", "-n", container, "-i", interface, *flags]
    )

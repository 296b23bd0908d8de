"""Rendering a :class:`~netsim.lab.clab.plan.LabPlan` into files, and ``netsim lab export``.

:func:`render_lab` maps the plan onto thin Jinja2 templates (``templates/``, rendered with
``StrictUndefined``): Python prepares every value, including the one-line YAML of labels and
vars, and the templates only loop and print. The result is ``{relative path: text}``:
``<lab>.clab.yml`` plus ``<lab>/<node>/{frr.conf,daemons,vtysh.conf}`` for FRR nodes and
``<lab>/<node>/{strongswan.conf,swanctl.conf}`` for tunnel ends, bound into the nodes the
way containerlab expects (``/etc/frr/...``, ``/etc/strongswan.conf``,
``/etc/swanctl/swanctl.conf``), plus the Dockerfile of each image no registry has
(:mod:`netsim.lab.clab.images`). Each impaired interface gets containerlab's own
``tools netem set`` as a host command of its node's ``create-links`` stage
(:mod:`netsim.lab.clab.netem`). No file holds a pre-shared key: ``swanctl.conf`` includes
``secrets/*.conf``, written for each deploy by ``netsim lab deploy`` or, under containerlab,
by the edge image from the node's ``NETSIM_IPSEC_PSK``.

:func:`export` is the whole pipeline: load the topology, plan, render, write, then read the
written file back with the lab's own checks (schema, containerlab rules, ``vtysh --dryrun``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from netsim.lab.clab.frrplan import CONNECT_RETRY_S
from netsim.lab.clab.images import EDGE_IMAGE, FRR_IMAGE, PLAIN_IMAGE, render_images
from netsim.lab.clab.netem import netem_command, netem_flags
from netsim.lab.clab.plan import LabPlan, PlanLink, PlanNode, plan_lab
from netsim.lab.daemons.secrets import PSK_ENV
from netsim.model.topology import DEFAULT_MTU

if TYPE_CHECKING:
    from netsim.model.dist import Dist
    from netsim.model.topology import Link

MILLISECOND = 1e-3
#: The prefix of containerlab's container names (the exported files set no ``prefix``).
CONTAINER_PREFIX = "clab"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("netsim.lab.clab", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # configuration files, not HTML
    )


def flow(value: Any) -> str:
    """One-line YAML (flow style) of plain data."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def duration(seconds: float) -> str:
    """``0.0005`` -> ``500us``; ``0.0101`` -> ``10.1ms``; ``30.0`` -> ``30s``."""
    if seconds and abs(seconds) < MILLISECOND:
        return f"{seconds * 1e6:.6g}us"
    if abs(seconds) < 1:
        return f"{seconds * 1e3:.6g}ms" if seconds else "0s"
    return f"{seconds:.6g}s"


def bitrate(bps: float) -> str:
    for unit, scale in (("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.6g}{unit}"
    return f"{bps:.6g}bps"


def size(nbytes: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if nbytes >= scale and (nbytes / scale).is_integer():
            return f"{nbytes / scale:.6g}{unit}"
    return f"{nbytes:.0f}B"


def dist_value(dist: Dist) -> str | dict[str, object]:
    """A model distribution of seconds, written back in the topology file's form."""
    if dist.is_constant:
        return duration(dist.mean())
    return {
        "dist": dist.name,
        **{k: duration(v) if k in ("loc", "scale") else v for k, v in dist.params},
    }


def link_vars(link: Link, applied: Dist | None = None) -> dict[str, object]:
    """The model parameters of ``link`` as containerlab link ``vars``."""
    out: dict[str, object] = {
        "name": link.name,
        "kind": link.kind.value,
        "capacity": bitrate(link.capacity),
    }
    out["delay"] = dist_value(applied if applied is not None else link.delay)
    if applied is not None and applied != link.delay:
        out["model_delay"] = dist_value(link.delay)
    if link.buffer is not None:
        out["buffer"] = size(link.buffer)
    if link.bfd is not None:
        out["bfd"] = {"interval": duration(link.bfd.interval), "multiplier": link.bfd.multiplier}
    out["bgp"] = {"keepalive": duration(link.bgp.keepalive), "hold": duration(link.bgp.hold)}
    if link.dpd is not None:
        out["dpd"] = {"delay": duration(link.dpd.delay), "timeout": duration(link.dpd.timeout)}
    out["convergence"] = dist_value(link.convergence)
    out["preference"] = link.preference
    if link.prepend:
        out["prepend"] = link.prepend
    if link.overhead:
        out["overhead"] = size(link.overhead)
    if link.underlay:
        out["underlay"] = list(link.underlay)
    return out


def _binds(plan: LabPlan, node: PlanNode) -> list[str]:
    base = f"{plan.name}/{node.name}"
    binds = []
    if node.frr is not None:
        binds += [
            f"{base}/daemons:/etc/frr/daemons",
            f"{base}/vtysh.conf:/etc/frr/vtysh.conf",
            f"{base}/frr.conf:/etc/frr/frr.conf",
        ]
    if node.tunnels:
        binds += [
            f"{base}/strongswan.conf:/etc/strongswan.conf",
            f"{base}/swanctl.conf:/etc/swanctl/swanctl.conf",
        ]
    return binds


def image_of(node: PlanNode) -> str:
    return EDGE_IMAGE if node.tunnels else FRR_IMAGE if node.frr else PLAIN_IMAGE


def netem_commands(plan: LabPlan, node: str, rate_scale: float = 1.0) -> list[str]:
    """``containerlab tools netem set`` for each impaired interface of ``node`` (its egress).

    ``rate_scale`` multiplies the links' rates (a lab run with bulk classes, see
    :func:`netsim.lab.live.traffic.rate_scale`).
    """
    out = []
    for link in plan.links:
        if link.model is None:
            continue
        for end in (link.a, link.b):
            flags = netem_flags(link.delay, link.model.capacity * rate_scale, 0.0)
            if end.node == node and flags:
                container = f"{CONTAINER_PREFIX}-{plan.name}-{node}"
                out.append(netem_command(container, end.interface, flags))
    return out


def _node_view(plan: LabPlan, node: PlanNode, rate_scale: float) -> dict[str, object]:
    labels = {"netsim-role": node.role, **({"netsim-site": node.site} if node.site else {})}
    config = dict(node.model)
    if node.vpns:
        config["tunnels"] = {v.name: link_vars(v) for v in node.vpns}
    stage = [
        flow({"command": c, "target": "host", "phase": "on-exit"})
        for c in netem_commands(plan, node.name, rate_scale)
    ]
    # The key is the Docker host's variable, passed through (empty if unset), never a value.
    env = {PSK_ENV: f"${{{PSK_ENV}:=}}"} if node.tunnels else {}
    return {
        "name": node.name,
        "image": image_of(node),
        "labels": flow(labels),
        "vars": flow(config) if config else "",
        "env": flow(env) if env else "",
        "sysctls": flow(dict(node.sysctls)) if node.sysctls else "",
        "exec": [flow(c) for c in node.exec],
        "binds": [flow(b) for b in _binds(plan, node)],
        "netem": stage,
    }


def _link_view(link: PlanLink) -> dict[str, object]:
    vars_ = link_vars(link.model, link.delay) if link.model else {"name": link.name}
    return {
        "a": flow(f"{link.a.node}:{link.a.interface}"),
        "b": flow(f"{link.b.node}:{link.b.interface}"),
        "a_address": link.a.address,
        "b_address": link.b.address,
        "vars": flow(vars_),
        # the model's MTU (containerlab would otherwise make the veth 9500 bytes)
        "mtu": int(link.model.mtu if link.model else DEFAULT_MTU),
    }


def render_lab(
    plan: LabPlan, source: str, rate_scale: float = 1.0, directory: str | Path = "topologies"
) -> dict[str, str]:
    """All files of the lab, by path relative to the export directory ``directory`` (named
    in the containerlab file's header, which says how to deploy it)."""
    env = _environment()
    files = {
        f"{plan.name}.clab.yml": env.get_template("clab.yml.j2").render(
            name=plan.name,
            description=plan.description or plan.name,
            source=source,
            file=(Path(directory) / f"{plan.name}.clab.yml").as_posix(),
            nodes=[_node_view(plan, n, rate_scale) for n in plan.nodes],
            rate_scale=rate_scale,
            links=[_link_view(lk) for lk in plan.links],
        ),
    }
    for node in plan.nodes:
        base = f"{plan.name}/{node.name}"
        if node.frr is not None:
            context = {"node": node, "frr": node.frr, "connect_retry": CONNECT_RETRY_S}
            files[f"{base}/frr.conf"] = env.get_template("frr/frr.conf.j2").render(context)
            files[f"{base}/daemons"] = env.get_template("frr/daemons.j2").render(
                node=node,
                bgpd="yes" if node.frr.neighbors else "no",
                bfdd="yes" if node.frr.bfd_profiles else "no",
            )
            files[f"{base}/vtysh.conf"] = env.get_template("frr/vtysh.conf.j2").render()
        if node.tunnels:
            files[f"{base}/strongswan.conf"] = env.get_template(
                "strongswan/strongswan.conf.j2"
            ).render(node=node)
            files[f"{base}/swanctl.conf"] = env.get_template("strongswan/swanctl.conf.j2").render(
                node=node, tunnels=node.tunnels
            )
    files.update(render_images(env, plan.name, {image_of(n) for n in plan.nodes}))
    return files


def write_files(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write ``files`` under ``out_dir`` (existing files of the same names are replaced).

    Each file is written to a temporary name and renamed, so an interrupted export never
    leaves a half-written file.
    """
    written = []
    for relative, text in sorted(files.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
        written.append(path)
    return written


def export(topology_path: str | Path, out_dir: str | Path = "topologies") -> list[Path]:
    """``netsim lab export``: write ``<out>/<name>.clab.yml`` and its per-node configs."""
    from netsim.lab.clab.read import load_clab
    from netsim.lab.live.deploy import check_configs
    from netsim.model import load_topology

    topology = load_topology(topology_path)
    plan = plan_lab(topology)
    files = render_lab(plan, source=Path(topology_path).name, directory=out_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Checked in a scratch directory first: a file that fails leaves nothing behind.
    scratch = Path(tempfile.mkdtemp(prefix="netsim-export-"))
    try:
        write_files(files, scratch)
        clab = load_clab(scratch / f"{plan.name}.clab.yml")
        if shutil.which("vtysh"):
            check_configs(clab)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return write_files(files, out)

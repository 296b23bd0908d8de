"""Reading containerlab topology files into typed, frozen values.

:func:`load_clab` reads a ``*.clab.yml``, checks it against containerlab's schema and against
the stricter rules containerlab applies when it deploys (a brief link has exactly two
``node:interface`` endpoints, an extended link has no undocumented keys, endpoints name
declared nodes, an interface is used once, ``eth0`` is the management interface), plus
what the netns deployer needs: ``kind: linux`` and ``bridge`` nodes and ``veth`` links only,
existing bind sources, per-namespace sysctls, commands it can run in a namespace
(:mod:`netsim.lab.clab.execs`) and readable link parameters. Every problem is collected and
raised as one :class:`~netsim.errors.InputError` listing ``file:line: key: message``
items, exit status 2; kinds netsim cannot run are named together in one item.

Node settings resolve as containerlab resolves them (:mod:`netsim.lab.clab.nodes`). The
management network (``mgmt``, ``mgmt-ipv4``...) is ignored: lab namespaces have no
management interface. ``name`` overrides the lab's name as ``clab deploy --name`` does.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netsim.errors import InputError, ModelError
from netsim.lab.clab.execs import CommandError, NetemSet, parse_command, parse_netem
from netsim.lab.clab.links import LinkReader
from netsim.lab.clab.nodes import NodeLayers
from netsim.lab.clab.params import LinkParams
from netsim.lab.clab.schema import read_clab_yaml, schema_errors
from netsim.lab.clab.topology import (
    BRIDGE_KIND,
    DEFAULT_PREFIX,
    FRR_CONF,
    FRR_DAEMONS,
    LAB_DIR_PREFIX,
    Bind,
    ClabLink,
    ClabNode,
    ClabTopology,
    Command,
    Endpoint,
    Phase,
    Stage,
)
from netsim.model.source import Document, KeyPath, YamlMap, format_path

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Lab names become directory and namespace names.
LAB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: FRR's sockets live in /run/frr/<namespace>/, and a socket path has at most 107 bytes.
MAX_NAMESPACE = 80
SUPPORTED_KINDS = frozenset({"linux", BRIDGE_KIND})
IMPORT_ENVS = "__IMPORT_ENVS"

__all__ = ["Bind", "ClabLink", "ClabNode", "ClabTopology", "Endpoint", "load_clab"]


def load_clab(
    path: str | Path, name: str | None = None, vars_files: Sequence[str | Path] = ()
) -> ClabTopology:
    """Read and check a containerlab file; raise InputError listing every problem.

    ``vars_files`` are a templated file's variables, as ``clab deploy --vars`` gives them
    (default: the ``<file>_vars.*`` beside it)."""
    path = Path(path)
    given = tuple(Path(v) for v in vars_files)
    doc = read_clab_yaml(path, given)
    errors = doc.errors + schema_errors(doc)
    if not isinstance(doc.data, dict):
        raise InputError(errors or [ModelError(doc.path, 0, "", "not a containerlab topology")])
    reader = _Reader(path, doc, name)
    try:
        topology = reader.topology(doc.data)
    except (TypeError, AttributeError, KeyError, ValueError):
        if not errors:
            raise
        # The schema errors already explain why the file cannot be read further.
    # A value the schema rejects (a string where a list belongs) is not read further: the
    # reader's findings inside it would only echo the schema's.
    rejected = [e.key for e in errors if e.key]
    later = [e for e in reader.errors if not any(_within(e.key, k) for k in rejected)]
    problems = list(dict.fromkeys(errors + later))
    if problems:
        raise InputError(problems)
    return dataclasses.replace(topology, vars_files=given) if given else topology


def _within(key: str, outer: str) -> bool:
    """True if the key path ``key`` is ``outer`` or lies inside it.

    >>> _within("topology.nodes.a.exec[0]", "topology.nodes.a.exec"), _within("nodes.ab", "nodes.a")
    (True, False)
    """
    return key == outer or (key.startswith(outer) and key[len(outer)] in ".[")


def _did_you_mean(kind: str) -> str:
    """`` (did you mean linux?)`` for a kind one typo away from one netsim runs."""
    close = difflib.get_close_matches(kind, sorted(SUPPORTED_KINDS), n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def check_lab_name(name: str) -> str | None:
    """Why ``name`` cannot name a lab, or None."""
    if not LAB_NAME.match(name):
        return f"lab name {name!r}: use letters, digits, '-', '_' and '.' (a directory name)"
    return None


class _Reader:
    """Builds the typed topology while collecting every problem it meets."""

    def __init__(self, path: Path, doc: Document, name: str | None) -> None:
        self.path = path
        self.doc = doc
        self.name_override = name
        self.errors: list[ModelError] = []
        self.netem: list[tuple[KeyPath, NetemSet]] = []

    def error(self, key: KeyPath, message: str) -> None:
        self.errors.append(ModelError(self.doc.path, self.doc.line(key), format_path(key), message))

    # The raw YAML, before validation: shapes are checked as it is read.
    def topology(self, data: YamlMap) -> ClabTopology:
        file_name = str(data["name"])
        name = self.name_override or file_name
        for key, candidate in (("name", file_name), ("name", name)):
            problem = check_lab_name(candidate)
            if problem:
                self.error((key,), problem)
        topo = data.get("topology") or {}
        prefix = str(data.get("prefix", DEFAULT_PREFIX))
        layers = {n: NodeLayers.of(topo, n) for n in topo.get("nodes") or {}}
        self.check_kinds(layers)
        nodes = {n: self.node(n, layer, name) for n, layer in layers.items()}
        scratch = ClabTopology(name, self.path, nodes, (), prefix, file_name)
        for node in nodes:
            if len(scratch.namespace(node)) > MAX_NAMESPACE:
                self.error(
                    ("topology", "nodes", node),
                    f"namespace {scratch.namespace(node)} is longer than {MAX_NAMESPACE} "
                    "characters (FRR's socket paths): use a shorter lab or node name",
                )
        links = LinkReader(self.doc, self.errors, nodes).read(topo.get("links") or [])
        links = self.apply_netem(scratch, links)
        for node, layer in layers.items():
            self.check_network_mode(node, layer)
            self.check_eth0(node, layer, links)
        return ClabTopology(name, self.path, nodes, tuple(links), prefix, file_name)

    def check_kinds(self, layers: dict[str, NodeLayers]) -> None:
        """One problem naming every node whose kind netsim cannot run."""
        odd: dict[str, list[str]] = {}
        for name, layer in layers.items():
            if layer.kind not in SUPPORTED_KINDS:
                odd.setdefault(layer.kind or "(no kind)", []).append(name)
        if not odd:
            return
        first = next(n for names in odd.values() for n in names)
        listing = "; ".join(
            f"{kind}: {', '.join(names)}{_did_you_mean(kind)}"
            for kind, names in sorted(odd.items())
        )
        self.error(
            ("topology", "nodes", first, "kind"),
            f"kinds netsim cannot run ({listing}): netsim deploys kind: linux nodes (FRR, "
            "strongSwan or plain hosts) in network namespaces and kind: bridge nodes as a "
            "Linux bridge in one; deploy this file with containerlab",
        )

    def node(self, name: str, layers: NodeLayers, lab: str) -> ClabNode:
        key: KeyPath = ("topology", "nodes", name)
        magic = {
            "__clabNodeName__": name,
            "__clabLabName__": f"{LAB_DIR_PREFIX}{lab}",
            "__clabDir__": str(self.path.parent / f"{LAB_DIR_PREFIX}{lab}"),
            "__clabNodeDir__": str(self.path.parent / f"{LAB_DIR_PREFIX}{lab}" / name),
        }

        def replace(text: str) -> str:
            for var, value in magic.items():
                text = text.replace(var, value)
            return text

        env = self.env(key, layers)
        node = ClabNode(
            name=name,
            kind=str(layers.kind),
            image=layers.scalar("image"),
            hostname=str(layers.scalar("hostname") or "") or None,
            group=layers.group_name,
            binds=self.binds(key, layers, replace),
            env=env,
            labels={k: str(v) for k, v in layers.merged_map("labels").items()},
            vars=layers.config_vars(),
            sysctls=self.sysctls(key, layers),
        )
        return dataclasses.replace(node, commands=self.commands(key, layers, node, replace))

    def env(self, key: KeyPath, layers: NodeLayers) -> dict[str, str]:
        env: dict[str, str] = {}
        for i, item in enumerate(layers.merged_list("env-files")):
            path = self.path.parent / str(item)
            try:
                lines = path.read_text().splitlines()
            except OSError as exc:
                self.error((*key, "env-files", i), f"cannot read {item}: {exc.strerror}")
                continue
            for line in lines:
                name, eq, value = line.strip().partition("=")
                if eq and name and not name.startswith("#"):
                    env[name.strip()] = value.strip()
        env.update({k: str(v) for k, v in layers.merged_map("env").items()})
        if env.pop(IMPORT_ENVS, None) == "true":
            env = {**os.environ, **env}
        return env

    def binds(self, key: KeyPath, layers: NodeLayers, replace: Any) -> tuple[Bind, ...]:
        by_target: dict[str, Bind] = {}
        for i, text in enumerate(layers.merged_list("binds")):
            parts = replace(str(text)).split(":")
            where = (*key, "binds", i) if layers.where("binds") == "node" else key
            if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
                self.error(where, f"expected source:/target[:ro], got {text!r}")
                continue
            source = (self.path.parent / Path(parts[0]).expanduser()).resolve()
            if not source.exists():
                absolute = Path(parts[0]).expanduser().is_absolute()
                place = "on this host" if absolute else "next to this file"
                self.error(where, f"bind source {parts[0]!r} does not exist {place}")
            options = parts[2].split(",") if parts[2:] else []
            by_target[parts[1].rstrip("/") or "/"] = Bind(source, parts[1], "ro" in options)
        return tuple(by_target[t] for t in sorted(by_target))

    def sysctls(self, key: KeyPath, layers: NodeLayers) -> dict[str, str]:
        values = {k: str(v) for k, v in layers.merged_map("sysctls").items()}
        for name in values:
            if not name.startswith("net."):
                self.error(
                    (*key, "sysctls", name),
                    "not a per-network-namespace sysctl: netsim sets net.* keys only",
                )
        return {k: v for k, v in values.items() if k.startswith("net.")}

    def commands(
        self, key: KeyPath, layers: NodeLayers, node: ClabNode, replace: Any
    ) -> tuple[Command, ...]:
        out = []
        level = layers.where("exec")
        for i, text in enumerate(layers.merged_list("exec")):
            where = (*key, "exec", i) if level == "node" else key
            command = self.command(where, replace(str(text)), node, Stage.EXEC, Phase.ON_ENTER)
            if command is not None:
                out.append(command)
        for stage_name, item in layers.stage_execs():
            where = (*key, "stages", stage_name, "exec")
            if not isinstance(item, dict) or not isinstance(item.get("command"), str):
                self.error(
                    where,
                    "containerlab reads a stage's exec as a list of {command, target, phase}",
                )
                continue
            stage, phase = Stage(stage_name), Phase(item.get("phase") or "on-enter")
            text = replace(item["command"])
            if (item.get("target") or "container") == "host":
                try:
                    self.netem.append((where, parse_netem(text)))
                except CommandError as exc:
                    self.error(where, f"{text!r}: {exc}")
                continue
            if stage is Stage.CREATE and phase is Phase.ON_ENTER:
                self.error(where, f"{text!r}: runs before the node exists")
                continue
            command = self.command(where, text, node, stage, phase)
            if command is not None:
                out.append(command)
        return tuple(out)

    def command(
        self, key: KeyPath, text: str, node: ClabNode, stage: Stage, phase: Phase
    ) -> Command | None:
        try:
            steps = parse_command(text, node.env)
        except CommandError as exc:
            self.error(key, f"{text!r}: {exc}")
            return None
        if any(s[0].rsplit("/", 1)[-1] == "vtysh" for s in steps) and not node.runs_frr:
            self.error(
                key,
                f"{text!r}: vtysh on a node that runs no FRR (no bind puts a file at "
                f"{FRR_CONF} or {FRR_DAEMONS})",
            )
            return None
        return Command(text, steps, stage, phase, self.doc.line(key), format_path(key))

    def apply_netem(self, topology: ClabTopology, links: list[ClabLink]) -> list[ClabLink]:
        """Give links named by ``containerlab tools netem set`` commands their shaping."""
        containers = {}
        for node in topology.nodes:
            containers[node] = node
            containers[topology.namespace(node)] = node
            file_ns = ClabTopology(topology.file_name, topology.path, {}, (), topology.prefix)
            containers[file_ns.namespace(node)] = node
        impaired: dict[tuple[str, str], NetemSet] = {}
        for key, netem in self.netem:
            target = containers.get(netem.container)
            if target is None:
                self.error(key, f"netem: no node of this lab runs as container {netem.container!r}")
                continue
            impaired[(target, netem.interface)] = netem  # a later command replaces an earlier one
        used = {(e.node, e.interface) for link in links for e in link.endpoints}
        for node, interface in sorted(set(impaired) - used):
            self.error(("topology", "nodes", node, "stages"), f"netem: {node} has no {interface}")
        out = []
        for link in links:
            sets = [impaired.get((e.node, e.interface)) for e in link.endpoints]
            if not any(sets):
                out.append(link)
                continue
            # containerlab shapes only what netem names; the link's vars then do nothing.
            plain = LinkParams(vars=link.params.vars)
            a, b = (s.params(link.params) if s else plain for s in sets)
            out.append(dataclasses.replace(link, shaping=(a, b)))
        return out

    def check_network_mode(self, node: str, layers: NodeLayers) -> None:
        """Refuse the network modes in which a node has no network namespace of its own."""
        mode = str(layers.scalar("network-mode") or "")
        if mode.lower() != "host" and not mode.startswith("container:"):
            return
        key: KeyPath = ("topology", "nodes", node)
        if layers.where("network-mode") == "node":
            key = (*key, "network-mode")
        where = "the host's network" if mode.lower() == "host" else f"{mode[10:]}'s namespace"
        self.error(
            key,
            f"network-mode {mode}: containerlab puts {node} in {where}; netsim runs every node "
            "in a network namespace of its own: deploy this file with containerlab",
        )

    def check_eth0(self, node: str, layers: NodeLayers, links: list[ClabLink]) -> None:
        if str(layers.scalar("network-mode") or "").lower() == "none":
            return
        if layers.kind == BRIDGE_KIND:  # a bridge's ports are named freely
            return
        for index, link in enumerate(links):
            if any(e.node == node and e.interface == "eth0" for e in link.endpoints):
                self.error(
                    ("topology", "links", index),
                    f"eth0 of {node} is its management interface (containerlab refuses it "
                    "unless network-mode: none)",
                )

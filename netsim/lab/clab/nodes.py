"""How containerlab resolves a node's settings: ``defaults``, ``kinds``, ``groups``, the node.

The rules are containerlab's own (``types/topology.go``), reproduced so that a file means
the same here as under ``clab deploy``:

- ``kind``: the node's, else its group's, else the group named by ``defaults.group``, else
  ``defaults.kind``; ``group``: the node's, else its kind's ``group``, else ``defaults.group``;
- single values (``image``, ``network-mode``...): the first set of node, group, kind,
  defaults;
- lists (``exec``, ``binds``, ``env-files``): defaults + kind + group + node, duplicates
  dropped; binds are then keyed by their target, the more specific level winning;
- maps (``env``, ``labels``, ``sysctls``): merged, node over group over kind over defaults;
  ``config.vars`` merged the same way, recursively;
- ``stages``: the ``exec`` lists of every level appended, defaults first.

Everything here reads raw YAML (plain dicts and lists, before any checking) and returns
plain values; :mod:`netsim.lab.clab.read` checks and types them.

Examples
--------
>>> topo = {"defaults": {"kind": "linux", "env": {"A": "1"}},
...         "groups": {"r": {"image": "frr", "env": {"B": "2"}}},
...         "nodes": {"r1": {"group": "r", "env": {"A": "9"}}}}
>>> n = NodeLayers.of(topo, "r1")
>>> n.kind, n.scalar("image"), n.merged_map("env")
('linux', 'frr', {'A': '9', 'B': '2'})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsim.model.source import YamlMap


def _mapping(value: object) -> YamlMap:  # raw YAML: checked by the schema
    return value if isinstance(value, dict) else {}


def deep_merge(*maps: YamlMap) -> YamlMap:
    """Later maps override earlier ones; nested maps merge (containerlab's ``MergeMaps``)."""
    out: YamlMap = {}
    for m in maps:
        for key, value in m.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class NodeLayers:
    """The four raw definitions a node's settings come from, most specific first."""

    node: YamlMap
    group: YamlMap
    kind_def: YamlMap
    defaults: YamlMap
    kind: str | None
    group_name: str | None

    @classmethod
    def of(cls, topo: YamlMap, name: str) -> NodeLayers:
        """The layers of node ``name`` in the raw ``topology`` section ``topo``."""
        defaults = _mapping(topo.get("defaults"))
        groups = _mapping(topo.get("groups"))
        kinds = _mapping(topo.get("kinds"))
        node = _mapping(_mapping(topo.get("nodes")).get(name))

        def named(table: YamlMap, key: object) -> YamlMap:
            return _mapping(table.get(str(key))) if key else {}

        raw_kind = (
            node.get("kind")
            or named(groups, node.get("group")).get("kind")
            or named(groups, defaults.get("group")).get("kind")
            or defaults.get("kind")
        )
        kind = str(raw_kind).lower() if raw_kind else None
        group = node.get("group") or named(kinds, kind).get("group") or defaults.get("group")
        group_name = str(group) if group else None
        return cls(node, named(groups, group_name), named(kinds, kind), defaults, kind, group_name)

    @property
    def specific_first(self) -> tuple[YamlMap, ...]:
        return (self.node, self.group, self.kind_def, self.defaults)

    def scalar(self, key: str) -> Any:
        """The first non-empty value of ``key`` from node, group, kind, defaults."""
        for layer in self.specific_first:
            value = layer.get(key)
            if value not in (None, "", [], {}):
                return value
        return None

    def where(self, key: str) -> str:
        """Which level sets ``key`` (for error messages): node, group, kind or defaults."""
        labels = ("node", "group", "kind", "defaults")
        for label, layer in zip(labels, self.specific_first, strict=True):
            if layer.get(key) not in (None, "", [], {}):
                return label
        return "node"

    def merged_list(self, key: str) -> list[Any]:
        """defaults + kind + group + node, each value once (first place kept)."""
        out: list[Any] = []
        for layer in reversed(self.specific_first):
            for item in layer.get(key) or []:
                if item not in out:
                    out.append(item)
        return out

    def merged_map(self, key: str) -> YamlMap:
        out: YamlMap = {}
        for layer in reversed(self.specific_first):
            out.update(_mapping(layer.get(key)))
        return out

    def config_vars(self) -> YamlMap:
        return deep_merge(
            *(
                _mapping(_mapping(layer.get("config")).get("vars"))
                for layer in self.specific_first[::-1]
            )
        )

    def stage_execs(self) -> list[tuple[str, Any]]:
        """``(stage, raw exec entry)`` of every level's ``stages``, defaults first.

        containerlab reads a stage's ``exec`` as a list of ``{command, target, phase}``
        objects; anything else (the schema's older ``{on-enter: [...]}`` form) is returned
        as it is, for the reader to refuse as containerlab does.
        """
        out: list[tuple[str, Any]] = []
        for layer in (self.defaults, self.kind_def, self.group, self.node):
            for stage, spec in _mapping(layer.get("stages")).items():
                execs = _mapping(spec).get("exec")
                if isinstance(execs, list):
                    out += [(str(stage), item) for item in execs]
                elif execs is not None:
                    out.append((str(stage), execs))
        return out

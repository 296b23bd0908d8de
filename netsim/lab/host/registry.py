"""The host's registry of labs: ``/run/netsim/labs/<lab>.json``, a copy of each lab's state.

A lab's namespaces (``clab-<lab>-<node>``) are global to the host, but its state file lives
under a root that the deploying process chose (``NETSIM_LAB_ROOT``; tests use a temporary
directory). A deployer killed with its lab still running, whose root later vanished or is
simply not the one a later command uses, would leave namespaces nothing knows how to remove.
So every save of a lab's state is mirrored here: the copy names the root and is enough for
:func:`netsim.lab.host.teardown.destroy_state` to tear the lab down, wherever it was
deployed from. ``/run`` is emptied at boot, like the namespaces themselves.

A lab is *abandoned* (:func:`abandoned`) when the process it was held by has died (its
*holder*: the :class:`~netsim.lab.Lab` context manager's process, or the process named by
``NETSIM_LAB_HOLDER``), or when its deployer died before the lab was up. A lab deployed
from the command line has no holder: it outlives its deployer by design and is never
removed behind the user's back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.lab.host import linux

if TYPE_CHECKING:
    from netsim.lab.host.jsondoc import JsonDoc

DEFAULT_DIR = Path("/run/netsim/labs")
DIR_ENV = "NETSIM_LAB_REGISTRY"  # another directory, for tests that only pretend to deploy
HOLDER_ENV = "NETSIM_LAB_HOLDER"


def registry_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR)


def entry_path(lab: str) -> Path:
    return registry_dir() / f"{lab}.json"


def mirror(lab: str, document: JsonDoc) -> None:
    """Write the registry copy of a lab's state (atomically; /run is memory, no fsync)."""
    entry_path(lab).parent.mkdir(parents=True, exist_ok=True)
    target = entry_path(lab)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1))
    tmp.chmod(0o600)
    os.replace(tmp, target)


def load(lab: str) -> JsonDoc | None:
    """The registry copy of ``lab``'s state, or None."""
    try:
        data = json.loads(entry_path(lab).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a torn copy is as good as none: the state file itself still counts
    return data if isinstance(data, dict) else None


def labs() -> list[str]:
    """Names of the labs the registry knows."""
    if not registry_dir().is_dir():
        return []
    return sorted(p.stem for p in registry_dir().glob("*.json"))


def forget(lab: str, root: str) -> None:
    """Drop ``lab``'s registry copy if it is the copy of the lab deployed under ``root``."""
    data = load(lab)
    if data is not None and data.get("root") == root:
        entry_path(lab).unlink(missing_ok=True)
    # A deployer killed between writing its copy and renaming it leaves the temporary
    # file; only a deployer of this lab writes it, and the caller has stopped it.
    entry_path(lab).with_suffix(".tmp").unlink(missing_ok=True)


def holder_from_env() -> list[int]:
    """``[pid, start time]`` of the process ``NETSIM_LAB_HOLDER`` names, or []."""
    value = os.environ.get(HOLDER_ENV, "")
    if not value.isdigit():
        return []
    start = linux.proc_start_time(int(value))
    return [int(value), start] if start is not None else []


def identity(pid: int) -> list[int]:
    """``[pid, start time]`` of a running process (the pair survives pid reuse)."""
    return [pid, linux.proc_start_time(pid) or 0]


def alive(ident: list[int]) -> bool:
    return len(ident) == 2 and ident[0] > 0 and linux.same_process(ident[0], ident[1])  # noqa: PLR2004


def abandoned(document: JsonDoc) -> bool:
    """True if nobody will ever destroy this lab: its holder died, or its deploy did."""
    holder = list(document.get("holder") or [])
    if holder:
        return not alive(holder)
    deployer = list(document.get("deployer") or [])
    return document.get("phase") != "up" and not alive(deployer)

"""IPsec pre-shared keys: made for each deploy, kept only in the lab's state directory.

A lab's ``swanctl.conf`` files say which IKE identities authenticate each other with a
pre-shared key (``local { auth = psk; id = aws }``, ``remote { id = gcp }``) but need not
hold the keys: a connection whose pair of identities has no ``secrets`` entry (with those
ids, or a wildcard entry without ids) gets one at deploy time. The key of a pair is

1. the contents of the file the user names (``netsim lab deploy --psk-file FILE``), else
2. the environment variable ``NETSIM_IPSEC_PSK``, else
3. 32 random bytes (``secrets.token_urlsafe``), new for every deploy,

and the same for both ends of the pair. :func:`write_secrets` writes a node's keys to a
file of its own in the lab's state directory, created with mode 0600 (never wider, not even
for a moment); the daemon's copy of ``swanctl.conf`` includes it. Keys never reach the
state file, logs, ``netsim lab status`` or an exported file.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netsim.errors import UsageError
from netsim.lab.daemons.settings import Settings, lookup, section

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

PSK_ENV = "NETSIM_IPSEC_PSK"
MIN_PSK_CHARS = 16  # strongSwan accepts less; a lab key this short is a mistake
KEY_BYTES = 32
SECRET_FILE_MODE = 0o600

Pair = frozenset[str]


@dataclass(frozen=True, slots=True)
class LabKeys:
    """The pre-shared keys of one deploy, by the pair of IKE identities they join."""

    keys: dict[Pair, str] = field(default_factory=dict, repr=False)
    source: str = "generated"

    def __repr__(self) -> str:  # never print a key
        return f"LabKeys({len(self.keys)} pairs, {self.source})"


def psk_connections(settings: Settings) -> list[Pair]:
    """Identity pairs of the connections that authenticate locally with a PSK.

    An identity that is not set is the address strongSwan would use for it.
    """
    pairs = []
    for conn in section(settings, "connections").values():
        if not isinstance(conn, dict):
            continue
        local, remote = section(conn, "local"), section(conn, "remote")
        if lookup(local, "auth") != "psk":
            continue
        me = lookup(local, "id") or lookup(conn, "local_addrs")
        peer = lookup(remote, "id") or lookup(conn, "remote_addrs")
        pairs.append(frozenset((me, peer)))
    return pairs


def covered(settings: Settings) -> tuple[set[Pair], bool]:
    """Pairs an existing ``secrets`` entry covers, and whether a wildcard entry exists."""
    pairs, wildcard = set(), False
    for name, entry in section(settings, "secrets").items():
        if not name.startswith("ike") or not isinstance(entry, dict):
            continue
        ids = {v for k, v in entry.items() if k.startswith("id") and isinstance(v, str)}
        if not ids:
            wildcard = True
        pairs |= {frozenset((a, b)) for a in ids for b in ids if a != b}
    return pairs, wildcard


def needed(settings: Settings) -> list[Pair]:
    """The PSK pairs of a node's configuration that have no key in it."""
    have, wildcard = covered(settings)
    if wildcard:
        return []
    return [p for p in psk_connections(settings) if p not in have]


def read_psk_file(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise UsageError(f"--psk-file {path}: {exc.strerror}") from None
    return _checked(text, f"--psk-file {path}")


def _checked(key: str, where: str) -> str:
    if len(key) < MIN_PSK_CHARS or "\n" in key or '"' in key:
        raise UsageError(
            f"{where}: a pre-shared key is one line of at least {MIN_PSK_CHARS} characters "
            "without double quotes"
        )
    return key


def lab_keys(pairs: Iterable[Pair], psk_file: Path | None = None) -> LabKeys:
    """A key for every pair (see the module docstring for where it comes from)."""
    given, source = None, "generated"
    if psk_file is not None:
        given, source = read_psk_file(psk_file), f"file {psk_file}"
    elif os.environ.get(PSK_ENV):
        given, source = _checked(os.environ[PSK_ENV], PSK_ENV), f"environment {PSK_ENV}"
    keys = {pair: given or secrets.token_urlsafe(KEY_BYTES) for pair in sorted(pairs, key=sorted)}
    return LabKeys(keys, source)


def secrets_text(pairs: Iterable[Pair], keys: LabKeys) -> str:
    """A swanctl ``secrets`` section holding the keys of ``pairs``."""
    lines = ["# Pre-shared keys of this deploy (netsim lab deploy); mode 0600.", "secrets {"]
    for index, pair in enumerate(sorted(pairs, key=sorted)):
        ids = sorted(pair)
        lines.append(f"  ike-netsim-{index} {{")
        lines += [f"    id-{i} = {ident}" for i, ident in enumerate(ids, start=1)]
        lines += [f'    secret = "{keys.keys[pair]}"', "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_secrets(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 from the start and write ``text`` into it."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, SECRET_FILE_MODE)
    with os.fdopen(fd, "w") as out:
        out.write(text)

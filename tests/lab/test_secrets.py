"""IPsec keys: which tunnels need one, where it comes from, and that it stays secret."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest

from netsim.errors import UsageError
from netsim.lab.daemons.secrets import (
    PSK_ENV,
    lab_keys,
    needed,
    psk_connections,
    secrets_text,
    write_secrets,
)
from netsim.lab.daemons.settings import parse_settings
from tests.lab.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

AWS = ROOT / "topologies" / "adr003" / "aws" / "swanctl.conf"
COMMITTED = [
    *ROOT.glob("topologies/*/*/swanctl.conf"),
    *ROOT.glob("tests/lab/golden/export/*/*/swanctl.conf"),
]


def test_no_committed_or_exported_swanctl_conf_holds_a_key() -> None:
    assert len(COMMITTED) >= 12
    for path in COMMITTED:
        settings = parse_settings(path.read_text())
        assert "secrets" not in settings, path
        assert "secret =" not in path.read_text(), path
        assert "include secrets/*.conf" in path.read_text(), path
        assert needed(settings), path  # the deploy has keys to make


def test_pairs_that_need_a_key_and_those_that_have_one() -> None:
    settings = parse_settings(AWS.read_text())
    assert sorted(sorted(p) for p in psk_connections(settings)) == [
        ["aws", "azure"],
        ["aws", "gcp"],
    ]
    with_ids = parse_settings(
        AWS.read_text() + 'secrets { ike-1 { id-1 = aws\n id-2 = gcp\n secret = "x" } }'
    )
    assert needed(with_ids) == [frozenset({"aws", "azure"})]
    wildcard = parse_settings(AWS.read_text() + 'secrets { ike-any { secret = "x" } }')
    assert needed(wildcard) == []


def test_keys_are_new_per_deploy_and_shared_by_both_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PSK_ENV, raising=False)
    pairs = [frozenset({"aws", "gcp"}), frozenset({"aws", "azure"})]
    first, second = lab_keys(pairs), lab_keys(pairs)
    assert set(first.keys) == set(pairs)
    assert len(set(first.keys.values())) == 2  # one key per tunnel
    assert first.keys != second.keys  # and new for every deploy
    assert all(len(k) >= 40 for k in first.keys.values())  # 32 random bytes
    assert "secret" not in repr(first)
    assert first.keys[pairs[0]] not in repr(first)


def test_keys_from_the_environment_or_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pair = [frozenset({"a", "b"})]
    monkeypatch.setenv(PSK_ENV, "from-the-environment-0123")
    keys = lab_keys(pair)
    assert keys.keys[pair[0]] == "from-the-environment-0123"
    assert keys.source == f"environment {PSK_ENV}"
    path = tmp_path / "psk"
    path.write_text("from-a-file-0123456789\n")
    assert lab_keys(pair, path).keys[pair[0]] == "from-a-file-0123456789"  # the file wins
    path.write_text("short")
    with pytest.raises(UsageError, match="at least 16 characters"):
        lab_keys(pair, path)
    with pytest.raises(UsageError, match="No such file"):
        lab_keys(pair, tmp_path / "missing")


def test_the_secrets_file_is_0600_from_the_start(tmp_path: Path) -> None:
    pair = frozenset({"aws", "gcp"})
    keys = lab_keys([pair])
    path = tmp_path / "secrets.conf"
    path.write_text("old, world-readable")
    path.chmod(0o644)
    write_secrets(path, secrets_text([pair], keys))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entry = parse_settings(path.read_text())["secrets"]["ike-netsim-0"]
    assert entry == {"id-1": "aws", "id-2": "gcp", "secret": keys.keys[pair]}

"""Units, distributions and loaders: the values users write become the right SI numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netsim.errors import InputError, UsageError
from netsim.model import LinkKind, load_scenario, load_topology
from netsim.model.dist import parse_duration_dist
from netsim.model.units import (
    UnitError,
    parse_bitrate,
    parse_duration,
    parse_event_rate,
    parse_size,
    parse_volume_rate,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("300ms", 0.3), ("2h", 7200.0), ("50us", 5e-5), ("1.5m", 90.0), (3, 3.0), ("1d", 86400.0)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_sizes_rates_and_volumes() -> None:
    assert parse_size("1KiB") == 1024
    assert parse_size("12MB") == 12e6
    assert parse_bitrate("1.25Gbps") == 1.25e9
    assert parse_event_rate("1000000/day") == pytest.approx(11.574, rel=1e-4)
    assert parse_event_rate("40/min") == pytest.approx(40 / 60)
    # numbers.md s4 "ADR load: 10 TB/month replication": about 30.9 Mbit/s on average
    assert parse_volume_rate("10TB/month") * 8 / 1e6 == pytest.approx(30.4, rel=0.02)


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_bitrate, "10Gbs"),
        (parse_bitrate, 10),
        (parse_size, "12"),
        (parse_duration, "5y"),
        (parse_event_rate, "10"),
        (parse_event_rate, "10/fortnight"),
    ],
)
def test_unit_errors(parse: object, text: object) -> None:
    with pytest.raises(UnitError):
        parse(text)  # type: ignore[operator]


def test_distributions_sample_with_units() -> None:
    d = parse_duration_dist({"dist": "lognorm", "s": 0.5, "scale": "10ms"})
    x = d.sample(np.random.default_rng(0), 200000)
    assert np.median(x) == pytest.approx(0.010, rel=0.01)
    assert d.mean() == pytest.approx(0.010 * np.exp(0.125), rel=1e-9)
    assert parse_duration_dist("5ms").sample(np.random.default_rng(0), 3).tolist() == [0.005] * 3


def test_megaport_hub_loads_with_cited_defaults() -> None:
    topo = load_topology(ROOT / "topologies" / "megaport-hub.yaml")
    aws = topo.link("aws-mcr")
    assert aws.kind is LinkKind.INTERCONNECT
    assert aws.capacity == 10e9
    assert aws.bfd is not None
    assert aws.bfd.detection == pytest.approx(0.9)
    assert (aws.bgp.keepalive, aws.bgp.hold) == (30.0, 90.0)
    vpn = topo.link("vpn-aws-gcp")
    assert vpn.overhead == 62
    assert vpn.preference == 50
    assert vpn.dpd is not None
    assert vpn.dpd.timeout == 30.0
    assert topo.underlay_links == {"aws-inet", "gcp-inet", "azure-inet"}
    assert topo.group("megaport-mcr").links == ("aws-mcr", "gcp-mcr", "azure-mcr")
    assert topo.endpoints_of() == ("aws", "gcp", "azure")


def test_every_shipped_default_is_cited() -> None:
    """Each link's numeric keys carry a comment: a numbers.md section or ASSUMPTION."""
    for path in (ROOT / "topologies").glob("*.yaml"):
        if path.name.endswith(".clab.yml"):
            continue
        text = path.read_text()
        assert "numbers.md" in text or "s1 " in text or "s3 " in text, path
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("capacity:", "mtbf:", "bfd:", "cost:")) and "#" not in line:
                pytest.fail(f"{path.name}: uncited default: {stripped}")


def test_scenario_overrides_and_topology_overrides(tmp_path: Path) -> None:
    s = load_scenario(
        ROOT / "scenarios" / "interconnect-blackhole-no-bfd.yaml",
        ["traffic.api.rate=2000000/day", "topology.links.vpn-aws-gcp.capacity=2.5Gbps"],
    )
    assert s.topology.link("aws-mcr").bfd is None  # topology_overrides
    assert s.topology.link("aws-mcr").bgp.hold == 9.0
    assert s.traffic_class("api").rate == pytest.approx(2e6 / 86400)
    assert s.topology.link("vpn-aws-gcp").capacity == 2.5e9
    with pytest.raises(UsageError, match="no item named"):
        load_scenario(ROOT / "scenarios" / "baseline.yaml", ["traffic.nope.rate=1/s"])


def test_duplicate_keys_and_names_are_errors(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "name: t\nnodes: {a: {}, b: {}}\nlinks:\n"
        "  - {name: x, endpoints: [a, b], capacity: 1Gbps, capacity: 2Gbps}\n"
        "  - {name: x, endpoints: [a, b], capacity: 1Gbps}\n"
    )
    with pytest.raises(InputError) as exc:
        load_topology(tmp_path / "t.yaml")
    messages = [str(e) for e in exc.value.errors]
    assert any("duplicate key" in m and ":4:" in m for m in messages)
    assert any("duplicate link name 'x'" in m for m in messages)


def test_a_scenario_where_a_topology_is_expected_says_so() -> None:
    with pytest.raises(InputError) as exc:
        load_topology(ROOT / "scenarios" / "baseline.yaml")
    (error,) = exc.value.errors
    assert "this is a scenario file; a topology was expected" in error.message
    assert error.line == 7


def test_a_topology_where_a_scenario_is_expected_says_so() -> None:
    """One message naming the mistake, not one unknown key per topology section."""
    with pytest.raises(InputError) as exc:
        load_scenario(ROOT / "topologies" / "dual-mcr.yaml")
    (error,) = exc.value.errors
    assert "this is a topology file; a scenario was expected" in error.message
    assert (error.key, error.line) == ("nodes", 14)


def test_a_failure_after_a_shortened_run_names_the_item_and_the_override() -> None:
    """The file is fine; the --set made it wrong: the message says both where (the
    failure's at:) and why (the override)."""
    with pytest.raises(InputError) as exc:
        load_scenario(ROOT / "scenarios" / "interconnect-cut.yaml", ["duration=1m"])
    (error,) = exc.value.errors
    assert error.key == "failures[0].at"
    assert "after the run ends (60 s, as --set duration=1m makes it)" in error.message


def test_impossible_values_are_refused_where_they_are_written(tmp_path: Path) -> None:
    """A success ratio above 1, a group with no member or one listed twice: each refused
    once, naming its key (not accepted, and not echoed by a second, vaguer message)."""
    with pytest.raises(InputError) as exc:
        load_scenario(ROOT / "scenarios" / "baseline.yaml", ["slos.api-availability.min=1.5"])
    (error,) = exc.value.errors
    assert error.key.endswith(".min")
    assert "must be between 0 and 1" in error.message
    text = (ROOT / "topologies" / "dual-mcr.yaml").read_text()
    (tmp_path / "t.yaml").write_text(
        text + "  extra-empty: {members: []}\n  extra-twice: {members: [aws-mcr-a, aws-mcr-a]}\n"
    )
    with pytest.raises(InputError) as exc:
        load_topology(tmp_path / "t.yaml")
    messages = sorted(f"{e.key}: {e.message}" for e in exc.value.errors)
    assert messages == [
        "groups.extra-empty.members: a group needs at least one member",
        "groups.extra-twice.members: 'aws-mcr-a' is listed twice",
    ]

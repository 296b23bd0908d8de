"""Unit tests of link parameters read from link vars."""

from __future__ import annotations

import pytest

from netsim.lab.clab.params import LinkParams, dist_from_json, dist_to_json, parse_link_params


def test_constant_delay_jitter_loss_rate_buffer() -> None:
    params, errors = parse_link_params(
        {"delay": "10ms", "jitter": "1ms", "loss": 0.01, "rate": "100Mbps", "buffer": "64KB"}
    )
    assert errors == []
    assert params.delay is not None
    assert params.delay.name == "norm"
    assert params.mean_delay() == pytest.approx(0.010)
    assert (params.loss, params.rate_bps, params.buffer_bytes) == (0.01, 100e6, 64000)
    assert params.impaired


def test_distribution_delay_and_round_trip_through_json() -> None:
    params, errors = parse_link_params({"delay": {"dist": "lognorm", "s": 0.3, "scale": "12ms"}})
    assert errors == []
    again = LinkParams.from_json(params.to_json())
    assert again.delay == params.delay
    assert dist_from_json(dist_to_json(params.delay)) == params.delay  # type: ignore[arg-type]


def test_no_impairment() -> None:
    params, errors = parse_link_params({"name": "x", "bfd": {"interval": "300ms"}})
    assert errors == []
    assert not params.impaired
    assert params.delay is None


@pytest.mark.parametrize(
    ("vars_", "key", "fragment"),
    [
        ({"delay": "3 furlongs"}, "delay", "unknown unit"),
        ({"delay": {"dist": "norm", "loc": "1ms", "scale": "1ms"}}, "delay", "negative"),
        ({"delay": {"dist": "nosuch"}}, "delay", "no continuous distribution"),
        ({"delay": {"dist": "lognorm", "scale": "1ms"}, "jitter": "1ms"}, "delay", "jitter"),
        ({"loss": 1.5}, "loss", "probability"),
        ({"capacity": "10"}, "capacity", "needs a unit"),
        ({"rate": "0Mbps"}, "rate", "positive"),
        ({"buffer": "12 MiBs"}, "buffer", "unknown unit"),
    ],
)
def test_errors_name_the_key(vars_: dict[str, object], key: str, fragment: str) -> None:
    _, errors = parse_link_params(vars_)
    assert [e.key for e in errors] == [key]
    assert fragment in str(errors[0])

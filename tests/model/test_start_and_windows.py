"""Scenario ``start`` (time of day on the diurnal profile) and SLO ``window``.

Oracles: the profile's definition (the rate peaks ``peak_to_mean`` times the mean at
``peak_at`` o'clock, :class:`netsim.model.scenario.Profile`), and YAML 1.2 (``14:00`` is
text, not the base-60 number 840 of YAML 1.1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netsim.model import load_scenario
from netsim.model.load_scenario import parse_time_of_day
from netsim.model.scenario import DEFAULT_SLO_WINDOW
from netsim.model.source import load_value, parse_yaml
from netsim.sim.arrivals import profile_factor

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def test_a_time_of_day_is_text_not_base_60() -> None:
    assert parse_yaml("start: 14:00", "s").data == {"start": "14:00"}
    assert load_value("14:30") == "14:30"
    assert parse_time_of_day("14:00") == 14 * 3600.0
    with pytest.raises(ValueError, match="00:00 to 23:59:59"):
        parse_time_of_day("24:00")


def test_start_places_the_run_on_the_profile() -> None:
    midnight = load_scenario(BASELINE, ["start=00:00"])
    peak = load_scenario(BASELINE, ["start=14:00"])
    assert peak.start == 14 * 3600.0
    t = np.array([0.0, 3600.0])
    at_midnight = profile_factor(midnight.traffic[0].profile, t)
    at_peak = profile_factor(peak.traffic[0].profile, t)
    assert at_peak[0] == pytest.approx(2.5)  # peak_to_mean at the start of the run
    assert at_midnight[0] < 0.3  # the quietest hour, about 0.22x the mean
    assert peak.clock(3600.0) == 15 * 3600.0


def test_the_shipped_baseline_judges_the_peak_hour() -> None:
    scenario = load_scenario(BASELINE)
    first_hour = np.linspace(0.0, 3600.0, 61)
    factor = profile_factor(scenario.traffic[0].profile, first_hour)
    assert factor.mean() > 2.4  # within 4 % of the peak of 2.5x the mean


def test_slo_windows_default_to_five_minutes_and_take_month() -> None:
    scenario = load_scenario(
        BASELINE, ["slos.api-availability.window=month", "slos.api-p95.window=1h"]
    )
    by = {s.name: s for s in scenario.slos}
    assert by["api-p95"].window == 3600.0
    assert by["api-gcp-aws-p95"].window == DEFAULT_SLO_WINDOW == 300.0
    assert by["api-availability"].monthly
    assert by["api-availability"].window is None

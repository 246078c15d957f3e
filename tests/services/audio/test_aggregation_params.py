"""The audio clip-aggregation parameters a calibration file may set."""

from __future__ import annotations

from dd_audio import aggregate
from dd_audio.aggregation_params import AggregationParams


def test_defaults_without_a_file() -> None:
    params = AggregationParams()
    assert (params.trim, params.min_alert_score) == (aggregate.TRIM, aggregate.MIN_ALERT_SCORE)
    assert params.note() == ""


def test_fitted_values_are_taken_and_nonsense_is_ignored() -> None:
    fitted = {"trim": 0.1, "alert_threshold": 0.6, "min_alert_score": "high", "min_alert_s": -3}
    params = AggregationParams.from_calibration(fitted, "cal-x")
    assert params.trim == 0.1 and params.alert_threshold == 0.6
    assert params.min_alert_score == aggregate.MIN_ALERT_SCORE  # not a number
    assert params.min_alert_s == aggregate.MIN_ALERT_S  # out of range
    assert "cal-x" in params.note() and "trim 0.1" in params.note()


def test_an_empty_entry_is_the_defaults() -> None:
    assert AggregationParams.from_calibration({}, "cal-x") == AggregationParams()

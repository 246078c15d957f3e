"""The clip-aggregation parameters in force: ``aggregate.py``'s defaults, or those
``dfd calibrate`` fitted and stored in the calibration file (``aggregation.audio``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dd_audio import aggregate


@dataclass(frozen=True)
class AggregationParams:
    trim: float = aggregate.TRIM
    alert_threshold: float = aggregate.ALERT_THRESHOLD
    min_alert_score: float = aggregate.MIN_ALERT_SCORE
    min_alert_s: float = aggregate.MIN_ALERT_S
    source: str | None = None  # the calibration version they came from; None: defaults

    @classmethod
    def from_calibration(cls, fitted: Mapping[str, object], version: str) -> AggregationParams:
        """The fitted values present in ``fitted`` (others keep their defaults)."""
        defaults = cls()

        def number(key: str, default: float, low: float, high: float) -> float:
            value = fitted.get(key)
            if isinstance(value, int | float) and low <= float(value) <= high:
                return float(value)
            return default

        return cls(
            trim=number("trim", defaults.trim, 0.0, 0.49),
            alert_threshold=number("alert_threshold", defaults.alert_threshold, 0.0, 1.0),
            min_alert_score=number("min_alert_score", defaults.min_alert_score, 0.0, 1.0),
            min_alert_s=number("min_alert_s", defaults.min_alert_s, 0.0, 3600.0),
            source=version if fitted else None,
        )

    def note(self) -> str:
        """Words for the evidence when the calibration file set the parameters."""
        if self.source is None:
            return ""
        return (
            f"; aggregation parameters from {self.source}: trim {self.trim:g} per end, "
            f"alerts at windows >= {self.alert_threshold:g} over >= {self.min_alert_s:g} s "
            f"with median >= {self.min_alert_score:g}"
        )

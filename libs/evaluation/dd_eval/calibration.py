"""The calibration file: load it, map a detector's raw P(fake) to a calibrated one, and
say how far a result in a given media condition can be trusted.

Pure python + numpy, so the services can import it without the ``eval`` extra:

    from dd_eval.calibration import Calibration
    cal = Calibration.load(settings.calibration_file)          # once, at start-up
    p = cal.apply("audio", result.condition, p_raw)            # after the detector score
    factor, reason = cal.assess("audio", result.condition)     # confidence x factor;
                                                               # reason -> label uncertain

File format (JSON, ``format: 1``)::

    {"format": 1, "version": "cal-20261207T0300Z-1a2b3c4d", "created": "...",
     "data_hash": "<sha256 over the calibration split's file hashes and labels>",
     "floor": 0.02,
     "detectors": {
       "audio": {"models": [...], "method": "platt", "selection": {...measurements...},
                 "default": {"method": "platt", "a": 1.1, "b": -0.3},
                 "conditions": {"aac_low": {"method": "platt", "a": .., "b": ..,
                                            "n_real": 12, "n_fake": 24,
                                            "false_alarm_rate": 0.33, "detection_rate": 0.9,
                                            "confidence_factor": 0.06,
                                            "reason": "real speech coded as AAC ..."}}}},
     "aggregation": {"audio": {"trim": 0.25, "alert_threshold": 0.5, "min_alert_s": 6.0}}}

Methods: ``identity``; ``platt`` (p' = sigmoid(a * logit(p) + b)); ``temperature``
(platt with b = 0, a = 1 / T); ``isotonic`` (piecewise-linear through ``x`` = logits and
``y`` = probabilities, constant outside).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dd_eval.conditions import DEFAULT, band

FORMAT = 1
LOGIT_CAP = 12.0


def logit(p: float) -> float:
    q = min(max(float(p), 1e-6), 1 - 1e-6)
    return max(-LOGIT_CAP, min(LOGIT_CAP, math.log(q / (1 - q))))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def apply_params(params: Mapping[str, Any], p: float) -> float:
    """One calibration map (see module docstring) applied to one probability."""
    method = params.get("method", "identity")
    if method == "identity":
        return float(p)
    z = logit(p)
    if method in ("platt", "temperature"):
        return sigmoid(float(params.get("a", 1.0)) * z + float(params.get("b", 0.0)))
    if method == "isotonic":
        xs, ys = params["x"], params["y"]
        return float(np.interp(z, xs, ys))
    raise ValueError(f"unknown calibration method {method!r}")


@dataclass
class Calibration:
    """A loaded calibration file (an empty one changes nothing)."""

    version: str = "none"
    created: str | None = None
    data_hash: str | None = None
    floor: float = 0.02
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    aggregation: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None) -> Calibration:
        """Read a calibration file; ``None`` gives the identity calibration."""
        if path is None:
            return cls()
        raw = json.loads(Path(path).read_text())
        if raw.get("format") != FORMAT:
            raise ValueError(f"{path}: calibration format {raw.get('format')!r}, expected {FORMAT}")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Calibration:
        return cls(
            version=str(raw["version"]),
            created=raw.get("created"),
            data_hash=raw.get("data_hash"),
            floor=float(raw.get("floor", 0.02)),
            detectors=dict(raw.get("detectors", {})),
            aggregation=dict(raw.get("aggregation", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "created": self.created,
            "data_hash": self.data_hash,
            "floor": self.floor,
            "detectors": self.detectors,
            "aggregation": self.aggregation,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n")

    def entry(
        self, detector: str, condition: Mapping[str, object] | str | None
    ) -> dict[str, Any] | None:
        """The parameters for this detector in this condition (its default when the
        condition's band was not fitted); None for a detector the file does not know."""
        spec = self.detectors.get(detector)
        if spec is None:
            return None
        conditions = spec.get("conditions", {})
        key = band(detector, condition)
        found = conditions.get(key)
        return (
            dict(found) if found is not None else dict(spec.get("default", {"method": "identity"}))
        )

    def apply(self, detector: str, condition: Mapping[str, object] | str | None, p: float) -> float:
        """Calibrated P(fake) for ``detector``'s raw ``p`` in ``condition``."""
        params = self.entry(detector, condition)
        return float(p) if params is None else apply_params(params, p)

    def assess(
        self, detector: str, condition: Mapping[str, object] | str | None
    ) -> tuple[float, str | None]:
        """(confidence factor, reason or None). A reason means: in this condition the
        measured false-alarm rate on real media is above ``floor``, so the result must be
        labelled ``uncertain`` and the reason shown."""
        params = self.entry(detector, condition)
        if params is None:
            return 1.0, None
        return float(params.get("confidence_factor", 1.0)), params.get("reason")

    def aggregation_for(self, detector: str) -> dict[str, float]:
        return dict(self.aggregation.get(detector, {}))

    @property
    def conditions(self) -> dict[str, list[str]]:
        return {d: [*sorted(s.get("conditions", {})), DEFAULT] for d, s in self.detectors.items()}

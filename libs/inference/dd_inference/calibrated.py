"""A calibration file applied to a service's result: calibrated P(fake), a confidence that
follows the detector's measured reliability in the media's condition, and honest words.

The file format and its maths live in ``dd_eval.calibration`` (numpy only, written by
``dfd calibrate``); this module is what the services do with it, framework-neutral:

- ``load_calibration(path)``: read and check a file once, at start-up; any defect raises
  ``CalibrationInvalid`` (the service then stays not ready and says why in /readyz).
- ``calibrate_result(result, calibration)``: after the detector score,
  ``p = cal.apply(modality, condition, p)`` and ``factor, reason = cal.assess(...)``;
  confidence x factor; a reason flags ``unreliable_condition``, sets ``reason`` and
  ``reliable = False`` (fusion then labels the verdict ``uncertain`` when no reliable
  evidence is left) and caps the confidence at ``UNRELIABLE_CONFIDENCE``.
- Without a calibration for the modality the score is left as is, every model says
  ``calibration: null`` and the evidence text says "uncalibrated score".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from dd_contracts import ModalityResult, ModalityStatus, ModelInfo

UNRELIABLE_FLAG = "unreliable_condition"
# Fusion's uncertain band is uncertain_band / confidence (0.1 by default): at 0.2 it covers
# every probability, so an unreliable score alone can never decide a verdict even where the
# caller ignores ``reliable``.
UNRELIABLE_CONFIDENCE = 0.2
UNCALIBRATED_NOTE = "uncalibrated score (no calibration file loaded for this modality)"


class ScoreCalibration(Protocol):
    """What the services use of ``dd_eval.calibration.Calibration``."""

    version: str
    detectors: dict[str, dict[str, Any]]

    def apply(
        self, detector: str, condition: Mapping[str, object] | str | None, p: float
    ) -> float: ...

    def assess(
        self, detector: str, condition: Mapping[str, object] | str | None
    ) -> tuple[float, str | None]: ...

    def aggregation_for(self, detector: str) -> dict[str, float]: ...


class CalibrationInvalid(Exception):
    """The calibration file cannot be read or holds unusable parameters."""


def load_calibration(path: Path) -> ScoreCalibration:
    """Read a calibration file and check every map in it once, so a defect stops the
    service at start-up instead of failing requests later."""
    from dd_eval.calibration import Calibration  # numpy only; see libs/evaluation

    try:
        calibration = Calibration.load(path)
    except FileNotFoundError as exc:
        raise CalibrationInvalid(f"{path}: no such file") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrationInvalid(f"{path}: {_why(exc)}") from exc
    for modality, spec in calibration.detectors.items():
        if not isinstance(spec, dict):
            raise CalibrationInvalid(f"{path}: detectors.{modality} is not an object")
        conditions = spec.get("conditions", {})
        if not isinstance(conditions, dict):
            raise CalibrationInvalid(f"{path}: detectors.{modality}.conditions is not an object")
        for band in ["default", *conditions]:
            try:
                _check_band(calibration, modality, band)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise CalibrationInvalid(
                    f"{path}: detectors.{modality}, condition '{band}': {_why(exc)}"
                ) from exc
    return calibration


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return str(exc) or type(exc).__name__


def _check_band(calibration: ScoreCalibration, modality: str, band: str) -> None:
    for p in (0.0, 0.01, 0.5, 0.99, 1.0):
        q = calibration.apply(modality, band, p)
        if not (math.isfinite(q) and 0.0 <= q <= 1.0):
            raise ValueError(f"maps P = {p} to {q}, not a probability")
    factor, reason = calibration.assess(modality, band)
    if not (math.isfinite(factor) and 0.0 <= factor <= 1.0):
        raise ValueError(f"confidence_factor {factor} is not within 0..1")
    if reason is not None and not isinstance(reason, str):
        raise TypeError("reason is not a string")


def covers(calibration: ScoreCalibration | None, modality: str) -> bool:
    return calibration is not None and modality in calibration.detectors


def stamp(
    models: Iterable[ModelInfo], version: str | None, scoring: set[str] | None = None
) -> list[ModelInfo]:
    """The models with ``calibration`` set to ``version`` for the scoring ones (all when
    ``scoring`` is None) and null for the rest (face detectors score nothing)."""
    return [
        m.model_copy(
            update={"calibration": version if scoring is None or m.name in scoring else None}
        )
        for m in models
    ]


def fitted_models_problem(
    calibration: ScoreCalibration | None, modality: str, scoring: Iterable[ModelInfo]
) -> str | None:
    """Why the file cannot be applied to these models: a scoring model with real weights
    that the file was not fitted on. None when it fits (or the file lists no models)."""
    if not covers(calibration, modality):
        return None
    assert calibration is not None
    fitted = set(calibration.detectors[modality].get("models") or [])
    running = {m.name for m in scoring if m.weights.value == "real"}
    unknown = sorted(running - fitted)
    if fitted and unknown:
        return (
            f"calibration {calibration.version} was fitted for {modality} on "
            f"{', '.join(sorted(fitted))}, but this service scores with {', '.join(unknown)} "
            "as well: run `dfd calibrate` again with these detectors"
        )
    return None


def calibrate_result(
    result: ModalityResult, calibration: ScoreCalibration | None
) -> ModalityResult:
    """``result`` with its score calibrated in its measured condition (in place; returned
    for convenience). Only scored results (status ok) change; see the module docstring."""
    modality = str(result.modality)
    if result.status is not ModalityStatus.ok or result.fake_probability is None:
        return result
    evidence = result.evidence
    if calibration is None or not covers(calibration, modality):
        if evidence is not None:
            evidence.aggregation = _append(evidence.aggregation, UNCALIBRATED_NOTE)
        return result
    condition = dict(result.condition)
    raw = float(result.fake_probability)
    p = min(1.0, max(0.0, calibration.apply(modality, condition, raw)))
    factor, reason = calibration.assess(modality, condition)
    confidence = result.confidence * min(1.0, max(0.0, factor))
    result.fake_probability = p
    if reason:
        result.flags = [*result.flags, UNRELIABLE_FLAG]
        # A reason the service gave already (e.g. only small faces) stays first.
        result.reason = f"{result.reason} Also: {reason}" if result.reason else reason
        result.reliable = False
        confidence = min(confidence, UNRELIABLE_CONFIDENCE)
    result.confidence = round(confidence, 3)
    if evidence is not None:
        from dd_eval.conditions import band  # present: a calibration was loaded

        note = (
            f"calibrated by {calibration.version} for condition '{band(modality, condition)}': "
            f"raw score {raw:.3f} -> P(fake) {p:.3f}, confidence x {factor:.3g}"
        )
        evidence.aggregation = _append(evidence.aggregation, note)
    return result


def _append(text: str, note: str) -> str:
    return f"{text}; {note}" if text else note

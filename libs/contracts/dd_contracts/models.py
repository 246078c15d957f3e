"""What a result says about the model that produced it."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class WeightsState(StrEnum):
    """Whether a detector's numbers mean anything.

    ``untrained`` detectors run (their code path is real) but their scores are never used
    in a verdict; ``missing`` means the weight file was not found and nothing ran.
    """

    real = "real"
    untrained = "untrained"
    missing = "missing"


class ModelInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Stable detector name, e.g. 'mesonet-meso4-df'.")
    version: str = Field(description="Version of the weights or architecture.")
    sha256: str | None = Field(
        default=None, description="SHA-256 of the weight file; null when there is none."
    )
    weights: WeightsState
    framework: str = Field(description="'tensorflow', 'pytorch', ...")
    task: str = Field(description="What it scores, e.g. 'face-forgery', 'face-detection'.")
    output: str = Field(
        default="fake_probability",
        description="What its raw output means (documented per detector).",
    )
    calibration: str | None = Field(
        default=None,
        description="Version of the calibration file that maps this detector's score to a "
        "probability; null: the score is uncalibrated (a score, not a probability).",
    )
    accel: dict[str, Any] | None = Field(
        default=None,
        description="How the detector runs (dd_inference.accel): device, options applied, "
        "options that fell back and why, largest output difference against eager FP32.",
    )

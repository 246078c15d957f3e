"""Framework-neutral pieces every detector and pipeline uses. Never imports FastAPI."""

from dd_inference.detector import Detector, DetectorNotLoaded, WeightsMissing
from dd_inference.errors import MediaRejected
from dd_inference.pipeline import Analyzer, ProgressCallback
from dd_inference.registry import (
    REGISTRY,
    DetectorConfigError,
    DetectorContext,
    DetectorKind,
    DetectorRegistry,
    NoOptions,
    Plugged,
    register,
)
from dd_inference.staged import StagedAnalyzer, StageRun, counts
from dd_inference.weights import WeightFile, sha256_file

__all__ = [
    "REGISTRY",
    "Analyzer",
    "Detector",
    "DetectorConfigError",
    "DetectorContext",
    "DetectorKind",
    "DetectorNotLoaded",
    "DetectorRegistry",
    "MediaRejected",
    "NoOptions",
    "Plugged",
    "ProgressCallback",
    "StageRun",
    "StagedAnalyzer",
    "WeightFile",
    "WeightsMissing",
    "counts",
    "register",
    "sha256_file",
]

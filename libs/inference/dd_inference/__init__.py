"""Framework-neutral pieces every detector and pipeline uses. Never imports FastAPI."""

from dd_inference.detector import Detector, DetectorNotLoaded, WeightsMissing
from dd_inference.errors import MediaRejected
from dd_inference.pipeline import Analyzer, ProgressCallback
from dd_inference.weights import WeightFile, sha256_file

__all__ = [
    "Analyzer",
    "Detector",
    "DetectorNotLoaded",
    "MediaRejected",
    "ProgressCallback",
    "WeightFile",
    "WeightsMissing",
    "sha256_file",
]

"""The analyzer protocol: what a service's single dependency exposes.

An analyzer owns the detectors of one modality and turns a file into a ModalityResult.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from dd_contracts import ModalityResult, ModelInfo

ProgressCallback = Callable[[float], None]
"""Called with the fraction done, 0.0..1.0, as work proceeds."""


class Analyzer(Protocol):
    def load(self) -> None:
        """Load every detector. Raises dd_inference.WeightsMissing if weights are absent."""

    def warmup(self) -> None:
        """Run each detector once so the first request is as fast as the rest."""

    @property
    def models(self) -> list[ModelInfo]:
        """Every model this analyzer uses (weights real, untrained or missing)."""

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        """Judge one file. Raises dd_inference.errors.MediaRejected for bad input."""

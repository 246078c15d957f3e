"""Fake analyzers for HTTP-layer tests: real apps, no weights, deterministic scores."""

from __future__ import annotations

import time
from pathlib import Path

from dd_contracts import Modality, ModalityResult, ModalityStatus, ModelInfo, WeightsState
from dd_inference import MediaRejected, ProgressCallback, WeightsMissing


class FakeAnalyzer:
    """Scores a file by a byte count rule; 'REJECT' in the file is a corrupt-media error."""

    def __init__(
        self,
        modality: Modality,
        probability: float = 0.8,
        missing_weights: bool = False,
        delay_s: float = 0.0,
        status: ModalityStatus = ModalityStatus.ok,
    ) -> None:
        self.modality = modality
        self.probability = probability
        self.missing_weights = missing_weights
        self.delay_s = delay_s
        self.status = status
        self.loaded = False
        self.calls = 0

    def load(self) -> None:
        if self.missing_weights:
            raise WeightsMissing("weight file models/fake.h5 not found; run `make models`")
        self.loaded = True

    def warmup(self) -> None:
        pass

    @property
    def models(self) -> list[ModelInfo]:
        return [
            ModelInfo(
                name=f"fake-{self.modality.value}",
                version="1",
                sha256="0" * 64,
                weights=WeightsState.missing if self.missing_weights else WeightsState.real,
                framework="none",
                task="test",
            )
        ]

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        self.calls += 1
        data = path.read_bytes()
        if b"REJECT" in data:
            raise MediaRejected("corrupt_media", "The file is corrupt.", 422)
        steps = 4
        for step in range(steps):
            if progress:
                progress(step / steps)
            time.sleep(self.delay_s / steps)
        return ModalityResult(
            modality=self.modality,
            status=self.status,
            fake_probability=self.probability,
            confidence=1.0,
            models=self.models,
            latencies_ms={"total": 1.0},
        )

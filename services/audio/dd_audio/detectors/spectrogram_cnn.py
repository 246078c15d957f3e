"""The seed design: log-mel spectrogram -> small Keras CNN -> sigmoid P(fake).

It ships untrained (we have no licensed training set yet). Its code path is real: it
builds, runs, trains (``fit``), saves and loads. ``info.weights`` is ``untrained`` unless
a weight file exists at the configured path, and an untrained score never enters a verdict.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from dd_audio.features import log_mel
from dd_contracts import ModelInfo, WeightsState
from dd_inference import Detector, DetectorContext, DetectorKind, WeightFile, register

DEFAULT_WEIGHTS = "audio_cnn/spectrogram_cnn.weights.h5"  # Keras 3 wants .weights.h5
N_MELS = 64
N_FRAMES = 401  # 64,600 samples at a 160-sample hop


def features(window: np.ndarray) -> np.ndarray:
    """(N_FRAMES, N_MELS, 1) log-mel, standardised per window (level-independent)."""
    mel = log_mel(window, n_mels=N_MELS)[:N_FRAMES]
    if len(mel) < N_FRAMES:
        mel = np.pad(mel, ((0, N_FRAMES - len(mel)), (0, 0)), mode="edge")
    mel = (mel - mel.mean()) / (mel.std() + 1e-6)
    return mel[..., None].astype(np.float32)


def build_model() -> Any:
    """Conv2D/MaxPool x3 -> global average -> Dense -> sigmoid (about 25 k parameters)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(N_FRAMES, N_MELS, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.GlobalAveragePooling2D(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="spectrogram_cnn",
    )
    return model  # compiled only by fit(): an inference model carries no optimizer state


class SpectrogramCnnDetector(Detector[np.ndarray, float]):
    """Window (64,600 samples, 16 kHz) -> P(fake) from the seed CNN."""

    def __init__(self, models_dir: Path, weights_path: str = DEFAULT_WEIGHTS) -> None:
        super().__init__()
        self.weights = WeightFile(Path(models_dir), weights_path)
        self.model: Any = None

    @property
    def info(self) -> ModelInfo:
        trained = self.weights.exists()
        return ModelInfo(
            name="spectrogram-cnn",
            version="seed-1",
            sha256=self.weights.sha256(),
            weights=WeightsState.real if trained else WeightsState.untrained,
            framework="tensorflow",
            task="audio-anti-spoofing",
            output="fake_probability (sigmoid)",
        )

    def _load(self) -> None:
        self.model = build_model()
        if self.weights.exists():
            self.model.load_weights(str(self.weights.path))

    def warmup(self) -> None:
        self.predict_batch([np.zeros(N_FRAMES * 160, dtype=np.float32)])

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[float]:
        batch = np.stack([features(w) for w in inputs])
        return [float(p) for p in self.model.predict(batch, verbose=0)[:, 0]]

    def fit(self, windows: Sequence[np.ndarray], labels: Sequence[int], epochs: int = 5) -> None:
        """Train on windows with labels 1 = fake, 0 = real (for offline training runs)."""
        self.load()
        x = np.stack([features(w) for w in windows])
        y = np.asarray(labels, dtype=np.float32)
        if not self.model.compiled:
            self.model.compile(optimizer="adam", loss="binary_crossentropy")
        self.model.fit(x, y, epochs=epochs, batch_size=min(16, len(x)), verbose=0)

    def save(self, path: Path | None = None) -> Path:
        """Write the weights (default: the configured path, so the next load is 'real')."""
        target = path or self.weights.path
        target.parent.mkdir(parents=True, exist_ok=True)
        self.model.save_weights(str(target))
        return target


class SpectrogramCnnOptions(BaseModel):
    """AUDIO_DETECTOR_OPTIONS__SPECTROGRAM_CNN__WEIGHTS: the weight file, relative to the
    models folder (absent: the detector runs untrained and never counts)."""

    model_config = ConfigDict(extra="forbid")

    weights: str = DEFAULT_WEIGHTS


@register("spectrogram_cnn", kind=DetectorKind.audio_window, options=SpectrogramCnnOptions)
def _build_cnn(context: DetectorContext, options: SpectrogramCnnOptions) -> SpectrogramCnnDetector:
    """The seed design's log-mel CNN (ships untrained; reported, excluded from verdicts)."""
    return SpectrogramCnnDetector(context.models_dir, options.weights)

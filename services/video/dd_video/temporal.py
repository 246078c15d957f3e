"""Temporal model from the seed design: a per-frame CNN encoder and a GRU over one track.

Frame-level classifiers miss flicker and identity drift between frames; a recurrent
model over the crops of one face track can see them. No public weights exist for this
architecture, so it ships **untrained** (``weights: untrained``): it runs, its number is
reported for debugging, and it never enters the verdict. The load/save path is real: a
trained ``models/video_temporal/temporal_gru.pt`` (a ``torch.save`` of
``{'config': {...}, 'state_dict': {...}}``) is picked up and reported as real weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dd_contracts import ModelInfo, WeightsState
from dd_inference import Detector, DetectorContext, DetectorKind, NoOptions, WeightFile, register
from dd_inference.runtime import configure_torch

WEIGHTS_PATH = "video_temporal/temporal_gru.pt"


@dataclass(frozen=True)
class TemporalConfig:
    input_size: int = 112  # crops are resized to this square before the encoder
    channels: tuple[int, ...] = (16, 32, 64)
    feature_dim: int = 64
    hidden: int = 64
    max_steps: int = 32  # longer tracks are subsampled evenly to this many crops

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "channels": list(self.channels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemporalConfig:
        return cls(**{**data, "channels": tuple(int(c) for c in data["channels"])})


def build_model(config: TemporalConfig) -> Any:
    """CNN encoder (conv-BN-ReLU-pool per stage, global average pool, linear) → GRU →
    linear on the last hidden state → one logit (P(fake) after a sigmoid)."""
    import torch
    from torch import nn

    class TemporalGru(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            stages: list[nn.Module] = []
            prev = 3
            for ch in config.channels:
                stages += [
                    nn.Conv2d(prev, ch, 3, padding=1, bias=False),
                    nn.BatchNorm2d(ch),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                ]
                prev = ch
            self.encoder = nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.project = nn.Linear(prev, config.feature_dim)
            self.gru = nn.GRU(config.feature_dim, config.hidden, batch_first=True)
            self.head = nn.Linear(config.hidden, 1)

        def forward(self, clips: torch.Tensor) -> torch.Tensor:
            # clips: (batch, time, 3, H, W) float in [0, 1]
            b, t = clips.shape[:2]
            feats = self.project(self.encoder(clips.flatten(0, 1))).view(b, t, -1)
            _, last = self.gru(feats)
            return self.head(last[-1]).squeeze(-1)

    return TemporalGru()


class TemporalDetector(Detector[Sequence[np.ndarray], float]):
    """One track's face crops (RGB uint8, time order) in; P(fake) out."""

    def __init__(
        self,
        models_dir: Path,
        config: TemporalConfig | None = None,
        threads: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.weight_file = WeightFile(Path(models_dir), WEIGHTS_PATH)
        self.config = config or TemporalConfig()
        self.threads = threads
        self.seed = seed
        self._model: Any = None
        self._trained = False

    @property
    def info(self) -> ModelInfo:
        trained = self._trained if self.loaded else self.weight_file.exists()
        return ModelInfo(
            name="video-temporal-gru",
            version=self._version(),
            sha256=self.weight_file.sha256() if trained else None,
            weights=WeightsState.real if trained else WeightsState.untrained,
            framework="pytorch",
            task="video-temporal-forgery",
            output="fake_probability = sigmoid(logit); untrained: never used in a verdict",
        )

    def _version(self) -> str:
        digest = hashlib.sha256(repr(self.config.to_dict()).encode()).hexdigest()[:8]
        return f"cnn-gru-{digest}"

    def _load(self) -> None:
        configure_torch(self.threads)
        import torch

        if self.weight_file.exists():
            payload = torch.load(self.weight_file.path, map_location="cpu", weights_only=True)
            self.config = TemporalConfig.from_dict(payload["config"])
            model = build_model(self.config)
            model.load_state_dict(payload["state_dict"], strict=True)
            self._trained = True
        else:
            # Seeded so that an untrained model's debug numbers are reproducible.
            torch.manual_seed(self.seed)
            model = build_model(self.config)
            self._trained = False
        model.eval()
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    def save(self, path: Path) -> None:
        """Write config and weights in the format _load() reads."""
        import torch

        if self._model is None:
            raise RuntimeError("nothing to save: call load() first")
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self._model.state_dict().items()}
        torch.save({"config": self.config.to_dict(), "state_dict": state}, path)

    def _clip(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not crops:
            raise ValueError("a track needs at least one crop")
        steps = self.config.max_steps
        if len(crops) > steps:
            picks = np.linspace(0, len(crops) - 1, steps).round().astype(int)
            crops = [crops[i] for i in picks]
        size = self.config.input_size
        frames = [
            cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)
            if c.shape[:2] != (size, size)
            else c
            for c in crops
        ]
        return np.stack(frames).astype(np.float32).transpose(0, 3, 1, 2) / 255.0

    def _predict(self, inputs: Sequence[Sequence[np.ndarray]]) -> list[float]:
        import torch

        out = []
        with torch.inference_mode():
            for crops in inputs:  # tracks differ in length: one forward each
                clip = torch.from_numpy(self._clip(crops)).unsqueeze(0)
                out.append(float(torch.sigmoid(self._model(clip))[0]))
        return out


@register("temporal_gru", kind=DetectorKind.video_track, options=NoOptions)
def _build_temporal(context: DetectorContext, _: NoOptions) -> TemporalDetector:
    """The seed CNN+GRU over one face track (ships untrained; reported, never scored)."""
    return TemporalDetector(context.models_dir, threads=context.threads)

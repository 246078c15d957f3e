"""AASIST as a Detector: 64,600-sample 16 kHz windows in, P(fake) per window out."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from dd_audio.detectors.aasist_net import SEGMENT_SAMPLES, AasistConfig, AasistNet, ResidualBlock
from dd_audio.detectors.probes import probe_windows
from dd_contracts import ModelInfo, WeightsState
from dd_inference import Detector, DetectorContext, DetectorKind, WeightFile, register
from dd_inference.accel import AccelReport, accelerate

VARIANTS = {"AASIST": "aasist", "AASIST-L": "aasist-l"}
UPSTREAM_COMMIT = "a04c9863f63d44471dde8a6abcb3b082b07cd1d1"
# Committed int8 activation ranges, one file per variant (scripts/aasist_int8_ranges.py).
INT8_RANGES_DIR = Path(__file__).resolve().parent / "int8"


def int8_ranges_file(variant: str) -> Path | None:
    path = INT8_RANGES_DIR / f"{variant}.json"
    return path if path.is_file() else None


@dataclass(frozen=True)
class AasistOptions:
    """Inference-only speed-ups; none changes the maths beyond float rounding.

    fuse_bn: fold each block's bn2 into the conv1 before it (eval-mode BN is affine).
    channels_last: NHWC memory format for the 2-D encoder (oneDNN's preferred layout).
    """

    fuse_bn: bool = True
    channels_last: bool = False
    # dd_inference.accel (ONNX Runtime by default: 3x per window here, outputs within
    # 1e-5 of eager; DD_ACCEL_* settings override). The raw network stays in ``net``.
    accelerate: bool = True
    # The int8 option's activation ranges; None: the committed file for the variant.
    int8_ranges: Path | None = None


def fuse_for_inference(net: AasistNet) -> AasistNet:
    """A copy of ``net`` with bn2 folded into conv1 in every residual block."""
    fused = copy.deepcopy(net).eval()
    for module in fused.modules():
        if isinstance(module, ResidualBlock):
            module.conv1 = fuse_conv_bn_eval(module.conv1, module.bn2)
            module.bn2 = nn.Identity()  # type: ignore[assignment]
    return fused


class AasistDetector(Detector[np.ndarray, float]):
    """The authors' pretrained AASIST / AASIST-L (ASVspoof 2019 LA).

    Output: softmax over the two logits; index 1 is bona fide, so P(fake) = softmax[0].
    """

    def __init__(
        self,
        models_dir: Path,
        variant: str = "AASIST",
        options: AasistOptions | None = None,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown AASIST variant {variant!r}; use one of {list(VARIANTS)}")
        self.variant = variant
        self.options = options or AasistOptions()
        # Located by their names in models/manifest.json ('aasist', 'aasist-config', ...).
        name = VARIANTS[variant]
        self.weights = WeightFile.named(Path(models_dir), name, f"aasist/{variant}.pth")
        self.config_file = WeightFile.named(
            Path(models_dir), f"{name}-config", f"aasist/{variant}.conf"
        )
        self._net: AasistNet | None = None
        self._runner: torch.nn.Module | None = None
        self._accel: AccelReport | None = None

    @property
    def info(self) -> ModelInfo:
        state = WeightsState.real if self.weights.exists() else WeightsState.missing
        return ModelInfo(
            name=VARIANTS[self.variant],
            version=f"clovaai/aasist@{UPSTREAM_COMMIT[:7]}",
            sha256=self.weights.sha256(),
            weights=state,
            framework="pytorch",
            task="audio-anti-spoofing",
            output="fake_probability (softmax of 2 logits; index 0 = spoof, 1 = bona fide)",
            accel=self._accel.as_dict() if self._accel else None,
        )

    def build_strict(self) -> AasistNet:
        """The network with the checkpoint loaded strictly (every tensor, no extras)."""
        weights_path = self.weights.require()
        conf = json.loads(self.config_file.require().read_text())
        net = AasistNet(AasistConfig.from_dict(conf["model_config"]))
        state = torch.load(weights_path, weights_only=True, map_location="cpu")
        net.load_state_dict(state, strict=True)
        return net.eval()

    def _load(self) -> None:
        net = self.build_strict()  # WeightFile.require() raises WeightsMissing
        if self.options.fuse_bn:
            net = fuse_for_inference(net)
        if self.options.channels_last:
            net = net.to(memory_format=torch.channels_last)
        net.requires_grad_(False)
        self._net = net
        if self.options.accelerate:
            # Checked on silence and on speech-like probes: int8 can only go wrong on sound.
            self._runner, self._accel = accelerate(
                net,
                torch.zeros(1, SEGMENT_SAMPLES),
                name="aasist",
                to_probability=lambda t: t.softmax(-1),
                check_inputs=[torch.from_numpy(probe_windows(SEGMENT_SAMPLES))],
                int8_ranges=self.options.int8_ranges or int8_ranges_file(self.variant),
                weights_sha256=self.weights.sha256(),
            )
        else:
            self._runner = net

    @property
    def net(self) -> AasistNet:
        """The loaded inference network (after load())."""
        if self._net is None:
            raise RuntimeError("call load() first")
        return self._net

    def warmup(self) -> None:
        self.predict_batch([np.zeros(SEGMENT_SAMPLES, dtype=np.float32)])

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Raw (B, 2) logits for a (B, 64600) float32 batch."""
        with torch.inference_mode():
            runner = self._runner if self._runner is not None else self.net
            out = runner(torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)))
        return out.numpy()

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[float]:
        for x in inputs:
            if x.shape != (SEGMENT_SAMPLES,):
                raise ValueError(f"AASIST takes {SEGMENT_SAMPLES}-sample windows, got {x.shape}")
        logits = torch.from_numpy(self.logits(np.stack(inputs)))
        return [float(p) for p in torch.softmax(logits, dim=1)[:, 0]]


class AasistRegistryOptions(BaseModel):
    """AUDIO_DETECTOR_OPTIONS__AASIST__<OPTION>."""

    model_config = ConfigDict(extra="forbid")

    variant: Literal["AASIST", "AASIST-L"] = "AASIST"
    fuse_bn: bool = True
    # NHWC measured faster on 2 cores (bench/audio.py).
    channels_last: bool = True
    # Another int8 activation-ranges file (scripts/aasist_int8_ranges.py); None: the
    # committed one. DD_ACCEL_INT8=false turns int8 off.
    int8_ranges: Path | None = None


@register("aasist", kind=DetectorKind.audio_window, options=AasistRegistryOptions)
def _build_aasist(context: DetectorContext, options: AasistRegistryOptions) -> AasistDetector:
    """AASIST anti-spoofing (Jung et al. 2022), the authors' ASVspoof 2019 LA weights."""
    return AasistDetector(
        context.models_dir,
        options.variant,
        AasistOptions(
            fuse_bn=options.fuse_bn,
            channels_last=options.channels_last,
            int8_ranges=options.int8_ranges,
        ),
    )

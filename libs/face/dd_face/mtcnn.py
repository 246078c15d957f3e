"""Face detection with MTCNN (Zhang et al. 2016) as packaged by facenet-pytorch.

facenet-pytorch bundles the P/R/O-Net weights in its wheel, so nothing is downloaded. We
build the three nets ourselves and load those files with ``torch.load(weights_only=True)``
instead of letting the package do it, then call its ``detect_face`` pipeline directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dd_contracts import ModelInfo, WeightsState
from dd_face.types import FaceBox
from dd_inference import Detector, DetectorContext, DetectorKind, register
from dd_inference.accel import AccelReport, accelerate
from dd_inference.runtime import configure_torch

NET_FILES = ("pnet.pt", "rnet.pt", "onet.pt")
# Smallest face, in pixels of the (downscaled) detection frame, MTCNN is asked to find.
# Its P-Net works on 12 px windows; below ~20 px recall drops and the crop would be too
# blurry for MesoNet anyway, and every step lower adds pyramid levels (time).
DETECT_MIN_PX = 20.0
# MTCNN's per-stage thresholds (P-, R-, O-Net), the facenet-pytorch defaults.
STAGE_THRESHOLDS = (0.6, 0.7, 0.7)
PYRAMID_FACTOR = 0.709
# O-Net probability a box must reach to count as a face. Measured on the evaluation corpus
# and the shared media: every real face, down to 23 px in a 144p video, scored >= 0.997;
# the "faces" MTCNN found in faceless photos (a rocket launch re-saved as JPEG) scored 0.73
# and 0.92 and were then judged by MesoNet as if they were faces (0.82: a false alarm).
# Missing a hard face costs a "not assessed"; keeping a false one costs a false verdict.
MIN_FACE_CONFIDENCE = 0.97
# Example inputs for dd_inference.accel's output check, and which input dims vary: P-Net
# sees every pyramid level (batch, height and width change), R-/O-Net see batches of
# fixed-size 24/48 px candidate crops (only the batch changes).
_ACCEL_EXAMPLES = {"pnet": (2, 3, 72, 96), "rnet": (4, 3, 24, 24), "onet": (4, 3, 48, 48)}
_ACCEL_DYNAMIC = {"pnet": (0, 2, 3), "rnet": (0,), "onet": (0,)}


def bundled_weights_dir() -> Path:
    return Path(str(resources.files("facenet_pytorch") / "data"))


def detection_scale(width: int, height: int, max_side: int | None) -> float:
    """Factor (<= 1) that brings the frame's longer side down to ``max_side``."""
    longer = max(width, height)
    if max_side is None or longer <= max_side:
        return 1.0
    return max_side / longer


def map_box(raw: Sequence[float] | np.ndarray, scale: float, width: int, height: int) -> FaceBox:
    """A box found on the downscaled frame -> full-resolution pixels, clipped to the frame
    (MTCNN's regression can overshoot the border; callers draw and crop from it)."""
    x1, y1, x2, y2, conf = (float(v) for v in raw[:5])
    inv = 1.0 / scale
    return FaceBox(
        x1=min(max(x1 * inv, 0.0), float(width)),
        y1=min(max(y1 * inv, 0.0), float(height)),
        x2=min(max(x2 * inv, 0.0), float(width)),
        y2=min(max(y2 * inv, 0.0), float(height)),
        confidence=min(max(conf, 0.0), 1.0),
    )


class MtcnnFaceDetector(Detector[np.ndarray, list[FaceBox]]):
    """RGB uint8 HxWx3 frames in; per frame, the faces found (most confident first).

    ``max_side``: frames whose longer side exceeds it are downscaled for detection and the
    boxes mapped back. MTCNN's cost grows with the pixel count (its image pyramid), so a
    1080p video frame detected at 640 px is ~8x cheaper; faces large enough to judge
    (MesoNet wants >= ~64 px) survive that easily. None disables downscaling.
    ``min_face_px``: faces smaller than this (shorter box side, full-resolution pixels)
    are dropped. ``min_confidence``: O-Net probability a face must reach.
    ``threads``: torch intra-op threads. 1 by default: MTCNN runs many small convolutions,
    and on a 2-core host shared with TensorFlow and other workers two OpenMP threads were
    2-8x slower than one (spin-waiting on a busy core).
    ``accelerate``: run the three nets through dd_inference.accel (channels-last by
    default: 1.39x with identical boxes on the reference machine; ``DD_ACCEL_*`` override);
    what it did is reported in ``info.accel``.
    """

    def __init__(
        self,
        min_confidence: float = MIN_FACE_CONFIDENCE,
        min_face_px: int = 32,
        max_side: int | None = 640,
        threads: int = 1,
        accelerate: bool = True,
    ) -> None:
        super().__init__()
        self.accelerate = accelerate
        self._accel: dict[str, AccelReport] = {}
        self.min_confidence = min_confidence
        self.min_face_px = min_face_px
        self.max_side = max_side
        self.threads = threads
        self._nets: tuple[Any, Any, Any] | None = None
        self._sha256: str | None = None

    @property
    def info(self) -> ModelInfo:
        if self._sha256 is None:
            self._sha256 = self._weights_sha256()
        return ModelInfo(
            name="mtcnn",
            version="facenet-pytorch-2.6",
            sha256=self._sha256,
            weights=WeightsState.real if self._sha256 else WeightsState.missing,
            framework="pytorch",
            task="face-detection",
            output="face boxes with detection probability",
            accel=_accel_summary(self._accel) if self._accel else None,
        )

    @staticmethod
    def _weights_sha256() -> str | None:
        """One SHA-256 over pnet.pt, rnet.pt, onet.pt, in that order."""
        try:
            folder = bundled_weights_dir()
        except ModuleNotFoundError as exc:
            # facenet-pytorch absent: no weights. Anything else it imports being absent
            # (tqdm, say) is a broken install and must say so, not read as "missing".
            if exc.name != "facenet_pytorch":
                raise
            return None
        digest = hashlib.sha256()
        for name in NET_FILES:
            path = folder / name
            if not path.is_file():
                return None
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def _load(self) -> None:
        configure_torch(self.threads)
        import torch
        from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

        from dd_inference import WeightsMissing

        folder = bundled_weights_dir()
        nets = []
        for cls, name in zip((PNet, RNet, ONet), NET_FILES, strict=True):
            path = folder / name
            if not path.is_file():
                raise WeightsMissing(f"MTCNN weights {path} not found (reinstall facenet-pytorch)")
            net = cls(pretrained=False)
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            net.eval()
            net.requires_grad_(False)
            nets.append(net)
        if self.accelerate:
            nets = [
                self._accelerated(key, net) for key, net in zip(_ACCEL_EXAMPLES, nets, strict=True)
            ]
        self._nets = (nets[0], nets[1], nets[2])

    def _accelerated(self, key: str, net: Any) -> Any:
        import torch

        # A fixed-seed random input: an all-zero one would hide layout or rounding changes.
        example = torch.rand(_ACCEL_EXAMPLES[key], generator=torch.Generator().manual_seed(0))
        runner, report = accelerate(net, example, name="mtcnn", dynamic_dims=_ACCEL_DYNAMIC[key])
        self._accel[key] = report
        return runner

    def warmup(self) -> None:
        self.load()
        side = self.max_side or 640
        frame = np.full((side, side, 3), 128, dtype=np.uint8)
        cv2.circle(frame, (side // 2, side // 2), side // 6, (200, 160, 140), -1)
        self.predict_batch([frame])

    def _detect_group(
        self, frames: Sequence[np.ndarray], max_side: int | None
    ) -> list[list[FaceBox]]:
        """Frames of one size: one MTCNN call for all of them."""
        import torch
        from facenet_pytorch.models.utils.detect_face import detect_face

        assert self._nets is not None
        height, width = frames[0].shape[:2]
        scale = detection_scale(width, height, max_side)
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
        else:
            small = list(frames)
        min_px = max(DETECT_MIN_PX, self.min_face_px * scale)
        if min(small[0].shape[:2]) < min_px:
            # No face of the minimum size fits; facenet-pytorch's pyramid would be empty
            # (and it fails on an empty pyramid instead of answering "no face").
            return [[] for _ in frames]
        batch = np.stack([np.ascontiguousarray(f, dtype=np.uint8) for f in small])
        pnet, rnet, onet = self._nets
        with torch.inference_mode():
            raw_boxes, _points = detect_face(
                batch, min_px, pnet, rnet, onet, list(STAGE_THRESHOLDS), PYRAMID_FACTOR, "cpu"
            )
        results: list[list[FaceBox]] = []
        for raw in raw_boxes:
            faces = [map_box(row, scale, width, height) for row in np.asarray(raw).reshape(-1, 5)]
            faces = [
                f
                for f in faces
                if f.confidence >= self.min_confidence
                and min(f.width, f.height) >= self.min_face_px
            ]
            faces.sort(key=lambda f: f.confidence, reverse=True)
            results.append(faces)
        return results

    def detect(self, frames: Sequence[np.ndarray], max_side: int | None) -> list[list[FaceBox]]:
        """predict_batch() with the detection side chosen per call (the video service
        picks it from each video's resolution; the loaded nets are shared)."""
        if not self.loaded:
            self.load()
        return self._detect(frames, max_side) if frames else []

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[list[FaceBox]]:
        return self._detect(inputs, self.max_side)

    def _detect(self, inputs: Sequence[np.ndarray], max_side: int | None) -> list[list[FaceBox]]:
        for frame in inputs:
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"expected RGB uint8 HxWx3, got {frame.dtype} {frame.shape}")
        # MTCNN batches only equal-size images: group by shape, keep the input order.
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(inputs):
            groups.setdefault(frame.shape, []).append(i)
        out: list[list[FaceBox]] = [[] for _ in inputs]
        for indices in groups.values():
            for i, faces in zip(
                indices, self._detect_group([inputs[i] for i in indices], max_side), strict=True
            ):
                out[i] = faces
        return out


def _accel_summary(reports: dict[str, AccelReport]) -> dict[str, object]:
    """One ``accel`` entry for the three nets: what applied to all of them, the largest
    output change, and each net's own report."""
    first = next(iter(reports.values()))
    applied = [o for o in first.applied if all(o in r.applied for r in reports.values())]
    return {
        "device": first.device,
        "applied": applied,
        "fallbacks": {
            f"{key}.{option}": why
            for key, report in reports.items()
            for option, why in report.fallbacks.items()
        },
        "max_abs_diff": max(r.max_abs_diff for r in reports.values()),
        "requested": first.requested,
        "nets": {key: report.as_dict() for key, report in reports.items()},
    }


class MtcnnOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(default=MIN_FACE_CONFIDENCE, ge=0.0, le=1.0)
    # Faces with a shorter side below this (full-resolution pixels) are dropped.
    min_face_px: int = Field(default=32, ge=1)
    # Longer side frames are downscaled to for detection; None: never downscale.
    max_side: int | None = Field(default=640, ge=32)
    # dd_inference.accel on P/R/O-Net (channels-last by default; DD_ACCEL_* override).
    accelerate: bool = True


@register("mtcnn", kind=DetectorKind.face_detector, options=MtcnnOptions)
def _build_mtcnn(context: DetectorContext, options: MtcnnOptions) -> MtcnnFaceDetector:
    """MTCNN face detector (facenet-pytorch's bundled P/R/O-Net weights)."""
    return MtcnnFaceDetector(**options.model_dump(), threads=context.threads)

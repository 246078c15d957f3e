"""The image service's analyzer: decode -> find faces -> crop -> MesoNet ensemble.

Plain Python (no FastAPI): the HTTP layer wraps one ImageAnalyzer per process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dd_contracts import (
    Box,
    FaceEvidence,
    ImageEvidence,
    Modality,
    ModalityResult,
    ModalityStatus,
    ModelInfo,
    ModelScore,
)
from dd_face import (
    DEFAULT_MEMBERS,
    FaceForgeryEnsemble,
    FaceScore,
    MtcnnFaceDetector,
    crop_face,
    whole_frame_crop,
)
from dd_image.decode import decode_image
from dd_inference import ProgressCallback

# How much an image score should count in fusion. With a face, MesoNet judges what it
# was trained on (face crops): full weight. Without one it judges the centre of the whole
# frame, which is outside its training distribution: the number is kept (a face-less
# manipulated image is still worth a look) but counts half.
CONFIDENCE_WITH_FACE = 1.0
CONFIDENCE_NO_FACE = 0.5
AGGREGATION_FACES = "max over faces: the image is as suspicious as its most suspicious face"
AGGREGATION_NO_FACE = "no face found: the centre square of the whole frame was judged"


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 40_000_000  # ~ a 7700x5200 photo; far above any phone camera


@dataclass(frozen=True)
class FaceOptions:
    min_confidence: float = 0.9
    min_face_px: int = 32
    detect_max_side: int | None = 1024  # stills: afford more detail than video (640)
    crop_margin: float = 0.2
    max_faces: int = 16  # bounds the classifier batch on crowd photos (largest kept)
    members: Sequence[str] = DEFAULT_MEMBERS


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 2)


def _model_scores(score: FaceScore) -> list[ModelScore]:
    return [ModelScore(model=name, fake_probability=p) for name, p in score.per_model.items()]


class ImageAnalyzer:
    """dd_inference.Analyzer for still images."""

    def __init__(
        self,
        models_dir: Path,
        threads: int = 1,
        limits: ImageLimits | None = None,
        face: FaceOptions | None = None,
    ) -> None:
        self.limits = limits or ImageLimits()
        self.face = face or FaceOptions()
        self.detector = MtcnnFaceDetector(
            min_confidence=self.face.min_confidence,
            min_face_px=self.face.min_face_px,
            max_side=self.face.detect_max_side,
            threads=threads,
        )
        self.ensemble = FaceForgeryEnsemble.mesonet(
            Path(models_dir), names=self.face.members, threads=threads
        )

    def load(self) -> None:
        # torch (MTCNN) before tensorflow (MesoNet): see dd_face.mesonet on import order.
        self.detector.load()
        self.ensemble.load()  # raises WeightsMissing if a MesoNet .h5 is absent

    def warmup(self) -> None:
        self.load()
        self.detector.warmup()
        self.ensemble.warmup()

    @property
    def models(self) -> list[ModelInfo]:
        return [self.detector.info, *self.ensemble.members]

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        def report(fraction: float) -> None:
            if progress is not None:
                progress(fraction)

        self.load()
        t_total = time.perf_counter()
        latencies: dict[str, float] = {}

        t = time.perf_counter()
        image = decode_image(Path(path), self.limits.max_pixels, self.limits.max_bytes)
        latencies["decode"] = _ms(t)
        report(0.2)

        t = time.perf_counter()
        boxes = self.detector.predict_batch([image.rgb])[0]
        # Largest faces first: if a crowd exceeds max_faces, the tiny ones go.
        boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
        boxes = boxes[: self.face.max_faces]
        latencies["detect"] = _ms(t)
        report(0.6)

        t = time.perf_counter()
        if boxes:
            crops = [crop_face(image.rgb, b, margin=self.face.crop_margin) for b in boxes]
        else:
            crops = [whole_frame_crop(image.rgb)]
        scores = self.ensemble.predict_batch(crops)  # every crop in one batch
        latencies["classify"] = _ms(t)
        report(0.95)

        faces = [
            FaceEvidence(
                box=Box(x1=b.x1, y1=b.y1, x2=b.x2, y2=b.y2),
                detection_confidence=b.confidence,
                fake_probability=s.fake_probability,
                scores=_model_scores(s),
            )
            for b, s in zip(boxes, scores if boxes else [], strict=True)
        ]
        no_face = not faces
        fake_probability = (
            scores[0].fake_probability if no_face else max(f.fake_probability for f in faces)
        )
        evidence = ImageEvidence(
            width=image.width,
            height=image.height,
            format=image.format,
            faces=faces,
            no_face=no_face,
            whole_frame_scores=_model_scores(scores[0]) if no_face else None,
            aggregation=AGGREGATION_NO_FACE if no_face else AGGREGATION_FACES,
        )
        latencies["total"] = _ms(t_total)
        report(1.0)
        return ModalityResult(
            modality=Modality.image,
            status=ModalityStatus.ok,
            fake_probability=fake_probability,
            confidence=CONFIDENCE_NO_FACE if no_face else CONFIDENCE_WITH_FACE,
            flags=["no_face"] if no_face else [],
            models=[*self.models, self.ensemble.info],
            latencies_ms=latencies,
            evidence=evidence,
        )

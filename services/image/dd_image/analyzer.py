"""The image service's analyzer: decode -> find faces and crop -> classify -> aggregate.

Assembled from the detector registry (see ``build_analyzer``): a face detector, the face
classifiers (the MesoNet ensemble by default) and, optionally, whole-image classifiers.
Plain Python (no FastAPI): the HTTP layer wraps one ImageAnalyzer per process.

Faceless pictures: the face classifiers were trained on face crops, so their output on a
whole landscape means nothing. Without a face, and without a whole-image classifier
configured, the picture is reported as not assessed (``no_signal``, flag ``no_face``),
never as a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

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
from dd_face import FaceBox, FaceScore, classify_faces, crop_face
from dd_image.condition import jpeg_quality
from dd_image.decode import DecodedImage, decode_image, warm_workers
from dd_image.settings import ImageSettings
from dd_inference import DetectorKind, Plugged, StagedAnalyzer, StageRun, counts

# How much an image score should count in fusion: a face of a size MesoNet was trained
# on counts fully. Faces under ``small_face_px`` are shown but do not decide: on the
# evaluation corpus MesoNet called 5 of 17 real small faces fake (29 %; eval/README.md),
# against 1 of 40 at full size. A picture with only small faces gets their score with
# ``reliable: false`` and this confidence, so fusion labels it uncertain.
CONFIDENCE_WITH_FACE = 1.0
CONFIDENCE_SMALL_FACES_ONLY = 0.2
AGGREGATION_FACES = "max over faces: the image is as suspicious as its most suspicious face"
AGGREGATION_LARGE_FACES = (
    "max over faces of at least {px} px: the image is as suspicious as its most suspicious "
    "face of a size the classifiers can judge (smaller faces are shown, not counted)"
)
AGGREGATION_WHOLE = "whole-image classifiers judged the picture"
AGGREGATION_NOT_ASSESSED = "no face found: the face classifiers do not apply; not assessed"
NO_FACE_REASON = "No face was found; the face detectors do not apply to this picture."


@dataclass(frozen=True)
class ImagePipeline:
    """What the image pipeline does with the detectors' outputs (not detector options)."""

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 40_000_000
    crop_margin: float = 0.2
    max_faces: int = 16
    small_face_px: int = 64

    @classmethod
    def from_settings(cls, settings: ImageSettings) -> ImagePipeline:
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_pixels,
            crop_margin=settings.crop_margin,
            max_faces=settings.max_faces,
            small_face_px=settings.small_face_px,
        )


@dataclass
class Decoded:
    image: DecodedImage
    jpeg_quality: float | None


@dataclass
class Prepared:
    rgb: np.ndarray  # the picture itself (a reference), for whole-image classifiers
    boxes: list[FaceBox] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)


@dataclass
class Scored:
    faces: list[FaceScore]
    whole: list[tuple[ModelInfo, float]]


def _model_scores(score: FaceScore) -> list[ModelScore]:
    return [ModelScore(model=name, fake_probability=p) for name, p in score.per_model.items()]


def _side(box: FaceBox) -> float:
    return min(box.width, box.height)


class ImageAnalyzer(StagedAnalyzer[Decoded, Prepared, Scored]):
    """dd_inference.Analyzer for still images."""

    modality = Modality.image
    accepts = frozenset(
        {DetectorKind.face_detector, DetectorKind.face_classifier, DetectorKind.image_classifier}
    )
    stage_labels: ClassVar[Mapping[str, str]] = {"preprocess": "detect", "forward": "classify"}
    progress_shares: ClassVar[Mapping[str, float]] = {
        "decode": 0.2,
        "preprocess": 0.4,
        "forward": 0.35,
        "aggregate": 0.05,
    }

    def __init__(self, detectors: Sequence[Plugged], pipeline: ImagePipeline | None = None):
        super().__init__(detectors)
        self.pipeline = pipeline or ImagePipeline()
        finders = self.of_kind(DetectorKind.face_detector)
        self.classifiers = [p.detector for p in self.of_kind(DetectorKind.face_classifier)]
        self.whole_image = [p.detector for p in self.of_kind(DetectorKind.image_classifier)]
        if len(finders) > 1:
            raise ValueError(f"one face detector at most, got {[p.name for p in finders]}")
        if self.classifiers and not finders:
            raise ValueError("face classifiers need a face detector (e.g. 'mtcnn')")
        if not self.classifiers and not self.whole_image:
            raise ValueError("no face or whole-image classifier is enabled")
        self.finder: Any = finders[0].detector if finders and self.classifiers else None

    # -- stages --------------------------------------------------------------------------

    def warmup(self) -> None:
        super().warmup()
        # Start the bounded decode workers now, not on the first upload (~1 s).
        warm_workers()

    def decode(self, path: Path, run: StageRun) -> Decoded:
        image = decode_image(path, self.pipeline.max_pixels, self.pipeline.max_bytes)
        quality = jpeg_quality(path) if image.format == "jpeg" else None
        return Decoded(image, quality)

    def preprocess(self, decoded: Decoded, run: StageRun) -> Prepared:
        rgb = decoded.image.rgb
        if self.finder is None:
            return Prepared(rgb)
        boxes = self.finder.predict_batch([rgb])[0]
        # Largest faces first: if a crowd exceeds max_faces, the tiny ones go.
        boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
        boxes = boxes[: self.pipeline.max_faces]
        crops = [crop_face(rgb, b, margin=self.pipeline.crop_margin) for b in boxes]
        return Prepared(rgb, boxes, crops)

    def forward(self, prepared: Prepared, run: StageRun) -> Scored:
        faces = classify_faces(self.classifiers, prepared.crops)  # every crop in one batch
        whole: list[tuple[ModelInfo, float]] = []
        for detector in self.whole_image:
            whole.append((detector.info, float(detector.predict_batch([prepared.rgb])[0])))
        return Scored(faces, whole)

    def aggregate(
        self, decoded: Decoded, prepared: Prepared, scored: Scored, run: StageRun
    ) -> ModalityResult:
        image = decoded.image
        faces = [
            FaceEvidence(
                box=Box(x1=b.x1, y1=b.y1, x2=b.x2, y2=b.y2),
                detection_confidence=b.confidence,
                fake_probability=s.fake_probability,
                scores=_model_scores(s),
            )
            for b, s in zip(prepared.boxes, scored.faces, strict=True)
        ]
        condition: dict[str, float | str] = {
            "width": float(image.width),
            "height": float(image.height),
            "format": image.format,
        }
        if prepared.boxes:
            condition["face_px"] = round(max(_side(b) for b in prepared.boxes), 1)
        if decoded.jpeg_quality is not None:
            condition["jpeg_quality"] = decoded.jpeg_quality
        no_face = not faces
        evidence = ImageEvidence(
            width=image.width,
            height=image.height,
            format=image.format,
            faces=faces,
            no_face=no_face,
            whole_frame_scores=[
                ModelScore(model=info.name, fake_probability=p) for info, p in scored.whole
            ]
            or None,
            aggregation=AGGREGATION_FACES,
        )
        base = {"modality": Modality.image, "evidence": evidence, "condition": condition}
        flags = ["no_face"] if no_face else []

        face_counts = bool(faces) and any(counts(c.info) for c in self.classifiers)
        min_px = self.pipeline.small_face_px
        large = [f for f, b in zip(faces, prepared.boxes, strict=True) if _side(b) >= min_px]
        if len(large) < len(faces):
            flags.append("small_face")
        whole_counted = [p for info, p in scored.whole if counts(info)]
        # Only small faces: a whole-image classifier decides if one ran; otherwise their
        # score is given, but not as a reliable finding (see above).
        judged = large or ([] if whole_counted else faces)
        candidates = ([f.fake_probability for f in judged] if face_counts else []) + whole_counted
        if not faces and not scored.whole:
            evidence.aggregation = AGGREGATION_NOT_ASSESSED
            return ModalityResult(
                status=ModalityStatus.no_signal, flags=flags, reason=NO_FACE_REASON, **base
            )
        if no_face:
            evidence.aggregation = AGGREGATION_WHOLE
        elif large and len(large) < len(faces):
            evidence.aggregation = AGGREGATION_LARGE_FACES.format(px=min_px)
        if faces and scored.whole:
            evidence.aggregation = f"{evidence.aggregation}; {AGGREGATION_WHOLE} (max of both)"
        if not candidates:  # only untrained detectors ran: shown, never used in a verdict
            shown = [f.fake_probability for f in faces] + [p for _, p in scored.whole]
            return ModalityResult(
                status=ModalityStatus.untrained,
                fake_probability=max(shown),
                flags=flags,
                reason="Only detectors without trained weights ran on this picture.",
                **base,
            )
        if face_counts and not large and not whole_counted:
            return ModalityResult(
                status=ModalityStatus.ok,
                fake_probability=max(candidates),
                confidence=CONFIDENCE_SMALL_FACES_ONLY,
                flags=flags,
                reliable=False,
                reason=small_faces_reason(faces, prepared.boxes, min_px),
                **base,
            )
        return ModalityResult(
            status=ModalityStatus.ok,
            fake_probability=max(candidates),
            confidence=CONFIDENCE_WITH_FACE,
            flags=flags,
            **base,
        )


def small_faces_reason(faces: Sequence[FaceEvidence], boxes: Sequence[FaceBox], px: int) -> str:
    largest = max(_side(b) for b in boxes)
    found = "1 face was" if len(faces) == 1 else f"{len(faces)} faces were"
    return (
        f"{found} found, all smaller than {px} px (largest {largest:.0f} px): the face "
        "classifiers are unreliable at that size, so the score is shown but is not a finding."
    )


def build_analyzer(settings: ImageSettings) -> ImageAnalyzer:
    """The image analyzer the settings describe, its detectors built by the registry."""
    import dd_image.detectors  # noqa: F401  (registers the detectors this service ships)

    return ImageAnalyzer(
        settings.build_detectors(ImageAnalyzer.accepts), ImagePipeline.from_settings(settings)
    )

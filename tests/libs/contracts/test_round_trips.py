"""Every contract survives JSON and back unchanged, and rejects what it must."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from dd_contracts import (
    Analysis,
    AnalysisStatus,
    AudioEvidence,
    AudioWindow,
    Box,
    ErrorBody,
    FaceEvidence,
    FusionRequest,
    ImageEvidence,
    MediaInfo,
    MediaKind,
    Modality,
    ModalityResult,
    ModalityScore,
    ModalityStatus,
    ModelInfo,
    ModelScore,
    Verdict,
    VerdictLabel,
    VideoEvidence,
    VideoThumbnail,
    VideoTimelinePoint,
    VideoTrack,
    WeightsState,
)

MODEL = ModelInfo(
    name="mesonet-meso4-df",
    version="2018",
    sha256="0" * 64,
    weights=WeightsState.real,
    framework="tensorflow",
    task="face-forgery",
)
BOX = Box(x1=1, y1=2, x2=30, y2=40)
IMAGE = ImageEvidence(
    width=100,
    height=80,
    format="JPEG",
    faces=[
        FaceEvidence(
            box=BOX,
            detection_confidence=0.99,
            fake_probability=0.7,
            scores=[ModelScore(model="m", fake_probability=0.7)],
        )
    ],
    no_face=False,
    aggregation="max over faces",
)
AUDIO = AudioEvidence(
    duration_s=4.0,
    sample_rate=16000,
    speech_ratio=0.5,
    windows=[
        AudioWindow(start_s=0, end_s=4, fake_probability=0.1, speech=True),
        AudioWindow(start_s=4, end_s=8, fake_probability=None, speech=False),
    ],
    aggregation="top-k mean",
)
VIDEO = VideoEvidence(
    duration_s=3,
    fps=25,
    width=640,
    height=480,
    sampled_frames=3,
    frames_without_face=[2.0],
    timeline=[VideoTimelinePoint(t_s=0, track_id=0, fake_probability=0.2, box=BOX)],
    tracks=[VideoTrack(track_id=0, samples=2, first_s=0, last_s=1, fake_probability=0.2)],
    thumbnails=[
        VideoThumbnail(t_s=0, track_id=0, fake_probability=0.2, box=BOX, jpeg_base64="AA==")
    ],
    aggregation="confident strategy",
    has_audio=True,
)


def result(evidence: ImageEvidence | AudioEvidence | VideoEvidence) -> ModalityResult:
    return ModalityResult(
        modality=Modality(evidence.kind),
        status=ModalityStatus.ok,
        fake_probability=0.4,
        confidence=1.0,
        models=[MODEL],
        latencies_ms={"total": 12.5},
        evidence=evidence,
    )


VERDICT = Verdict(
    label=VerdictLabel.real,
    fake_probability=0.2,
    real_probability=0.8,
    threshold=0.5,
    uncertain_band=0.1,
    partial=False,
    contributions=[],
    excluded=[],
    rule="r",
)
ANALYSIS = Analysis(
    id="a1",
    status=AnalysisStatus.done,
    created_at=datetime(2026, 11, 22, tzinfo=UTC),
    media=MediaInfo(
        kind=MediaKind.image, mime="image/jpeg", format="jpeg", size_bytes=3, sha256="f" * 64
    ),
    verdict=VERDICT,
    modalities={"image": result(IMAGE)},
    models=[MODEL],
    latencies_ms={"total": 20},
)


@pytest.mark.parametrize(
    "model",
    [
        MODEL,
        result(IMAGE),
        result(AUDIO),
        result(VIDEO),
        VERDICT,
        ANALYSIS,
        ErrorBody(type="corrupt_media", detail="The file is truncated.", request_id="r1"),
        FusionRequest(
            scores=[
                ModalityScore(
                    modality=Modality.audio, status=ModalityStatus.ok, fake_probability=0.3
                )
            ]
        ),
    ],
    ids=lambda m: type(m).__name__,
)
def test_json_round_trip(model: BaseModel) -> None:
    again = type(model).model_validate_json(model.model_dump_json())
    assert again == model


def test_evidence_is_discriminated_by_kind() -> None:
    data = result(AUDIO).model_dump(mode="json")
    parsed = ModalityResult.model_validate(data)
    assert isinstance(parsed.evidence, AudioEvidence)
    data["evidence"]["kind"] = "smell"
    with pytest.raises(ValidationError):
        ModalityResult.model_validate(data)


@pytest.mark.parametrize("p", [-0.01, 1.01])
def test_probabilities_are_bounded(p: float) -> None:
    with pytest.raises(ValidationError):
        ModalityResult(modality=Modality.image, status=ModalityStatus.ok, fake_probability=p)


def test_weights_state_is_explicit() -> None:
    with pytest.raises(ValidationError):
        ModelInfo.model_validate({**MODEL.model_dump(), "weights": "maybe"})

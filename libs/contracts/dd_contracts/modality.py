"""What one inference service answers for one piece of media."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from dd_contracts.modalities import ModalityName
from dd_contracts.models import ModelInfo

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Modality(StrEnum):
    """The built-in modality names, as constants. Contracts type a modality as
    ``ModalityName`` (any name in the modality table, see dd_contracts.modalities), so a
    new modality needs no change here."""

    image = "image"
    audio = "audio"
    video = "video"


class ModalityStatus(StrEnum):
    """Whether a modality produced a usable score.

    ok: scored (``fake_probability`` is set; see ``flags`` for caveats such as ``no_face``).
    no_signal: nothing to judge in this modality (a video without a sound track, pure
        silence, a video in which no frame shows a face); not an error.
    untrained: only detectors without real weights ran; the number is shown for
        debugging but never used in a verdict.
    rejected: the service refused the media (bad or over-limit input).
    unavailable: the service could not be reached, or is not ready (weights missing).
    failed: the service was reached but broke while analysing.
    """

    ok = "ok"
    no_signal = "no_signal"
    untrained = "untrained"
    rejected = "rejected"
    unavailable = "unavailable"
    failed = "failed"


class ModelScore(BaseModel):
    model: str
    fake_probability: Probability


class Box(BaseModel):
    """Pixel box in the upright (EXIF-oriented) image: x1, y1 top-left; x2, y2 bottom-right."""

    x1: float
    y1: float
    x2: float
    y2: float


class FaceEvidence(BaseModel):
    box: Box
    detection_confidence: Probability
    fake_probability: Probability
    scores: list[ModelScore] = Field(description="Each face classifier's own P(fake).")


class ImageEvidence(BaseModel):
    kind: Literal["image"] = "image"
    width: int
    height: int
    format: str
    faces: list[FaceEvidence]
    no_face: bool = Field(description="No face found: the whole frame was judged instead.")
    whole_frame_scores: list[ModelScore] | None = None
    aggregation: str = Field(description="How face scores became the image score.")


class AudioWindow(BaseModel):
    start_s: float
    end_s: float
    fake_probability: Probability | None = Field(
        description="Null when the window holds no speech and was not scored."
    )
    speech: bool


class AudioAlert(BaseModel):
    """A localised suspicious passage: consecutive suspicious windows covering >= 6 s.
    Reported even when the clip as a whole is judged real or uncertain."""

    start_s: float
    end_s: float
    score: Probability = Field(description="Median P(fake) of the passage's windows.")


class AudioEvidence(BaseModel):
    kind: Literal["audio"] = "audio"
    duration_s: float
    sample_rate: int
    speech_ratio: Probability
    windows: list[AudioWindow]
    alerts: list[AudioAlert] = Field(
        default_factory=list,
        description="Localised suspicious passages (>= 6 s), reported whatever the label.",
    )
    aggregation: str
    spectrogram_png_base64: str | None = Field(
        default=None,
        description="Inline PNG as sent by a service; the gateway stores it as an artifact "
        "and clears this (see spectrogram_url).",
    )
    spectrogram_url: str | None = Field(
        default=None, description="The spectrogram PNG, relative to the gateway root."
    )


class VideoTimelinePoint(BaseModel):
    t_s: float
    track_id: int
    fake_probability: Probability
    box: Box


class VideoTrack(BaseModel):
    track_id: int
    samples: int
    first_s: float
    last_s: float
    fake_probability: Probability


class VideoThumbnail(BaseModel):
    t_s: float
    track_id: int
    fake_probability: Probability
    box: Box
    jpeg_base64: str | None = Field(
        default=None,
        description="Inline JPEG as sent by a service; the gateway stores it as an artifact "
        "and clears this (see url).",
    )
    url: str | None = Field(default=None, description="The JPEG, relative to the gateway root.")


class VideoEvidence(BaseModel):
    kind: Literal["video"] = "video"
    duration_s: float
    fps: float
    width: int
    height: int
    sampled_frames: int
    frames_without_face: list[float] = Field(description="Sample times (s) with no face.")
    timeline: list[VideoTimelinePoint]
    tracks: list[VideoTrack]
    thumbnails: list[VideoThumbnail]
    aggregation: str
    has_audio: bool


Evidence = Annotated[ImageEvidence | AudioEvidence | VideoEvidence, Field(discriminator="kind")]


class ModalityResult(BaseModel):
    modality: ModalityName
    status: ModalityStatus
    fake_probability: Probability | None = None
    confidence: Probability = Field(
        default=0.0,
        description="How much this score should count in fusion (lower for no_face, short "
        "speech, few frames).",
    )
    flags: list[str] = Field(default_factory=list)
    reason: str | None = Field(
        default=None,
        description="Why the status is not 'ok', or why an 'ok' score is not reliable "
        "(flag 'unreliable_condition', reliable false).",
    )
    reliable: bool = Field(
        default=True,
        description="False when calibration measured this detector as unreliable in the "
        "media's condition (false-alarm rate above the floor), or when the service knows "
        "the input is outside what its detectors can judge (only faces smaller than the "
        "classifiers' input): never decides a verdict.",
    )
    models: list[ModelInfo] = Field(default_factory=list)
    latencies_ms: dict[str, float] = Field(default_factory=dict)
    evidence: Evidence | None = None
    condition: dict[str, float | str] = Field(
        default_factory=dict,
        description="The media condition the service measured cheaply (image: width, height, "
        "face_px, jpeg_quality; audio: codec, bitrate_kbps, sample_rate, bandwidth_hz; "
        "video: width, height, codec, bitrate_kbps, face_px). Calibration keys on it.",
    )


class Progress(BaseModel):
    """How far an inference service is with one request (polled by the gateway)."""

    request_id: str
    fraction: Probability
    state: Literal["running", "done"]

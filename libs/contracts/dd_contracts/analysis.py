"""The analysis document the gateway stores and returns."""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from dd_contracts.errors import ErrorBody
from dd_contracts.fusion import Verdict, VerdictLabel
from dd_contracts.modality import ModalityResult
from dd_contracts.models import ModelInfo
from dd_contracts.provenance import ProvenanceReport


class MediaKind(StrEnum):
    image = "image"
    audio = "audio"
    video = "video"


class AnalysisStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class MediaInfo(BaseModel):
    kind: MediaKind = Field(description="Detected from the bytes, never from the file name.")
    mime: str
    format: str
    size_bytes: int
    sha256: str
    filename: str | None = None
    # Facts the gateway learnt while sniffing; they travel with the job (a video without a
    # sound track is never sent to the audio service). Null when not known.
    has_audio: bool | None = Field(default=None, description="A sound track is present.")
    duration_s: float | None = Field(default=None, description="Declared duration.")
    width: int | None = Field(default=None, description="Picture width (image or video).")
    height: int | None = Field(default=None, description="Picture height (image or video).")


class Analysis(BaseModel):
    id: str
    status: AnalysisStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    media: MediaInfo
    verdict: Verdict | None = None
    modalities: dict[str, ModalityResult] = Field(
        default_factory=dict, description="Keyed by modality: 'image', 'audio', 'video'."
    )
    models: list[ModelInfo] = Field(default_factory=list, description="Every model used.")
    provenance: ProvenanceReport | None = Field(
        default=None,
        description="What the file itself says (content credentials, generator traces, "
        "metadata, compression traces): facts, never a probability.",
    )
    latencies_ms: dict[str, float] = Field(
        default_factory=dict, description="Per stage: sniff, each modality, fusion, total."
    )
    progress: dict[str, float] = Field(
        default_factory=dict, description="Fraction done per modality while running."
    )
    error: ErrorBody | None = None
    partial: bool = Field(
        default=False,
        description="A modality that applies to this media could not be judged; the verdict "
        "comes from the others.",
    )
    partial_reason: str | None = Field(
        default=None, description="Which modality failed and why, when partial."
    )


AnalysisEventName = Literal["queued", "started", "progress", "done", "fused", "failed"]


class AnalysisEvent(BaseModel):
    """One Server-Sent Event of GET /v1/analyses/{id}/events (the SSE `data:` line)."""

    event: AnalysisEventName
    analysis_id: str
    modality: str | None = Field(
        default=None, description="For started, progress and done: which modality."
    )
    fraction: float | None = Field(default=None, description="For progress: 0..1.")
    status: str | None = Field(default=None, description="For done: the modality's status.")
    analysis: Analysis | None = Field(
        default=None, description="For fused and failed: the finished document."
    )


class AnalysisAccepted(BaseModel):
    id: str
    status: AnalysisStatus
    location: str = Field(description="Where to GET the analysis.")


class ServiceStatus(BaseModel):
    name: str
    url: str
    ready: bool
    reason: str | None = None
    models: list[ModelInfo] = Field(default_factory=list)


class AnalysisSummary(BaseModel):
    """One row of GET /v1/analyses: enough for a history list, never the whole document."""

    id: str
    status: AnalysisStatus
    kind: MediaKind
    filename: str | None = None
    mime: str
    size_bytes: int
    created_at: datetime
    finished_at: datetime | None = None
    verdict_label: VerdictLabel | None = None
    fake_probability: float | None = None
    thumbnail_url: str | None = Field(
        default=None, description="A small JPEG, relative to the gateway root."
    )


class AnalysisPage(BaseModel):
    items: list[AnalysisSummary]
    total: int = Field(description="How many analyses match the filters.")
    limit: int
    offset: int

"""The analysis document the gateway stores and returns."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dd_contracts.errors import ErrorBody
from dd_contracts.fusion import Verdict
from dd_contracts.modality import ModalityResult
from dd_contracts.models import ModelInfo


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
    latencies_ms: dict[str, float] = Field(
        default_factory=dict, description="Per stage: sniff, each modality, fusion, total."
    )
    progress: dict[str, float] = Field(
        default_factory=dict, description="Fraction done per modality while running."
    )
    error: ErrorBody | None = None


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

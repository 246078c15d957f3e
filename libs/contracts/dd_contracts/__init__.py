"""Pydantic contracts shared by the gateway, the fusion service and every inference service.

Only data shapes live here: no I/O, no FastAPI, no model code. Anything that crosses an
HTTP boundary between two of our apps is defined once, in this package.
"""

from dd_contracts.analysis import (
    Analysis,
    AnalysisAccepted,
    AnalysisPage,
    AnalysisStatus,
    AnalysisSummary,
    MediaInfo,
    MediaKind,
    ServiceStatus,
)
from dd_contracts.errors import ErrorBody
from dd_contracts.fusion import (
    Contribution,
    ExcludedModality,
    FusionRequest,
    FusionResponse,
    ModalityScore,
    Verdict,
    VerdictLabel,
)
from dd_contracts.health import Health, Readiness
from dd_contracts.modalities import ModalityName, ModalitySpec, ModalityTable
from dd_contracts.modality import (
    AudioAlert,
    AudioEvidence,
    AudioWindow,
    Box,
    FaceEvidence,
    ImageEvidence,
    Modality,
    ModalityResult,
    ModalityStatus,
    ModelScore,
    Progress,
    VideoEvidence,
    VideoThumbnail,
    VideoTimelinePoint,
    VideoTrack,
)
from dd_contracts.models import ModelInfo, WeightsState

__all__ = [
    "Analysis",
    "AnalysisAccepted",
    "AnalysisPage",
    "AnalysisStatus",
    "AnalysisSummary",
    "AudioAlert",
    "AudioEvidence",
    "AudioWindow",
    "Box",
    "Contribution",
    "ErrorBody",
    "ExcludedModality",
    "FaceEvidence",
    "FusionRequest",
    "FusionResponse",
    "Health",
    "ImageEvidence",
    "MediaInfo",
    "MediaKind",
    "Modality",
    "ModalityName",
    "ModalityResult",
    "ModalityScore",
    "ModalitySpec",
    "ModalityStatus",
    "ModalityTable",
    "ModelInfo",
    "ModelScore",
    "Progress",
    "Readiness",
    "ServiceStatus",
    "Verdict",
    "VerdictLabel",
    "VideoEvidence",
    "VideoThumbnail",
    "VideoTimelinePoint",
    "VideoTrack",
    "WeightsState",
]

from typing import Annotated, Any, ClassVar

from pydantic import Field
from pydantic_settings import NoDecode, SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings, shared_limits


class VideoSettings(InferenceSettings):
    """VIDEO_* variables. Detectors: a face detector, face classifiers, and optional track
    detectors (temporal_gru); options per detector as VIDEO_DETECTOR_OPTIONS__<NAME>__<X>."""

    model_config = SettingsConfigDict(env_prefix="VIDEO_", extra="ignore")

    port: int = 8003
    max_upload_bytes: int = Field(default_factory=lambda: shared_limits().max_video_bytes)
    max_duration_s: float = Field(default_factory=lambda: shared_limits().max_duration_s)
    max_pixels: int = Field(default_factory=lambda: shared_limits().max_video_pixels)
    min_side: int = Field(default_factory=lambda: shared_limits().min_video_side)
    detectors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["mesonet_ensemble"])
    # Finds the faces the face classifiers judge; used when DETECTORS names none.
    face_detector: str = "mtcnn"
    sample_fps: float = 1.0
    max_samples: int = 180
    # None: chosen from the resolution (see dd_video.analyzer.detect_side_for).
    detect_max_side: int | None = None
    detect_batch: int = 8
    # GOPs decoded side by side in the bounded decode worker; None: one per thread.
    decode_lanes: int | None = Field(default=None, ge=1)
    # torch intra-op threads (MTCNN); None: half of THREADS, at least 1 (see VideoPipeline).
    torch_threads: int | None = Field(default=None, ge=1)
    classify_batch: int = 64
    max_faces_per_frame: int = 6
    # Faces below this are judged but flagged 'small_face' and count less.
    small_face_px: int = 64

    default_detector_options: ClassVar[dict[str, dict[str, Any]]] = {
        # Keep every face MTCNN can find (20 px in the detection frame); the analyzer
        # flags the small ones instead of dropping them. max_side is chosen per video.
        "mtcnn": {"min_face_px": 20},
    }

from pydantic_settings import SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings


class VideoSettings(InferenceSettings):
    model_config = SettingsConfigDict(env_prefix="VIDEO_", extra="ignore")

    port: int = 8003
    max_upload_bytes: int = 512 * 1024 * 1024
    max_duration_s: float = 600.0
    max_pixels: int = 2560 * 1600
    sample_fps: float = 1.0
    max_samples: int = 180
    # None: chosen from the resolution (see VideoAnalyzer).
    detect_max_side: int | None = None
    classify_batch: int = 64
    max_faces_per_frame: int = 6

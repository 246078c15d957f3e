from pydantic_settings import SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings


class ImageSettings(InferenceSettings):
    model_config = SettingsConfigDict(env_prefix="IMAGE_", extra="ignore")

    port: int = 8001
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 40_000_000
    min_face_confidence: float = 0.9
    min_face_px: int = 32
    detect_max_side: int = 1024
    crop_margin: float = 0.2
    max_faces: int = 16

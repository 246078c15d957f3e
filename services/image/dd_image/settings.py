from typing import Annotated, Any, ClassVar

from pydantic import Field
from pydantic_settings import NoDecode, SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings, shared_limits


class ImageSettings(InferenceSettings):
    """IMAGE_* variables. Detectors: a face detector (mtcnn) and face classifiers
    (mesonet_ensemble, or single MesoNet members), plus optional whole-image classifiers;
    options per detector as IMAGE_DETECTOR_OPTIONS__<NAME>__<OPTION>."""

    model_config = SettingsConfigDict(env_prefix="IMAGE_", extra="ignore")

    port: int = 8001
    max_upload_bytes: int = Field(default_factory=lambda: shared_limits().max_image_bytes)
    max_pixels: int = Field(default_factory=lambda: shared_limits().max_image_pixels)
    detectors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["mesonet_ensemble"])
    # Finds the faces the face classifiers judge; used when DETECTORS names none.
    face_detector: str = "mtcnn"
    crop_margin: float = 0.2
    max_faces: int = 16  # bounds the classifier batch on crowd photos (largest kept)
    # Faces whose shorter side is below this are still judged and shown, flagged
    # 'small_face', but do not decide the image score (MesoNet was trained on larger faces;
    # its input is 256 px): only small faces -> reliable false, uncertain (analyzer.py).
    small_face_px: int = 64

    default_detector_options: ClassVar[dict[str, dict[str, Any]]] = {
        # Stills afford more detail than video frames (640).
        "mtcnn": {"min_face_px": 32, "max_side": 1024},
    }

"""Image service: faces found by MTCNN, each judged by the MesoNet ensemble."""

from fastapi import FastAPI

from dd_image import __version__
from dd_image.analyzer import FaceOptions, ImageAnalyzer, ImageLimits
from dd_image.settings import ImageSettings
from dd_inference import Analyzer
from dd_service_kit.inference_app import ServiceError, create_inference_app


class ImageServiceError(ServiceError):
    """Base of the image service's own errors."""


def build_analyzer(settings: ImageSettings) -> ImageAnalyzer:
    return ImageAnalyzer(
        models_dir=settings.models_dir,
        threads=settings.threads,
        limits=ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels),
        face=FaceOptions(
            min_confidence=settings.min_face_confidence,
            min_face_px=settings.min_face_px,
            detect_max_side=settings.detect_max_side,
            crop_margin=settings.crop_margin,
            max_faces=settings.max_faces,
        ),
    )


def create_app(settings: ImageSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or ImageSettings()
    return create_inference_app(
        service="image",
        version=__version__,
        description="Finds faces in a photo and scores each for forgery (MesoNet ensemble).",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

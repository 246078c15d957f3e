"""Image service: faces found by MTCNN, each judged by the MesoNet ensemble (by default;
the detectors are chosen in IMAGE_DETECTORS)."""

from fastapi import FastAPI

from dd_image import __version__
from dd_image.analyzer import build_analyzer
from dd_image.settings import ImageSettings
from dd_inference import Analyzer
from dd_service_kit.inference_app import create_inference_app

__all__ = ["build_analyzer", "create_app"]


def create_app(settings: ImageSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or ImageSettings()
    return create_inference_app(
        service="image",
        version=__version__,
        description="Finds faces in a photo and scores each for forgery (MesoNet ensemble).",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

"""Video service: sampled frames, tracked faces, per-track and per-video scores (the
detectors are chosen in VIDEO_DETECTORS)."""

from fastapi import FastAPI

from dd_inference import Analyzer
from dd_service_kit.inference_app import create_inference_app
from dd_video import __version__
from dd_video.analyzer import build_analyzer
from dd_video.settings import VideoSettings

__all__ = ["build_analyzer", "create_app"]


def create_app(settings: VideoSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or VideoSettings()
    return create_inference_app(
        service="video",
        version=__version__,
        description="Samples frames, tracks faces and scores each track for forgery.",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

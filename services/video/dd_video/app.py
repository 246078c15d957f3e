"""Video service: sampled frames, tracked faces, per-track and per-video scores."""

from fastapi import FastAPI

from dd_inference import Analyzer
from dd_service_kit.inference_app import ServiceError, create_inference_app
from dd_video import __version__
from dd_video.analyzer import VideoAnalyzer
from dd_video.decode import DecodeLimits
from dd_video.settings import VideoSettings


class VideoServiceError(ServiceError):
    """Base of the video service's own errors."""


def build_analyzer(settings: VideoSettings) -> VideoAnalyzer:
    return VideoAnalyzer(
        models_dir=settings.models_dir,
        threads=settings.threads,
        sample_fps=settings.sample_fps,
        max_samples=settings.max_samples,
        limits=DecodeLimits(
            max_bytes=settings.max_upload_bytes,
            max_duration_s=settings.max_duration_s,
            max_pixels=settings.max_pixels,
        ),
        detect_max_side=settings.detect_max_side,
        classify_batch=settings.classify_batch,
        max_faces_per_frame=settings.max_faces_per_frame,
    )


def create_app(settings: VideoSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or VideoSettings()
    return create_inference_app(
        service="video",
        version=__version__,
        description="Samples frames, tracks faces and scores each track for forgery.",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

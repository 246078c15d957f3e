"""Audio service: voice anti-spoofing (AASIST by default; AUDIO_DETECTORS) over a
timeline of windows."""

from fastapi import FastAPI

from dd_audio import __version__
from dd_audio.analyzer import build_analyzer
from dd_audio.settings import AudioSettings
from dd_inference import Analyzer
from dd_service_kit.inference_app import create_inference_app

__all__ = ["build_analyzer", "create_app"]


def create_app(settings: AudioSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    return create_inference_app(
        service="audio",
        version=__version__,
        description="Scores speech for synthesis/conversion artefacts, window by window.",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

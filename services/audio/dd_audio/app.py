"""Audio service: voice anti-spoofing (AASIST) over a timeline of windows."""

from fastapi import FastAPI

from dd_audio import __version__
from dd_audio.analyzer import AudioAnalyzer
from dd_audio.decode import DecodeLimits
from dd_audio.detectors.aasist import AasistOptions
from dd_audio.settings import AudioSettings
from dd_inference import Analyzer
from dd_service_kit.inference_app import ServiceError, create_inference_app


class AudioServiceError(ServiceError):
    """Base of the audio service's own errors."""


def build_analyzer(settings: AudioSettings) -> AudioAnalyzer:
    options: dict[str, object] = {}
    if settings.hop is not None:
        options["hop"] = settings.hop
    return AudioAnalyzer(
        models_dir=settings.models_dir,
        variant=settings.variant,
        threads=settings.threads,
        limits=DecodeLimits(
            max_bytes=settings.max_upload_bytes, max_duration_s=settings.max_duration_s
        ),
        batch_size=settings.batch_size,
        spectrogram=settings.spectrogram,
        cnn=settings.cnn,
        cnn_weights=settings.cnn_weights,
        aasist_options=AasistOptions(channels_last=settings.channels_last),
        **options,  # type: ignore[arg-type]
    )


def create_app(settings: AudioSettings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    return create_inference_app(
        service="audio",
        version=__version__,
        description="Scores speech for synthesis/conversion artefacts, window by window.",
        settings=settings,
        analyzer=analyzer or build_analyzer(settings),
    )

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings, shared_limits


class AudioSettings(InferenceSettings):
    """AUDIO_* variables. Detectors score 4 s windows (kind audio_window); options per
    detector as AUDIO_DETECTOR_OPTIONS__<NAME>__<OPTION>, e.g. ..._AASIST__VARIANT=AASIST-L."""

    model_config = SettingsConfigDict(env_prefix="AUDIO_", extra="ignore")

    port: int = 8002
    max_upload_bytes: int = Field(default_factory=lambda: shared_limits().max_audio_bytes)
    max_duration_s: float = Field(default_factory=lambda: shared_limits().max_duration_s)
    # The seed spectrogram CNN ships untrained and never counts in a verdict, so it is
    # opt-in (AUDIO_DETECTORS=aasist,spectrogram_cnn): running it by default cost a quarter
    # of the service's time for a number nobody may use (60 s clip: 14 -> 19 audio-s/s).
    detectors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["aasist"])
    hop: int | None = None  # samples; None = windows.DEFAULT_HOP
    # Batch 1 measured fastest on 2 cores (bench/audio.py): AASIST's first encoder block
    # already fills the caches with one 4 s window.
    batch_size: int = 1
    spectrogram: bool = True
    # Older switch, still honoured: AUDIO_CNN=false removes spectrogram_cnn from the
    # detectors (images without TensorFlow set it). AUDIO_DETECTORS=aasist says the same.
    cnn: bool | None = None

    @model_validator(mode="after")
    def _legacy_cnn_switch(self) -> "AudioSettings":
        if self.cnn is False:
            self.detectors = [d for d in self.detectors if d.replace("-", "_") != "spectrogram_cnn"]
        return self

from pydantic_settings import SettingsConfigDict

from dd_service_kit.inference_app import InferenceSettings


class AudioSettings(InferenceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIO_", extra="ignore")

    port: int = 8002
    max_upload_bytes: int = 200 * 1024 * 1024
    max_duration_s: float = 600.0
    variant: str = "AASIST"  # or "AASIST-L"
    hop: int | None = None  # samples; None = the analyzer's default
    # Batch 1 measured fastest on 2 cores (bench/audio.py): AASIST's first encoder block
    # already fills the caches with one 4 s window.
    batch_size: int = 1
    channels_last: bool = True
    spectrogram: bool = True
    # The seed design's spectrogram CNN: runs and is listed, but ships untrained and is
    # excluded from the verdict until a weights file is given.
    cnn: bool = True
    cnn_weights: str | None = None

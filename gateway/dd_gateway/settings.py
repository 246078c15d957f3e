from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from dd_service_kit import AppSettings

REPO = Path(__file__).resolve().parents[2]


class GatewaySettings(AppSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 8000
    image_url: str | None = "http://127.0.0.1:8001"
    audio_url: str | None = "http://127.0.0.1:8002"
    video_url: str | None = "http://127.0.0.1:8003"
    fusion_url: str = "http://127.0.0.1:8004"

    data_dir: Path = REPO / "data" / "gateway"
    max_upload_bytes: int = 512 * 1024 * 1024
    # Checked from the image header before any service decodes a pixel.
    max_image_pixels: int = 64_000_000

    # Per-call timeouts (seconds): a video can legitimately take minutes, an image not.
    image_timeout_s: float = 60.0
    audio_timeout_s: float = 300.0
    video_timeout_s: float = 600.0
    fusion_timeout_s: float = 10.0
    connect_timeout_s: float = 2.0
    progress_poll_s: float = 1.0

    # Jobs: how many run at once, how many may wait, how long ?wait=true blocks.
    max_running_jobs: int = Field(default=2, ge=1)
    max_queued_jobs: int = Field(default=64, ge=0)
    wait_timeout_s: float = 900.0
    history_limit: int = 1000

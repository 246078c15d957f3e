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
    # SQLAlchemy URL; empty means an SQLite file under data_dir. PostgreSQL:
    # postgresql+psycopg://user:pass@host/db (needed to run several replicas).
    database_url: str = ""
    # Names this process's claims on running jobs, so that a restart fails only its own.
    replica_id: str = "local"
    max_upload_bytes: int = 512 * 1024 * 1024
    # Checked from the image header before any service decodes a pixel.
    max_image_pixels: int = 64_000_000
    # Stored media of finished analyses older than this is deleted (documents are kept).
    media_retention_days: float = Field(default=30.0, gt=0)

    # Per-call timeouts (seconds): a video can legitimately take minutes, an image not.
    image_timeout_s: float = 60.0
    audio_timeout_s: float = 300.0
    video_timeout_s: float = 600.0
    fusion_timeout_s: float = 10.0
    connect_timeout_s: float = 2.0
    progress_poll_s: float = 1.0
    # Connection errors (nothing listening) are retried; anything later is not, since
    # the service may already be working on the file.
    connect_retries: int = Field(default=2, ge=0)
    connect_retry_backoff_s: float = 0.2
    # Circuit breaker per service: this many consecutive connection failures open it;
    # while open, calls fail at once; after the cool-down one trial call is let through.
    breaker_failures: int = Field(default=3, ge=1)
    breaker_cooldown_s: float = Field(default=30.0, gt=0)

    # Jobs: how many run at once, how many may wait, how long ?wait=true blocks.
    max_running_jobs: int = Field(default=2, ge=1)
    max_queued_jobs: int = Field(default=64, ge=0)
    wait_timeout_s: float = 900.0
    # How often idle workers look in the database for queued jobs they were not told
    # about (left by a restart or submitted through another replica).
    claim_poll_s: float = Field(default=2.0, gt=0)

    # API keys (python -m dd_gateway.keys). Without keys the gateway is single-user and
    # should listen on loopback only (see __main__).
    require_keys: bool = False
    rate_limit_per_minute: float = Field(default=120.0, gt=0)
    rate_limit_burst: int = Field(default=20, ge=1)

    # Callbacks: the finished document is POSTed to ?callback_url=, signed with this.
    callback_secret: str | None = None
    callback_attempts: int = Field(default=4, ge=1)
    callback_backoff_s: float = 1.0
    callback_timeout_s: float = 10.0

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway.sqlite3'}"

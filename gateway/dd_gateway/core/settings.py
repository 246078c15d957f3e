from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from dd_contracts import ModalityTable
from dd_contracts.limits import MediaLimits
from dd_service_kit import AppSettings

REPO = Path(__file__).resolve().parents[3]
# The three built-in modalities keep their own URL and timeout variables
# (GATEWAY_IMAGE_URL, ...); any modality can be set through GATEWAY_MODALITIES.
_BUILTIN = ("image", "audio", "video")


class GatewaySettings(AppSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 8000
    # Overrides of the modality table (dd_contracts.modalities) for the built-ins; None
    # means "not deployed". Unset: the table's URL.
    image_url: str | None = "http://127.0.0.1:8001"
    audio_url: str | None = "http://127.0.0.1:8002"
    video_url: str | None = "http://127.0.0.1:8003"
    fusion_url: str = "http://127.0.0.1:8004"
    # Extra or replaced modality entries (JSON list, merged by name over DD_MODALITIES).
    modalities: list[dict[str, Any]] = Field(default_factory=list)

    data_dir: Path = REPO / "data" / "gateway"
    # The built dashboard served at / when its index.html exists.
    static_dir: Path = REPO / "frontend" / "dist"
    # SQLAlchemy URL; empty means an SQLite file under data_dir. PostgreSQL:
    # postgresql+psycopg://user:pass@host/db (needed to run several replicas).
    database_url: str = ""
    # Names this process's claims on running jobs, so that a restart fails only its own.
    replica_id: str = "local"
    # The stream is cut past this many bytes; the per-kind limits (DD_LIMIT_*) apply once
    # the kind is known.
    max_upload_bytes: int = 512 * 1024 * 1024
    # One limits table with the services (DD_LIMIT_*): refused here what they refuse.
    limits: MediaLimits = Field(default_factory=MediaLimits.from_env)
    # Stored media of finished analyses older than this is deleted (documents are kept).
    media_retention_days: float = Field(default=30.0, gt=0)

    # Provenance (dd_provenance: content credentials, generator traces, metadata, JPEG
    # traces) is read in-process beside the modality calls; its own bounds come from
    # DD_PROVENANCE_* (read once at start-up). False skips it (no section, no rules).
    provenance: bool = True

    # Per-call timeouts (seconds) of the built-ins; unset: the modality table's.
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
    # Model versions (half of the result-cache key) are remembered this long; a stale
    # entry is used while it is refreshed in the background.
    model_versions_ttl_s: float = Field(default=30.0, gt=0)

    # Jobs: how many run at once per lane, how many may wait, how long ?wait=true blocks.
    # Lanes keep short work from queueing behind long work: images and audio clips have
    # their own workers, videos theirs.
    max_running_jobs: int = Field(default=2, ge=1)
    max_running_videos: int = Field(default=1, ge=1)
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
    # A total deadline per attempt (connect + send + every byte of the answer).
    callback_timeout_s: float = 10.0
    # Callbacks have their own connection pool, so they can never starve service calls.
    callback_max_connections: int = Field(default=16, ge=1)
    # Loopback, private and link-local destinations (and our own services) are refused
    # unless this is set (a gateway that calls back into its own network).
    callback_allow_private: bool = False

    # uvicorn (python -m dd_gateway): the largest header block accepted, and how long an
    # idle keep-alive connection is kept.
    max_header_bytes: int = Field(default=64 * 1024, ge=4096)
    keep_alive_s: float = Field(default=5.0, gt=0)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway.sqlite3'}"

    def modality_table(self) -> ModalityTable:
        """DD_MODALITIES (or the built-in table), then GATEWAY_MODALITIES, then the
        built-ins' own URL and timeout settings where they were given."""
        table = ModalityTable.from_env().merged(self.modalities)
        given = self.model_fields_set
        overrides: list[dict[str, Any]] = []
        for name in _BUILTIN:
            entry: dict[str, Any] = {}
            if f"{name}_url" in given:
                entry["url"] = getattr(self, f"{name}_url")
            if f"{name}_timeout_s" in given:
                entry["timeout_s"] = getattr(self, f"{name}_timeout_s")
            if entry and name in table:
                overrides.append({"name": name, **entry})
        return table.merged(overrides)

    @property
    def upload_cap_bytes(self) -> int:
        return min(self.max_upload_bytes, self.limits.max_upload_bytes)

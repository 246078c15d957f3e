"""Settings every app shares. Each app subclasses with its own env prefix
(GATEWAY_, FUSION_, IMAGE_, AUDIO_, VIDEO_)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    json_logs: bool = True

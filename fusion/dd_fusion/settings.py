from pathlib import Path

from pydantic_settings import SettingsConfigDict

from dd_service_kit import AppSettings

DEFAULT_WEIGHTS_FILE = Path(__file__).with_name("default_weights.json")


class FusionSettings(AppSettings):
    model_config = SettingsConfigDict(env_prefix="FUSION_", extra="ignore")

    port: int = 8004
    # Fusion weights are data, not code: a JSON file, replaceable by a learned one.
    weights_file: Path = DEFAULT_WEIGHTS_FILE

"""Where the gateway is and which key to use: flags, then the environment (DFD_URL,
DFD_API_KEY, DFD_TIMEOUT, DFD_RETRIES), then the config file, then the defaults.

The config file is $DFD_CONFIG, or $XDG_CONFIG_HOME/dfd/config.toml
(~/.config/dfd/config.toml):

    url = "https://detector.example.org"
    api_key = "dd_..."
    timeout_s = 120
    retries = 5       # extra attempts after a 429/503 or a connection failure
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfd._common import DEFAULT_URL
from dfd.retry import RetryPolicy


def config_path() -> Path:
    if explicit := os.environ.get("DFD_CONFIG"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "dfd" / "config.toml"


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the config file {path}: {exc}") from exc


@dataclass(frozen=True)
class Settings:
    url: str = DEFAULT_URL
    api_key: str | None = None
    timeout_s: float = 60.0
    retries: int = 5

    @classmethod
    def resolve(
        cls,
        url: str | None = None,
        api_key: str | None = None,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Settings:
        file = _read_config(config_path())
        env = os.environ

        def pick(flag: Any, env_name: str, key: str, default: Any) -> Any:
            for value in (flag, env.get(env_name) or None, file.get(key)):
                if value is not None:
                    return value
            return default

        return cls(
            url=str(pick(url, "DFD_URL", "url", DEFAULT_URL)).rstrip("/"),
            api_key=pick(api_key, "DFD_API_KEY", "api_key", None),
            timeout_s=float(pick(timeout_s, "DFD_TIMEOUT", "timeout_s", 60.0)),
            retries=int(pick(retries, "DFD_RETRIES", "retries", 5)),
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(attempts=max(0, self.retries) + 1)

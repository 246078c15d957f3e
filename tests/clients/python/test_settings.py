"""Settings: a flag beats the environment, which beats the config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from dfd.settings import Settings, config_path


def test_flags_then_environment_then_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "dfd" / "config.toml"
    config.parent.mkdir()
    config.write_text('url = "http://from-file:1/"\napi_key = "file-key"\ntimeout_s = 7\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("DFD_CONFIG", "DFD_URL", "DFD_API_KEY", "DFD_TIMEOUT", "DFD_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    assert config_path() == config
    assert Settings.resolve() == Settings("http://from-file:1", "file-key", 7.0, 5)
    monkeypatch.setenv("DFD_URL", "http://from-env:2")
    monkeypatch.setenv("DFD_RETRIES", "0")
    assert Settings.resolve() == Settings("http://from-env:2", "file-key", 7.0, 0)
    flagged = Settings.resolve(url="http://flag:3", api_key="flag-key", retries=2)
    assert flagged == Settings("http://flag:3", "flag-key", 7.0, 2)
    assert flagged.retry_policy().attempts == 3


def test_defaults_and_a_broken_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DFD_URL", "DFD_API_KEY", "DFD_TIMEOUT", "DFD_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DFD_CONFIG", str(tmp_path / "none.toml"))
    assert Settings.resolve() == Settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("url = ")
    monkeypatch.setenv("DFD_CONFIG", str(broken))
    with pytest.raises(ValueError, match=r"broken\.toml"):
        Settings.resolve()

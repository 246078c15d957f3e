"""Audio settings: detectors and their options from AUDIO_* variables, limits from the
shared table."""

from __future__ import annotations

import pytest

from dd_audio.settings import AudioSettings


def test_detectors_and_nested_options_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIO_DETECTORS", "aasist")
    monkeypatch.setenv("AUDIO_DETECTOR_OPTIONS__AASIST__VARIANT", "AASIST-L")
    monkeypatch.setenv("DD_LIMIT_MAX_DURATION_S", "120")
    settings = AudioSettings()
    assert settings.detectors == ["aasist"]
    assert settings.detector_option_table() == {"aasist": {"variant": "AASIST-L"}}
    assert settings.max_duration_s == 120.0
    monkeypatch.setenv("AUDIO_MAX_DURATION_S", "30")  # the service's own override wins
    assert AudioSettings().max_duration_s == 30.0


def test_the_untrained_seed_cnn_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AudioSettings().detectors == ["aasist"]
    monkeypatch.setenv("AUDIO_DETECTORS", "aasist,spectrogram_cnn")
    assert AudioSettings().detectors == ["aasist", "spectrogram_cnn"]


def test_legacy_cnn_switch_still_turns_the_seed_cnn_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIO_DETECTORS", "aasist,spectrogram_cnn")
    monkeypatch.setenv("AUDIO_CNN", "false")
    assert AudioSettings().detectors == ["aasist"]

"""Fixtures for the evaluation tests: real speech and TTS from the shared media, and the
real audio analyzer (AASIST weights from `make models`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dd_eval.lengthsweep import load_16k

AUDIO_TEST_SETTINGS = {"detectors": ["aasist"], "spectrogram": False}


@pytest.fixture(scope="session")
def real_speech(shared_media: Path) -> list[Path]:
    clips = sorted((shared_media / "speech").glob("*.wav"))
    assert len(clips) >= 3, f"expected the shared real speech clips in {shared_media}/speech"
    return clips


@pytest.fixture(scope="session")
def tts_speech(shared_media: Path) -> list[Path]:
    clips = sorted((shared_media / "tts").glob("*.wav"))
    assert clips, f"expected the shared TTS clips in {shared_media}/tts"
    return clips


@pytest.fixture(scope="session")
def audio_analyzer(models_dir: Path):  # type: ignore[no-untyped-def]
    """Built as the audio service builds it; only AASIST (the untrained spectrogram CNN
    never counts in a score and would load TensorFlow)."""
    from dd_eval.backends import InProcessBackend

    backend = InProcessBackend(models_dir, 2, {"audio": AUDIO_TEST_SETTINGS})
    return backend.analyzer("audio")


@pytest.fixture(scope="session")
def clips_16k(real_speech: list[Path]) -> list[np.ndarray]:
    return [load_16k(p) for p in real_speech]

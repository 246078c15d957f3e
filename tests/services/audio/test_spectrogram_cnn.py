"""The seed CNN ships untrained; its training, saving and loading paths are real."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dd_audio.detectors.spectrogram_cnn import DEFAULT_WEIGHTS, SpectrogramCnnDetector
from dd_audio.windows import WINDOW
from dd_contracts import WeightsState


def _windows(n: int, seed: int) -> tuple[list[np.ndarray], list[int]]:
    """Two trivially separable classes: low hum (label 0) vs. bright hiss (label 1)."""
    rng = np.random.default_rng(seed)
    t = np.arange(WINDOW) / 16_000
    data, labels = [], []
    for i in range(n):
        if i % 2:
            data.append((0.1 * rng.standard_normal(WINDOW)).astype(np.float32))
        else:
            data.append((0.3 * np.sin(2 * np.pi * rng.uniform(100, 200) * t)).astype(np.float32))
        labels.append(i % 2)
    return data, labels


def test_untrained_without_a_weight_file(tmp_path: Path) -> None:
    detector = SpectrogramCnnDetector(tmp_path)
    assert detector.info.weights == WeightsState.untrained
    assert detector.info.sha256 is None
    detector.load()
    scores = detector.predict_batch(_windows(2, 0)[0])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)


def test_trained_weights_save_and_load_as_real(tmp_path: Path) -> None:
    trainer = SpectrogramCnnDetector(tmp_path)
    windows, labels = _windows(16, 1)
    trainer.fit(windows, labels, epochs=30)
    saved = trainer.save()
    assert saved == tmp_path / DEFAULT_WEIGHTS and saved.is_file()

    loaded = SpectrogramCnnDetector(tmp_path)
    assert loaded.info.weights == WeightsState.real and loaded.info.sha256
    loaded.load()
    test_windows, test_labels = _windows(6, 2)
    before = trainer.predict_batch(test_windows)
    after = loaded.predict_batch(test_windows)
    np.testing.assert_allclose(before, after, atol=1e-5)
    predicted = [int(p > 0.5) for p in after]
    assert predicted == test_labels

"""The untrained temporal model: runs, reports itself untrained, saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dd_contracts import WeightsState
from dd_video.temporal import WEIGHTS_PATH, TemporalConfig, TemporalDetector

TINY = TemporalConfig(input_size=32, channels=(4, 8), feature_dim=8, hidden=8, max_steps=5)


def crops(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (48, 48, 3), dtype=np.uint8) for _ in range(n)]


def test_ships_untrained_and_still_runs(tmp_path: Path) -> None:
    det = TemporalDetector(tmp_path, TINY)
    assert det.info.weights is WeightsState.untrained
    det.load()
    out = det.predict_batch([crops(3, 0), crops(9, 1)])  # 9 > max_steps: subsampled
    assert len(out) == 2 and all(0.0 <= p <= 1.0 for p in out)
    assert det.info.weights is WeightsState.untrained
    assert det.info.sha256 is None


def test_save_then_load_gives_the_same_numbers_and_real_weights(tmp_path: Path) -> None:
    first = TemporalDetector(tmp_path, TINY, seed=1)
    first.load()
    # Perturb one weight so that a fresh seeded model could not match by accident.
    with __import__("torch").no_grad():
        first.model.head.bias.add_(0.7)
    track = crops(4, 2)
    expected = first.predict_batch([track])[0]
    first.save(tmp_path / WEIGHTS_PATH)

    second = TemporalDetector(tmp_path, TemporalConfig(), seed=99)  # config comes from file
    assert second.info.weights is WeightsState.real
    second.load()
    assert second.config == TINY
    assert second.predict_batch([track])[0] == pytest.approx(expected, abs=1e-6)
    assert second.info.sha256 is not None


def test_mismatched_weights_are_refused(tmp_path: Path) -> None:
    det = TemporalDetector(tmp_path, TINY)
    det.load()
    det.save(tmp_path / WEIGHTS_PATH)
    import torch

    payload = torch.load(tmp_path / WEIGHTS_PATH, weights_only=True)
    payload["config"]["hidden"] = 16
    torch.save(payload, tmp_path / WEIGHTS_PATH)
    with pytest.raises(RuntimeError):
        TemporalDetector(tmp_path).load()


def test_empty_track_is_an_error(tmp_path: Path) -> None:
    det = TemporalDetector(tmp_path, TINY)
    det.load()
    with pytest.raises(ValueError):
        det.predict_batch([[]])

from __future__ import annotations

import numpy as np
import pytest

from dd_audio.aggregate import clip_score, suspicious


@pytest.mark.parametrize("n_windows", [3, 5, 10, 40, 200])
def test_one_loud_artefact_cannot_flip_a_real_clip(n_windows: int) -> None:
    rng = np.random.default_rng(n_windows)
    scores = list(rng.uniform(0.0, 0.2, n_windows))
    scores[n_windows // 2] = 1.0
    result = clip_score(scores)
    assert result is not None and result < 0.5


@pytest.mark.parametrize("n_windows", [4, 10, 40, 200])
def test_one_fake_sentence_in_a_long_real_clip_is_caught(n_windows: int) -> None:
    rng = np.random.default_rng(n_windows)
    scores = list(rng.uniform(0.0, 0.1, n_windows))
    middle = n_windows // 2
    scores[middle : middle + 2] = [0.85, 0.9]  # one sentence reaches two windows
    result = clip_score(scores)
    assert result is not None and result > 0.5
    # the plain mean, the rule we did not pick, misses it on long clips
    if n_windows >= 10:
        assert float(np.mean(scores)) < 0.5


def test_whole_fake_and_whole_real_clips() -> None:
    assert clip_score([0.97, 0.99, 0.95, 0.98]) == pytest.approx(0.98)
    assert clip_score([0.01, 0.02]) == pytest.approx(0.015)
    assert clip_score([]) is None


def test_suspicious_marks_scored_windows_over_threshold() -> None:
    assert suspicious([0.2, None, 0.7, 0.5]) == [False, False, True, False]

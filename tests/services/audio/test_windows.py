from __future__ import annotations

import itertools

import numpy as np
import pytest

from dd_audio import windows
from dd_audio.windows import WINDOW


def test_plan_covers_clip_and_aligns_last_window_to_end() -> None:
    n = 10 * 16_000 + 123
    spans = windows.plan(n, hop=48_450)
    assert spans[0] == (0, WINDOW)
    assert spans[-1][1] == n
    assert all(end - start == WINDOW for start, end in spans)
    # no gap between consecutive windows
    assert all(b[0] <= a[1] for a, b in itertools.pairwise(spans))


def test_plan_short_clip_is_one_window_and_bad_hop_rejected() -> None:
    assert windows.plan(16_000) == [(0, 16_000)]
    assert windows.plan(0) == []
    with pytest.raises(ValueError):
        windows.plan(100_000, hop=0)
    with pytest.raises(ValueError):
        windows.plan(100_000, hop=WINDOW + 1)


def test_extract_repeat_pads_short_clip() -> None:
    clip = np.arange(1000, dtype=np.float32)
    (window,) = windows.split(clip)
    out = windows.extract(clip, window)
    assert out.shape == (WINDOW,) and out.dtype == np.float32
    np.testing.assert_array_equal(out[1000:2000], clip)


def test_silence_windows_are_not_speech_and_sound_is() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(16_000 * 4) / 16_000
    voice = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    hiss = (1e-5 * rng.standard_normal(16_000 * 8)).astype(np.float32)
    clip = np.concatenate([hiss, voice, hiss])
    spans = windows.split(clip, hop=32_300)
    speech = [w.speech for w in spans]
    assert speech[0] is False and speech[-1] is False
    assert any(speech)
    assert 0.1 < windows.speech_ratio(clip) < 0.4
    assert not any(w.speech for w in windows.split(np.zeros(100_000, np.float32)))

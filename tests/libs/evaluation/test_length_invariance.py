"""Real AASIST through the audio analyzer: a real recording's clip P(fake) does not grow
with its length, and a synthetic passage inside a long real recording is reported as a
localised alert at its time (even though the clip is judged real)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dd_audio.aggregate import find_alerts
from dd_eval.lengthsweep import RATE, concatenate, load_16k, write_wav

pytestmark = pytest.mark.weights
TOLERANCE = 0.05


def _p(analyzer, path: Path) -> float:  # type: ignore[no-untyped-def]
    result = analyzer.analyze(path)
    assert result.fake_probability is not None
    return float(result.fake_probability)


def test_joining_real_clips_does_not_raise_the_clip_score(
    audio_analyzer,
    clips_16k: list[np.ndarray],
    real_speech: list[Path],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    parts = [_p(audio_analyzer, p) for p in real_speech]
    ceiling = float(np.median(parts)) + TOLERANCE
    for n in (1, 5, 20):
        joined = concatenate([clips_16k[i % len(clips_16k)] for i in range(n)], seed=n)
        p = _p(audio_analyzer, write_wav(joined, tmp_path / f"x{n}.wav"))
        assert p <= ceiling, (
            f"{n} joined real clips: P(fake) {p:.3f} > median of parts + tol {ceiling:.3f}"
        )


def test_tts_passage_in_a_two_minute_real_recording_is_an_alert_at_its_time(
    audio_analyzer,
    clips_16k: list[np.ndarray],
    tts_speech: list[Path],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    real = concatenate(clips_16k * 12)
    assert len(real) >= 120 * RATE
    tts = load_16k(tts_speech[0])
    passage = np.concatenate([tts] * (int(10 * RATE / len(tts)) + 1))[: 10 * RATE]
    at = 60 * RATE
    audio = np.concatenate([real[:at], passage, real[at : 120 * RATE - len(passage)]])
    result = audio_analyzer.analyze(write_wav(audio, tmp_path / "splice.wav"))
    assert result.evidence is not None
    windows = result.evidence.windows
    alerts = find_alerts(
        [(w.start_s, w.end_s) for w in windows], [w.fake_probability for w in windows]
    )
    assert len(alerts) == 1, f"expected one alert, got {alerts}"
    alert = alerts[0]
    assert alert.start_s < 70 and alert.end_s > 60  # overlaps the passage
    assert abs((alert.start_s + alert.end_s) / 2 - 65) <= 5  # centred on it (+- 5 s)
    assert alert.end_s - alert.start_s <= 20  # not smeared over the recording
    assert alert.score > 0.5
    # the clip as a whole: 10 s of 120 is not enough to call the recording fake
    assert (result.fake_probability or 0) < 0.5
    served = getattr(result.evidence, "alerts", None)
    if served:  # once the analyzer reports alerts itself, they must be this one
        assert len(served) == 1 and served[0].start_s == pytest.approx(alert.start_s)

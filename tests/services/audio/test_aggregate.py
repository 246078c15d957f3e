"""Clip score (interquartile logit mean) and localised alerts (runs of suspicious windows).

Unit tests on synthetic window scores; the same properties on real AASIST window scores of
real recordings are tested in tests/libs/evaluation/test_length_invariance.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from dd_audio.aggregate import clip_score, find_alerts, suspicious, trimmed_logit_mean


@pytest.mark.parametrize("n_windows", [3, 5, 10, 40, 200])
def test_one_loud_artefact_cannot_flip_a_real_clip(n_windows: int) -> None:
    rng = np.random.default_rng(n_windows)
    scores = list(rng.uniform(0.0, 0.2, n_windows))
    scores[n_windows // 2] = 1.0
    result = clip_score(scores)
    assert result is not None and result < 0.2


@pytest.mark.parametrize("n_windows", [8, 40, 200])
def test_a_quarter_of_noisy_windows_cannot_flip_a_real_clip(n_windows: int) -> None:
    rng = np.random.default_rng(n_windows)
    scores = rng.uniform(0.0, 0.1, n_windows)
    scores[: n_windows // 4] = 0.99
    rng.shuffle(scores)
    result = clip_score(list(scores))
    assert result is not None and result < 0.2


def test_false_alarm_rate_does_not_grow_with_length() -> None:
    """Windows of real speech drawn i.i.d. from a noisy distribution (10 % of windows
    strongly 'fake'): with top-3 the share of clips judged fake rises with length; with
    the trimmed rule it falls."""
    rng = np.random.default_rng(0)

    def far(n_windows: int, rule: str) -> float:
        flips = 0
        for _ in range(400):
            noisy = rng.random(n_windows) < 0.10
            scores = np.where(
                noisy, rng.uniform(0.6, 0.99, n_windows), rng.uniform(0, 0.2, n_windows)
            )
            if rule == "top3":
                p = float(np.mean(np.sort(scores)[-3:]))
            else:
                p = clip_score(list(scores)) or 0.0
            flips += p >= 0.5
        return flips / 400

    assert far(40, "top3") > far(4, "top3")  # the old rule's defect, reproduced
    assert far(40, "trimmed") <= far(4, "trimmed") <= 0.05
    assert far(100, "trimmed") == 0.0


def test_whole_fake_and_whole_real_clips() -> None:
    assert clip_score([0.97, 0.99, 0.95, 0.98]) == pytest.approx(0.975, abs=0.01)
    assert clip_score([0.999] * 30) == pytest.approx(0.999, abs=1e-6)
    assert clip_score([0.01, 0.02]) == pytest.approx(0.0144, abs=1e-3)
    assert clip_score([]) is None
    assert clip_score([None, 0.3]) == pytest.approx(0.3)


def test_three_windows_give_their_median() -> None:
    assert trimmed_logit_mean([0.1, 0.5, 0.99]) == pytest.approx(0.0)


def test_suspicious_marks_scored_windows_over_threshold() -> None:
    assert suspicious([0.2, None, 0.7, 0.5]) == [False, False, True, False]


def _spans(n: int, hop: float = 3.03, size: float = 4.04) -> list[tuple[float, float]]:
    return [(i * hop, i * hop + size) for i in range(n)]


def test_a_run_of_suspicious_windows_is_one_alert_at_its_time() -> None:
    scores: list[float | None] = [0.05] * 40
    scores[20:23] = [0.99, 0.97, 0.8]
    alerts = find_alerts(_spans(40), scores)
    assert len(alerts) == 1
    alert = alerts[0]
    # narrowed by what the clean neighbours 19 and 23 also covered
    assert alert.start_s == pytest.approx(19 * 3.03 + 4.04)
    assert alert.end_s == pytest.approx(23 * 3.03)
    assert alert.score == pytest.approx(0.97)
    assert alert.windows == 3
    # ...even though the clip as a whole is judged real
    assert (clip_score(scores) or 1.0) < 0.2


def test_isolated_windows_and_silence_gaps_raise_no_alert() -> None:
    scores: list[float | None] = [0.05, 0.95, 0.05, 0.99, None, 0.98, 0.1]
    assert find_alerts(_spans(7), scores) == []


def test_alert_length_threshold() -> None:
    scores: list[float | None] = [0.99, 0.99, 0.1]
    alerts = find_alerts(_spans(3), scores, min_duration_s=7.0)
    assert len(alerts) == 1  # the length test is on the windows' span (7.07 s)...
    # ...and reported narrowed by the clean neighbour
    assert alerts[0].start_s == 0.0 and alerts[0].end_s == pytest.approx(6.06)
    assert find_alerts(_spans(3), scores, min_duration_s=7.1) == []
    with pytest.raises(ValueError):
        find_alerts(_spans(2), scores)


def test_a_run_of_merely_noisy_windows_is_no_alert() -> None:
    """Real speech produced runs of two windows with median 0.88-0.91 (length sweep);
    synthetic passages score ~0.9999. The median floor separates them."""
    spans = _spans(6)
    assert find_alerts(spans, [0.1, 0.86, 0.91, 0.1, 0.1, 0.1]) == []
    assert len(find_alerts(spans, [0.1, 0.9999, 0.99999, 0.1, 0.1, 0.1])) == 1
    assert len(find_alerts(spans, [0.1, 0.86, 0.91, 0.1, 0.1, 0.1], min_score=0.8)) == 1

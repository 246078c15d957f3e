"""Confident strategy per track, most suspicious track per video."""

from __future__ import annotations

import pytest

from dd_video.aggregate import confident_strategy, describe, score_video


def test_confident_fakes_are_averaged_on_their_own() -> None:
    scores = [0.9, 0.95, 0.85, 0.1, 0.2, 0.3]
    p, rule = confident_strategy(scores)
    assert rule == "confident-fake"
    assert p == pytest.approx(0.9)
    assert p > sum(scores) / len(scores)


def test_too_few_confident_fakes_fall_back_to_the_mean() -> None:
    p, rule = confident_strategy([0.9, 0.95, 0.3, 0.4, 0.3, 0.5])
    assert rule == "mean"
    assert p == pytest.approx(sum([0.9, 0.95, 0.3, 0.4, 0.3, 0.5]) / 6)


def test_confidently_real_track() -> None:
    scores = [0.05] * 19 + [0.6]
    p, rule = confident_strategy(scores)
    assert rule == "confident-real"
    assert p == pytest.approx(0.05)


def test_min_confident_floor_applies_to_short_tracks() -> None:
    assert confident_strategy([0.9, 0.9, 0.1, 0.1])[1] == "mean"
    assert confident_strategy([0.9, 0.9, 0.1, 0.1], min_confident=2)[1] == "confident-fake"
    # ...and 2 of 5 is not over 40 %.
    assert confident_strategy([0.9, 0.9, 0.1, 0.1, 0.1], min_confident=2)[1] == "mean"


def test_empty_track_is_an_error() -> None:
    with pytest.raises(ValueError):
        confident_strategy([])


def test_video_takes_the_most_suspicious_track() -> None:
    video = score_video({0: [0.1, 0.1, 0.2], 1: [0.9, 0.9, 0.95]})
    assert video.track_id == 1
    assert video.fake_probability == pytest.approx(0.9166, abs=1e-3)
    assert [t.sample_scores for t in video.tracks] == [(0.1, 0.1, 0.2), (0.9, 0.9, 0.95)]


def test_single_sample_track_cannot_outvote_a_long_one() -> None:
    video = score_video({0: [0.1, 0.15, 0.1, 0.12], 7: [0.99]})
    assert video.track_id == 0
    # ...unless it is the only kind of track there is.
    assert score_video({3: [0.7], 4: [0.2]}).track_id == 3


def test_description_names_the_thresholds() -> None:
    text = describe()
    assert "0.8" in text and "0.2" in text and "most suspicious" in text


def test_short_tracks_in_a_long_video_do_not_compete() -> None:
    """A long real video collects brief spurious tracks; a track seen in under a quarter
    of the longest track's samples cannot decide the video, however many there are."""
    tracks: dict[int, list[float]] = {0: [0.1] * 40}
    for i in range(1, 8):
        tracks[i] = [0.9, 0.95, 0.85]  # 3-sample flickers
    assert score_video(tracks).track_id == 0
    # the same flicker against a 6-sample main track is long enough to count
    assert score_video({0: [0.1] * 6, 1: [0.9, 0.95, 0.85]}).track_id == 1

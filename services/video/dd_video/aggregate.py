"""From per-sample face scores to a score per track and one score for the video.

Per track: the "confident strategy" of the DFDC winner (Selim Seferbekov, 2020):

* if at least ``min_confident`` samples, and more than 40 % of them (n / 2.5), are
  confidently fake (P(fake) > 0.8), the track's score is the mean of those samples: a
  deepfake is often only visible in some frames (blending fails when the head turns), and
  averaging them with the clean-looking ones would wash the evidence out;
* else, if more than 90 % of the samples are confidently real (P(fake) < 0.2), the mean
  of those;
* else the plain mean of all samples.

The winner used 32 frames and required more than 11 confident fakes; our clips are often
a few seconds (a handful of samples at 1 fps), so the absolute floor is ``min_confident``
(default 3) and the 40 % rule does the rest.

Per video: the most suspicious track wins (one forged face makes the video a forgery).
Tracks seen in fewer than ``min_track_samples`` samples are ignored when a longer track
exists: a single-sample track is usually a detector false positive (a face on a poster, a
pattern), and one wild score from it should not decide the video.

Length: a maximum over tracks is a maximum-like statistic, so on its own a long real
video (more samples -> more spurious short tracks) would be judged fake more often than a
short one. Two things keep the false-alarm rate from growing with length: every per-track
rule above is a *share* of the track's samples (never "any k samples"), and a track only
competes for the maximum when it was seen in at least ``min_track_share`` (25 %) of the
samples of the longest track, so the number of competing tracks does not grow with the
video's length. A forged face is on screen for a good part of a forgery; a 2-sample
flicker in a 10-minute real video is not evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENT_FAKE = 0.8
CONFIDENT_REAL = 0.2
MIN_TRACK_SHARE = 0.25


@dataclass(frozen=True)
class TrackScore:
    track_id: int
    fake_probability: float
    samples: int
    rule: str  # 'confident-fake', 'confident-real' or 'mean'
    sample_scores: tuple[float, ...]


@dataclass(frozen=True)
class VideoScore:
    fake_probability: float
    track_id: int
    tracks: tuple[TrackScore, ...]


def confident_strategy(
    scores: Sequence[float],
    fake_threshold: float = CONFIDENT_FAKE,
    real_threshold: float = CONFIDENT_REAL,
    min_confident: int = 3,
) -> tuple[float, str]:
    """One track's P(fake) and the rule that produced it (see module docstring)."""
    if not scores:
        raise ValueError("a track needs at least one score")
    p = np.asarray(scores, dtype=np.float64)
    n = len(p)
    fakes = p[p > fake_threshold]
    if len(fakes) >= min_confident and len(fakes) > n / 2.5:
        return float(fakes.mean()), "confident-fake"
    reals = p[p < real_threshold]
    if len(reals) > 0.9 * n:
        return float(reals.mean()), "confident-real"
    return float(p.mean()), "mean"


def score_video(
    track_samples: Mapping[int, Sequence[float]],
    min_track_samples: int = 2,
    min_confident: int = 3,
    min_track_share: float = MIN_TRACK_SHARE,
) -> VideoScore:
    """Score every track, then take the most suspicious eligible one."""
    if not track_samples:
        raise ValueError("no tracks to score")
    tracks = []
    for track_id, scores in sorted(track_samples.items()):
        p, rule = confident_strategy(scores, min_confident=min_confident)
        tracks.append(TrackScore(track_id, p, len(scores), rule, tuple(float(s) for s in scores)))
    longest = max(t.samples for t in tracks)
    floor = min(max(min_track_samples, math.ceil(min_track_share * longest)), longest)
    eligible = [t for t in tracks if t.samples >= floor]
    worst = max(eligible, key=lambda t: (t.fake_probability, t.samples))
    return VideoScore(worst.fake_probability, worst.track_id, tuple(tracks))


def describe(min_track_samples: int = 2, min_confident: int = 3) -> str:
    """The aggregation rule in words, for the evidence panel."""
    return (
        "Each face track is scored with the DFDC 'confident strategy': if at least "
        f"{min_confident} samples and over 40% of them have P(fake) > {CONFIDENT_FAKE}, their "
        f"mean; else if over 90% have P(fake) < {CONFIDENT_REAL}, their mean; else the mean "
        "of all samples. The video takes the most suspicious track seen in at least "
        f"{min_track_samples} samples and in at least {MIN_TRACK_SHARE:.0%} as many samples "
        "as the longest track (any track if none is that long)."
    )

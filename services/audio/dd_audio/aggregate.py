"""From window scores to one clip score, plus localised alerts.

Two separate questions, two separate rules.

1. Is the recording as a whole synthetic? -> ``clip_score``: the *interquartile mean* of
   the speech windows' logits (sort the window logits, drop the lowest and highest
   quarter, average the rest; n = 1..2 windows: their mean, n = 3: the median), mapped
   back to a probability.

   Why: the previous rule, the mean of the 3 highest windows, is a maximum-like statistic:
   the more windows a real recording has, the more likely three of them are noisy, so its
   false-alarm rate grew with length (a real 113 s audiobook read as fake 0.88 from 37
   windows ranging 0.00-0.92). A trimmed central statistic converges to the typical window
   as the clip gets longer instead of to its worst tail, and a single noisy window (or up
   to a quarter of them) cannot move it at all. Averaging logits, not probabilities, keeps
   a whole-synthetic clip (every window ~0.999) at ~0.999 and a whole-real clip near 0.
   Measured through the gateway on real test-split speech of the eval corpus joined into
   recordings of 1, 5 and 20 clips (2, 14 and 54 s; 5 each; ``dfd evaluate
   --length-sweep``): judged fake by the old top-3 rule 40 %, 40 %, 80 %; by this rule
   40 %, 0 %, 0 % (the 1-clip cases are 1.5 s clips AASIST scores 1.0, which fusion labels
   uncertain for lack of speech). Details in eval/README.md.

2. Is there a synthetic *passage* inside it? -> ``find_alerts``: any run of consecutive
   speech windows that are all suspicious (P(fake) >= ``alert_threshold``, 0.5), together
   cover at least ``min_alert_s`` seconds (6 s) and have a median P(fake) of at least
   ``min_alert_score`` (0.95) is one alert {start_s, end_s, score}, whether or not the clip
   as a whole is judged fake. With 4.04 s windows every 3.03 s, that means two consecutive
   suspicious windows (7.07 s): a single noisy window never raises one. The median floor
   is measured: in 5 real recordings of ~54 s (20 joined real clips each), 2 held a run of
   two windows >= 0.5, with medians 0.88 and 0.91; a 10 s espeak-ng passage spliced into a
   120 s real recording gave a run with median 0.99999 (bench/results/eval, length
   sweep). The alert score is the run's median; its start and end leave out the parts the
   clean neighbouring windows also covered.

The parameters (trim, alert threshold, alert length) are fitted by ``dfd calibrate`` and
stored in the calibration file; the defaults here are what that fit chose on the corpus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TRIM = 0.25  # fraction dropped at each end (0.25 = interquartile mean)
ALERT_THRESHOLD = 0.5
MIN_ALERT_SCORE = 0.95
MIN_ALERT_S = 6.0
LOGIT_CLIP = 9.0  # |logit| cap: one window at P = 1 - 1e-12 must not dominate a mean
RULE = (
    "interquartile mean of the speech windows' logits (lowest and highest quarter "
    "dropped): one or a few noisy windows cannot flip the clip, and a long real recording "
    "does not drift towards fake; fake passages are reported separately as alerts "
    "(runs of suspicious windows covering >= 6 s with a median P(fake) >= 0.95)"
)


@dataclass(frozen=True)
class Alert:
    """A run of consecutive suspicious windows: where, and how suspicious (median P)."""

    start_s: float
    end_s: float
    score: float
    windows: int


def logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.clip(np.log(q) - np.log1p(-q), -LOGIT_CLIP, LOGIT_CLIP)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def trimmed_logit_mean(scores: Sequence[float], trim: float = TRIM) -> float:
    """Mean logit after dropping ``floor(trim * n)`` windows at each end (at least one
    when n >= 3, so three windows give their median)."""
    z = np.sort(logit(np.asarray(scores, dtype=np.float64)))
    n = z.size
    k = math.floor(trim * n)
    if n >= 3 and trim > 0:
        k = max(k, 1)
    k = min(k, (n - 1) // 2)
    return float(np.mean(z[k : n - k]))


def clip_score(window_scores: Sequence[float | None], trim: float = TRIM) -> float | None:
    """The clip's P(fake) from its scored windows; None when no window was scored."""
    scores = [float(s) for s in window_scores if s is not None]
    if not scores:
        return None
    return sigmoid(trimmed_logit_mean(scores, trim))


def suspicious(window_scores: Sequence[float | None], threshold: float = 0.5) -> list[bool]:
    """Which windows to shade in the spectrogram: scored, and above the threshold."""
    return [s is not None and s > threshold for s in window_scores]


def find_alerts(
    spans_s: Sequence[tuple[float, float]],
    window_scores: Sequence[float | None],
    threshold: float = ALERT_THRESHOLD,
    min_duration_s: float = MIN_ALERT_S,
    min_score: float = MIN_ALERT_SCORE,
) -> list[Alert]:
    """Runs of consecutive windows with P(fake) >= ``threshold`` covering >= ``min_duration_s``
    whose median P(fake) is >= ``min_score``.

    ``spans_s`` are the windows' (start_s, end_s) in time order, ``window_scores`` their
    P(fake) (None = not speech, which breaks a run).
    """
    if len(spans_s) != len(window_scores):
        raise ValueError("one score per window span is needed")
    alerts: list[Alert] = []
    run: list[int] = []

    def close() -> None:
        if run:
            first, last = run[0], run[-1]
            start, end = spans_s[first][0], spans_s[last][1]
            if end - start >= min_duration_s:
                # Narrow the span by the overlap with unsuspicious neighbours: what made
                # the run suspicious is not in the part a clean neighbour also covered.
                if first > 0 and spans_s[first - 1][1] > start:
                    start = min(spans_s[first - 1][1], spans_s[first][1])
                if last + 1 < len(spans_s) and spans_s[last + 1][0] < end:
                    end = max(spans_s[last + 1][0], spans_s[last][0])
                median = float(np.median([float(window_scores[i] or 0.0) for i in run]))
                if median >= min_score:
                    alerts.append(Alert(start, end, median, len(run)))
        run.clear()

    for i, score in enumerate(window_scores):
        if score is not None and score >= threshold:
            run.append(i)
        else:
            close()
    close()
    return alerts

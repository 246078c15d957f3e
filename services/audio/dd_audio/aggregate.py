"""From window scores to one clip score.

Rule: the clip's P(fake) is the mean of its k = 3 highest speech-window scores (the mean
of all of them when there are fewer than 3).

Why this rule and this k:
- One loud artefact cannot flip a clip. A single window scoring 1.0 among real windows
  scoring at most r moves the clip to at most (1 + 2r) / 3: below 0.5 whenever r < 0.25,
  and AASIST scores real speech far lower than that (<= 0.17 on our shared clips).
- A long real clip with one fake passage is still caught. Two windows scoring >= 0.8 give
  at least (0.8 + 0.8 + 0) / 3 > 0.53 however long the clip is, because k is a fixed
  count, not a share of the windows (a top-10 % mean would dilute with length). AASIST
  fills two windows with fake scores for >= ~5 s of synthetic speech (see ``windows.py``).
- The price: a single short (~3 s) synthetic sentence that AASIST sees in one window only
  is, to this rule, indistinguishable from one loud artefact. The analyzer then keeps the
  clip score but adds the flag 'isolated_fake_window' and the window stays marked.
- A whole synthetic clip scores its ordinary mean-of-top-3, i.e. high.
A plain mean fails the second property; a plain max fails the first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOP_K = 3
RULE = (
    "mean of the 3 highest speech-window P(fake) scores (all windows when fewer): "
    "one outlier window cannot flip the clip, two fake windows anywhere can"
)


def clip_score(window_scores: Sequence[float], k: int = TOP_K) -> float | None:
    """Mean of the ``k`` highest scores; None when no window was scored."""
    scores = np.asarray([s for s in window_scores if s is not None], dtype=np.float64)
    if scores.size == 0:
        return None
    top = np.sort(scores)[-min(k, scores.size) :]
    return float(np.mean(top))


def suspicious(window_scores: Sequence[float | None], threshold: float = 0.5) -> list[bool]:
    """Which windows to shade in the spectrogram: scored, and above the threshold."""
    return [s is not None and s > threshold for s in window_scores]

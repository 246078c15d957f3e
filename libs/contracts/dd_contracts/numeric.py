"""The one logit and sigmoid every package uses (fusion, face ensembles, calibration)."""

from __future__ import annotations

import math

# Probabilities are clipped to [EPS, 1 - EPS] before the logit: a detector that answers
# exactly 0 or 1 must not produce an infinite logit that no other evidence can outweigh.
EPS = 1e-6


def logit(p: float, eps: float = EPS) -> float:
    p = min(1.0 - eps, max(eps, p))
    return math.log(p / (1.0 - p))


def sigmoid(x: float) -> float:
    # Split by sign so that exp never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)

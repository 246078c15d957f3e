"""Fit calibration maps (Platt, temperature, isotonic) and pick one by held-out loss.

All fits weight the two classes equally (each class's weights sum to 1/2), so a
calibrated P(fake) = 0.5 means "as likely fake as real" whatever the corpus's
real/fake mix; that is the prior a user's upload should be judged under.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dd_eval import metrics
from dd_eval.calibration import LOGIT_CAP, apply_params

METHODS = ("identity", "temperature", "platt", "isotonic")


def _logits(p: Sequence[float] | np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.clip(np.log(q / (1 - q)), -LOGIT_CAP, LOGIT_CAP)


def balanced_weights(y: np.ndarray) -> np.ndarray:
    n_fake, n_real = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    return np.where(y == 1, 0.5 / n_fake, 0.5 / n_real)


def _logistic(
    z: np.ndarray, y: np.ndarray, w: np.ndarray, with_bias: bool, ridge: float = 1e-2
) -> tuple[float, float]:
    """Weighted logistic regression of y on z (slope a, bias b), with Platt's target
    smoothing and a small ridge towards a = 1, so near-separable data (the usual case for
    a good detector) gives a finite slope instead of running off to infinity."""
    from scipy.optimize import minimize

    n_fake, n_real = int(y.sum()), int((1 - y).sum())
    t = np.where(y == 1, (n_fake + 1) / (n_fake + 2), 1 / (n_real + 2))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = theta[0], theta[1] if with_bias else 0.0
        x = np.clip(a * z + b, -30, 30)
        s = 1 / (1 + np.exp(-x))
        value = np.sum(w * (np.logaddexp(0, x) - t * x)) + 0.5 * ridge * (a - 1) ** 2
        g = w * (s - t)
        grad = np.array([np.sum(g * z) + ridge * (a - 1), np.sum(g) if with_bias else 0.0])
        return float(value), grad

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = float(result.x[0]), float(result.x[1]) if with_bias else 0.0
    return a, b


def fit_platt(p: Sequence[float], y: Sequence[int]) -> dict[str, Any]:
    yy = np.asarray(y, dtype=np.int64)
    a, b = _logistic(_logits(p), yy, balanced_weights(yy), with_bias=True)
    return {"method": "platt", "a": round(a, 6), "b": round(b, 6)}


def fit_temperature(p: Sequence[float], y: Sequence[int]) -> dict[str, Any]:
    yy = np.asarray(y, dtype=np.int64)
    a, _ = _logistic(_logits(p), yy, balanced_weights(yy), with_bias=False)
    a = max(a, 1e-3)
    return {"method": "temperature", "a": round(a, 6), "b": 0.0, "T": round(1 / a, 6)}


def fit_isotonic(p: Sequence[float], y: Sequence[int]) -> dict[str, Any]:
    """Pool-adjacent-violators on logits (class-balanced weights), knots at block means;
    outputs kept inside [1 / (n + 2), 1 - 1 / (n + 2)] so no answer is ever 0 or 1."""
    z = _logits(p)
    yy = np.asarray(y, dtype=np.float64)
    w = balanced_weights(yy.astype(np.int64))
    order = np.argsort(z, kind="mergesort")
    blocks: list[list[float]] = []  # [sum_wy, sum_w, sum_wz]
    for i in order:
        blocks.append([w[i] * yy[i], w[i], w[i] * z[i]])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][k] + last[k] for k in range(3)]
    eps = 1 / (len(yy) + 2)
    xs = [blk[2] / blk[1] for blk in blocks]
    ys = [min(max(blk[0] / blk[1], eps), 1 - eps) for blk in blocks]
    return {"method": "isotonic", "x": [round(v, 6) for v in xs], "y": [round(v, 6) for v in ys]}


FITTERS = {"platt": fit_platt, "temperature": fit_temperature, "isotonic": fit_isotonic}


def fit(method: str, p: Sequence[float], y: Sequence[int]) -> dict[str, Any]:
    return {"method": "identity"} if method == "identity" else FITTERS[method](p, y)


def apply_all(params: dict[str, Any], p: Sequence[float]) -> np.ndarray:
    return np.asarray([apply_params(params, float(x)) for x in p])


def balanced_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Log-loss with each class weighted 1/2 (the same prior the fit assumes)."""
    losses = []
    for cls in (0, 1):
        mask = y == cls
        if mask.any():
            losses.append(metrics.log_loss(y[mask], p[mask]))
    return float(np.mean(losses)) if losses else 0.0


def compare(
    p_fit: Sequence[float], y_fit: Sequence[int], p_held: Sequence[float], y_held: Sequence[int]
) -> dict[str, Any]:
    """Fit every method on one split, measure on the other; pick the lowest held-out
    class-balanced log-loss (ECE reported beside it)."""
    yh = np.asarray(y_held, dtype=np.int64)
    rows = {}
    for method in METHODS:
        params = fit(method, p_fit, y_fit)
        ph = apply_all(params, p_held)
        rows[method] = {
            "params": params,
            "held_out_log_loss": round(balanced_log_loss(yh, ph), 4),
            "held_out_ece": round(metrics.ece(yh, ph), 4),
            "held_out_brier": round(metrics.brier(yh, ph), 4),
        }
    best = min(METHODS, key=lambda m: (rows[m]["held_out_log_loss"], METHODS.index(m)))
    return {"best": best, "methods": rows}

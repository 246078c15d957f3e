"""Binary detection metrics in plain numpy (label 1 = fake, score = P(fake)).

Ranking metrics (ROC AUC, average precision, EER) use the scores; the operating-point
metrics use hard labels (fake / real / uncertain): an ``uncertain`` answer is neither a
false alarm nor a detection, and the share of them is reported as ``uncertain_rate``.
The implementations follow scikit-learn's definitions and are tested against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FAKE, REAL, UNCERTAIN = "fake", "real", "uncertain"


def _arrays(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    yy = np.asarray(y, dtype=np.int64)
    pp = np.asarray(p, dtype=np.float64)
    if yy.shape != pp.shape or yy.ndim != 1:
        raise ValueError("labels and scores must be 1-D and of the same length")
    return yy, pp


def roc_curve(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), one point per distinct score, starting at (0, 0)."""
    yy, pp = _arrays(y, p)
    order = np.argsort(-pp, kind="mergesort")
    ys, ps = yy[order], pp[order]
    distinct = np.r_[np.nonzero(np.diff(ps))[0], ys.size - 1]
    tps = np.cumsum(ys)[distinct]
    fps = (distinct + 1) - tps
    pos, neg = max(int(yy.sum()), 1), max(int((1 - yy).sum()), 1)
    fpr = np.r_[0.0, fps / neg]
    tpr = np.r_[0.0, tps / pos]
    return fpr, tpr, np.r_[np.inf, ps[distinct]]


def roc_auc(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float | None:
    yy, _ = _arrays(y, p)
    if yy.size == 0 or yy.min() == yy.max():
        return None  # undefined with one class
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.trapezoid(tpr, fpr))


def precision_recall_curve(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) at each distinct threshold, highest threshold first."""
    yy, pp = _arrays(y, p)
    order = np.argsort(-pp, kind="mergesort")
    ys, ps = yy[order], pp[order]
    distinct = np.r_[np.nonzero(np.diff(ps))[0], ys.size - 1]
    tps = np.cumsum(ys)[distinct]
    predicted = distinct + 1
    precision = tps / predicted
    recall = tps / max(int(yy.sum()), 1)
    return precision, recall


def average_precision(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray
) -> float | None:
    """Sum over thresholds of (R_n - R_{n-1}) * P_n, as scikit-learn (no interpolation)."""
    yy, _ = _arrays(y, p)
    if yy.sum() == 0:
        return None
    precision, recall = precision_recall_curve(y, p)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def eer(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float | None:
    """Equal error rate: where the false-alarm rate equals the miss rate on the ROC
    (linear interpolation between the two ROC points that bracket the crossing)."""
    yy, _ = _arrays(y, p)
    if yy.size == 0 or yy.min() == yy.max():
        return None
    fpr, tpr, _ = roc_curve(y, p)
    fnr = 1.0 - tpr
    diff = fpr - fnr  # increasing along the curve: -1 at the start, +1 at the end
    i = int(np.nonzero(diff >= 0)[0][0])
    if i == 0 or diff[i] == 0:
        return float(fpr[i])
    t = -diff[i - 1] / (diff[i] - diff[i - 1])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def ece(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: sum over equal-width bins of |mean p - share fake| x
    bin share (the last bin includes 1.0)."""
    yy, pp = _arrays(y, p)
    if yy.size == 0:
        return 0.0
    idx = np.minimum((pp * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.mean() * abs(pp[mask].mean() - yy[mask].mean())
    return float(total)


def reliability(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Per bin: mean predicted P(fake), observed share of fakes, count (empty bins left out)."""
    yy, pp = _arrays(y, p)
    idx = np.minimum((pp * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            out.append(
                {
                    "lo": b / bins,
                    "hi": (b + 1) / bins,
                    "mean_p": float(pp[mask].mean()),
                    "share_fake": float(yy[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    return out


def brier(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float:
    yy, pp = _arrays(y, p)
    return float(np.mean((pp - yy) ** 2)) if yy.size else 0.0


def log_loss(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, eps: float = 1e-6
) -> float:
    yy, pp = _arrays(y, p)
    q = np.clip(pp, eps, 1 - eps)
    return float(-np.mean(yy * np.log(q) + (1 - yy) * np.log1p(-q))) if yy.size else 0.0


def labels_at(
    p: Sequence[float] | np.ndarray, threshold: float = 0.5, band: float = 0.0
) -> list[str]:
    """Hard labels at an operating point: |p - threshold| < band is uncertain."""
    return [
        UNCERTAIN if abs(x - threshold) < band else (FAKE if x >= threshold else REAL)
        for x in np.asarray(p, dtype=np.float64)
    ]


def operating_point(y: Sequence[int] | np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, false-alarm and detection rate, confusion counts.

    Rates are over all items of a class (an uncertain answer counts as neither), so
    ``false_alarm_rate`` is "real media called fake" and ``detection_rate`` "fakes called
    fake"; accuracy counts an uncertain answer as wrong.
    """
    yy = np.asarray(y, dtype=np.int64)
    lab = np.asarray(labels)
    fake, real = lab == FAKE, lab == REAL
    tp = int(np.sum(fake & (yy == 1)))
    fp = int(np.sum(fake & (yy == 0)))
    tn = int(np.sum(real & (yy == 0)))
    fn = int(np.sum(real & (yy == 1)))
    unc_real = int(np.sum((lab == UNCERTAIN) & (yy == 0)))
    unc_fake = int(np.sum((lab == UNCERTAIN) & (yy == 1)))
    n_real, n_fake = int(np.sum(yy == 0)), int(np.sum(yy == 1))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / n_fake if n_fake else None
    f1 = (
        (2 * precision * recall / (precision + recall))
        if precision and recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    return {
        "n": int(yy.size),
        "n_real": n_real,
        "n_fake": n_fake,
        "accuracy": (tp + tn) / yy.size if yy.size else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_alarm_rate": fp / n_real if n_real else None,
        "detection_rate": tp / n_fake if n_fake else None,
        "uncertain_rate": (unc_real + unc_fake) / yy.size if yy.size else None,
        "confusion": {
            "real": {"real": tn, "uncertain": unc_real, "fake": fp},
            "fake": {"real": fn, "uncertain": unc_fake, "fake": tp},
        },
    }


def all_metrics(
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    labels: Sequence[str] | None = None,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Every metric of the report for one set of (label, score[, hard label])."""
    yy, pp = _arrays(y, p)
    hard = list(labels) if labels is not None else labels_at(pp, threshold)
    out: dict[str, Any] = {
        "roc_auc": roc_auc(yy, pp),
        "average_precision": average_precision(yy, pp),
        "eer": eer(yy, pp),
        "ece": ece(yy, pp) if yy.size else None,
        "brier": brier(yy, pp) if yy.size else None,
        "log_loss": log_loss(yy, pp) if yy.size else None,
        "threshold": threshold,
    }
    out.update(operating_point(yy, hard))
    return out

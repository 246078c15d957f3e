"""Face crops through every configured face classifier, as one FaceScore per crop.

A classifier may answer a bare P(fake) (one model) or a FaceScore (an ensemble with its
members' scores). With several classifiers the face is as suspicious as its most
suspicious classifier with real weights, the same rule the MesoNet ensemble applies
across manipulation families; untrained classifiers are listed in ``per_model`` but never
decide the score unless nothing else ran (the analyzer then reports ``untrained``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dd_face.types import FaceScore
from dd_inference import Detector, counts


def _as_face_scores(detector: Detector[Any, Any], values: Sequence[Any]) -> list[FaceScore]:
    name = detector.info.name
    out = []
    for value in values:
        if isinstance(value, FaceScore):
            out.append(value)
        else:
            p = float(value)
            out.append(FaceScore(p, {name: p}))
    return out


def classify_faces(
    classifiers: Sequence[Detector[Any, Any]], crops: Sequence[np.ndarray]
) -> list[FaceScore]:
    if not crops or not classifiers:
        return []
    per_classifier = [(c, _as_face_scores(c, c.predict_batch(crops))) for c in classifiers]
    deciding = [scores for c, scores in per_classifier if counts(c.info)] or [
        scores for _, scores in per_classifier
    ]
    combined = []
    for i in range(len(crops)):
        per_model: dict[str, float] = {}
        for _, scores in per_classifier:
            per_model.update(scores[i].per_model)
        p = max(scores[i].fake_probability for scores in deciding)
        combined.append(FaceScore(p, per_model))
    return combined


def any_counts(classifiers: Sequence[Detector[Any, Any]]) -> bool:
    return any(counts(c.info) for c in classifiers)

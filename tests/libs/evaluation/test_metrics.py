"""dd_eval.metrics against scikit-learn on fixed arrays, and EER / ECE on known cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from dd_eval import metrics

rng = np.random.default_rng(7)
Y = rng.integers(0, 2, 200)
P = np.clip(0.35 * Y + rng.uniform(0, 0.65, 200), 0, 1)
P_TIES = np.round(P, 1)  # many tied scores


@pytest.mark.parametrize("p", [P, P_TIES], ids=["distinct", "ties"])
def test_ranking_metrics_match_sklearn(p: np.ndarray) -> None:
    assert metrics.roc_auc(Y, p) == pytest.approx(sk.roc_auc_score(Y, p))
    assert metrics.average_precision(Y, p) == pytest.approx(sk.average_precision_score(Y, p))
    fpr, tpr, _ = metrics.roc_curve(Y, p)
    sk_fpr, sk_tpr, _ = sk.roc_curve(Y, p, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)


def test_probability_metrics_match_sklearn() -> None:
    assert metrics.brier(Y, P) == pytest.approx(sk.brier_score_loss(Y, P))
    assert metrics.log_loss(Y, P) == pytest.approx(sk.log_loss(Y, np.clip(P, 1e-6, 1 - 1e-6)))


def test_operating_point_matches_sklearn() -> None:
    labels = metrics.labels_at(P, 0.5)
    hard = (P >= 0.5).astype(int)
    op = metrics.operating_point(Y, labels)
    assert op["accuracy"] == pytest.approx(sk.accuracy_score(Y, hard))
    assert op["precision"] == pytest.approx(sk.precision_score(Y, hard))
    assert op["recall"] == pytest.approx(sk.recall_score(Y, hard))
    assert op["f1"] == pytest.approx(sk.f1_score(Y, hard))
    tn, fp, fn, tp = sk.confusion_matrix(Y, hard).ravel()
    assert op["false_alarm_rate"] == pytest.approx(fp / (fp + tn))
    assert op["detection_rate"] == pytest.approx(tp / (tp + fn))
    assert op["confusion"]["real"] == {"real": tn, "uncertain": 0, "fake": fp}


def test_uncertain_is_neither_alarm_nor_detection() -> None:
    op = metrics.operating_point([0, 0, 1, 1], ["uncertain", "fake", "uncertain", "fake"])
    assert op["false_alarm_rate"] == 0.5 and op["detection_rate"] == 0.5
    assert op["uncertain_rate"] == 0.5 and op["accuracy"] == 0.25


def test_eer_known_cases() -> None:
    assert metrics.eer([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 0.0  # separable
    assert metrics.eer([0, 0, 1, 1], [0.8, 0.9, 0.1, 0.2]) == 1.0  # inverted
    # one real above one fake out of 4 + 4: both error rates are 1/4 at the crossing
    y = [0, 0, 0, 0, 1, 1, 1, 1]
    p = [0.1, 0.2, 0.3, 0.7, 0.6, 0.8, 0.85, 0.9]
    assert metrics.eer(y, p) == pytest.approx(0.25)
    assert metrics.eer([1, 1], [0.2, 0.3]) is None


def test_eer_equals_the_rate_where_the_curves_cross() -> None:
    fpr, tpr, _ = sk.roc_curve(Y, P)
    i = np.argmin(np.abs(fpr - (1 - tpr)))
    assert metrics.eer(Y, P) == pytest.approx((fpr[i] + 1 - tpr[i]) / 2, abs=0.02)


def test_ece_known_cases() -> None:
    # perfectly calibrated: in the 0.2 bin 20 % are fake, in the 0.8 bin 80 %
    y = [1] + [0] * 4 + [1] * 4 + [0]
    p = [0.2] * 5 + [0.8] * 5
    assert metrics.ece(y, p) == pytest.approx(0.0)
    # always says 0.9, half are fake: off by 0.4 everywhere
    assert metrics.ece([0, 1] * 5, [0.9] * 10) == pytest.approx(0.4)
    # p = 1.0 lands in the last bin
    assert metrics.ece([1, 1], [1.0, 1.0]) == pytest.approx(0.0)


def test_all_metrics_has_every_field() -> None:
    out = metrics.all_metrics(Y, P)
    for key in (
        "roc_auc",
        "average_precision",
        "eer",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "false_alarm_rate",
        "detection_rate",
        "ece",
        "brier",
    ):
        assert out[key] is not None, key

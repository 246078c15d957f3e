"""The fusion rule over every subset of modalities and every status."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from dd_contracts import Modality, ModalityScore, ModalityStatus, VerdictLabel
from dd_fusion.rule import FusionConfig, fuse

CONFIG = FusionConfig(weights={"image": 1.0, "audio": 1.0, "video": 1.0})
PROBS = {Modality.image: 0.9, Modality.audio: 0.2, Modality.video: 0.7}


def ok(modality: Modality, p: float, confidence: float = 1.0) -> ModalityScore:
    return ModalityScore(
        modality=modality, status=ModalityStatus.ok, fake_probability=p, confidence=confidence
    )


def logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.mark.parametrize(
    "subset",
    [c for r in range(0, 4) for c in itertools.combinations(list(Modality), r)],
    ids=lambda s: "+".join(m.value for m in s) or "none",
)
def test_every_subset_of_modalities(subset: tuple[Modality, ...]) -> None:
    verdict = fuse([ok(m, PROBS[m]) for m in subset], CONFIG)
    if not subset:
        assert verdict.label is VerdictLabel.uncertain
        assert verdict.fake_probability is None
        return
    expected = 1 / (1 + math.exp(-sum(logit(PROBS[m]) for m in subset) / len(subset)))
    assert verdict.fake_probability == pytest.approx(expected)
    assert [c.modality for c in verdict.contributions] == list(subset)
    assert sum(c.share for c in verdict.contributions) == pytest.approx(1.0)
    assert not verdict.partial


def test_single_modality_keeps_its_probability() -> None:
    verdict = fuse([ok(Modality.image, 0.93)], CONFIG)
    assert verdict.fake_probability == pytest.approx(0.93)
    assert verdict.label is VerdictLabel.fake
    assert verdict.real_probability == pytest.approx(0.07)


def test_confident_modality_is_not_washed_out_by_indifferent_one() -> None:
    verdict = fuse([ok(Modality.video, 0.99), ok(Modality.audio, 0.5)], CONFIG)
    assert verdict.fake_probability is not None and verdict.fake_probability > 0.9
    assert verdict.label is VerdictLabel.fake


@pytest.mark.parametrize(
    "status", [ModalityStatus.unavailable, ModalityStatus.failed, ModalityStatus.rejected]
)
def test_missing_modality_makes_verdict_partial(status: ModalityStatus) -> None:
    scores = [
        ok(Modality.video, 0.1),
        ModalityScore(modality=Modality.audio, status=status, reason="connection refused"),
    ]
    verdict = fuse(scores, CONFIG)
    assert verdict.partial
    assert verdict.label is VerdictLabel.real
    assert verdict.excluded[0].modality == Modality.audio
    assert verdict.excluded[0].reason == "connection refused"


@pytest.mark.parametrize("status", [ModalityStatus.no_signal, ModalityStatus.untrained])
def test_no_signal_and_untrained_are_excluded_but_not_partial(status: ModalityStatus) -> None:
    # An untrained detector's number must never move the verdict, even when given.
    scores = [
        ok(Modality.video, 0.1),
        ModalityScore(modality=Modality.audio, status=status, fake_probability=0.99),
    ]
    verdict = fuse(scores, CONFIG)
    assert not verdict.partial
    assert verdict.fake_probability == pytest.approx(0.1)
    assert [e.status for e in verdict.excluded] == [status]


def test_near_threshold_is_uncertain() -> None:
    assert fuse([ok(Modality.image, 0.55)], CONFIG).label is VerdictLabel.uncertain
    assert fuse([ok(Modality.image, 0.45)], CONFIG).label is VerdictLabel.uncertain
    assert fuse([ok(Modality.image, 0.65)], CONFIG).label is VerdictLabel.fake


def test_low_confidence_widens_the_uncertain_band() -> None:
    # A no-face image (confidence 0.5) at p=0.65 is not enough to call it fake.
    assert fuse([ok(Modality.image, 0.65, 0.5)], CONFIG).label is VerdictLabel.uncertain
    assert fuse([ok(Modality.image, 0.85, 0.5)], CONFIG).label is VerdictLabel.fake


def test_weights_and_confidence_shape_contributions() -> None:
    config = FusionConfig(weights={"image": 1.0, "audio": 3.0, "video": 1.0})
    verdict = fuse([ok(Modality.image, 0.9), ok(Modality.audio, 0.2, confidence=0.5)], config)
    shares = {c.modality: c.share for c in verdict.contributions}
    assert shares[Modality.audio] == pytest.approx(1.5 / 2.5)
    assert shares[Modality.image] == pytest.approx(1.0 / 2.5)


def test_extreme_probabilities_do_not_overflow() -> None:
    verdict = fuse([ok(Modality.image, 1.0), ok(Modality.audio, 0.0)], CONFIG)
    assert verdict.fake_probability == pytest.approx(0.5)


def test_config_from_file_rejects_negative_weights(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"image": -1}}))
    with pytest.raises(ValueError, match="non-negative"):
        FusionConfig.from_file(path)

"""Scores marked unreliable by calibration: alone they cannot decide a verdict (label
'uncertain', the reason named), beside reliable evidence they only count less."""

from __future__ import annotations

from dd_contracts import Modality, ModalityScore, ModalityStatus, VerdictLabel
from dd_fusion.rule import FusionConfig, fuse

CONFIG = FusionConfig(weights={"image": 1.0, "audio": 1.0, "video": 1.0})
REASON = "real speech coded as AAC at 40 kbit/s or less is misjudged 35 % of the time"


def score(modality: Modality, p: float, reliable: bool = True, confidence: float = 1.0):  # type: ignore[no-untyped-def]
    return ModalityScore(
        modality=modality,
        status=ModalityStatus.ok,
        fake_probability=p,
        confidence=confidence,
        reason=None if reliable else REASON,
        reliable=reliable,
    )


def test_an_unreliable_score_alone_is_uncertain_with_its_reason() -> None:
    verdict = fuse([score(Modality.audio, 0.99, reliable=False)], CONFIG)
    assert verdict.label is VerdictLabel.uncertain
    assert verdict.fake_probability is not None and verdict.fake_probability > 0.98
    assert [r.rule_id for r in verdict.reasons] == ["unreliable_condition"]
    assert verdict.reasons[0].forces_label is VerdictLabel.uncertain
    assert REASON in verdict.reasons[0].reason and "audio" in verdict.reasons[0].reason


def test_the_same_score_when_reliable_decides() -> None:
    verdict = fuse([score(Modality.audio, 0.99)], CONFIG)
    assert verdict.label is VerdictLabel.fake and verdict.reasons == []


def test_reliable_evidence_beside_an_unreliable_score_still_decides() -> None:
    verdict = fuse(
        [
            score(Modality.audio, 0.99, reliable=False, confidence=0.05),
            score(Modality.video, 0.02),
        ],
        CONFIG,
    )
    assert verdict.label is VerdictLabel.real and verdict.reasons == []
    audio = next(c for c in verdict.contributions if c.modality == "audio")
    assert audio.share < 0.1


def test_two_unreliable_scores_name_both_reasons() -> None:
    verdict = fuse(
        [score(Modality.audio, 0.99, reliable=False), score(Modality.image, 0.97, reliable=False)],
        CONFIG,
    )
    assert verdict.label is VerdictLabel.uncertain
    assert len(verdict.reasons) == 2

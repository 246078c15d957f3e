"""The fusion rule: a confidence-weighted mean of per-modality logits.

Why logits: averaging probabilities lets a confident modality (p = 0.99) be washed out
by an indifferent one (p = 0.5); in logit space 0.5 contributes 0 and a confident score
keeps its strength. Each modality's weight (from the weights file) is multiplied by the
confidence its service reported (lower for a no-face image or a clip with little speech).

The weights come from the modality table (dd_contracts.modalities); a weights file may
override them (learned weights). A modality without a weight counts 0 and is excluded.

Only modalities with status 'ok' count. Untrained detectors never count. A modality that
applies but could not be judged (unavailable, failed, rejected) makes the verdict
'partial'. With no usable modality the label is 'uncertain' and the probability null.

A score its service marked unreliable (``reliable: false``: calibration measured too many
false alarms in that media condition, or the input is outside what the detector can judge,
e.g. only faces too small for the classifiers) still counts with its reduced confidence, but when
every usable score is unreliable the label is 'uncertain' and the reason is named in
``reasons`` (rule ``unreliable_condition``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dd_contracts import (
    Contribution,
    ExcludedModality,
    ModalityScore,
    ModalityStatus,
    ModalityTable,
    Verdict,
    VerdictLabel,
)
from dd_contracts.fusion import RuleOutcome, RuleSeverity
from dd_contracts.numeric import logit, sigmoid

_NOT_JUDGED = {ModalityStatus.unavailable, ModalityStatus.failed, ModalityStatus.rejected}
_EXCLUDE_REASON = {
    ModalityStatus.no_signal: "nothing to judge in this modality",
    ModalityStatus.untrained: "only untrained detectors ran; never used in a verdict",
    ModalityStatus.unavailable: "service unavailable",
    ModalityStatus.failed: "analysis failed",
    ModalityStatus.rejected: "the service rejected the media",
}
RULE = (
    "confidence-weighted mean of logits over modalities with status ok; "
    "'uncertain' when |p - threshold| < band / (strongest confidence), or when every "
    "usable modality is unreliable in its media condition"
)
UNRELIABLE_RULE = (
    "A score its service marks unreliable (calibration measured too many false alarms in "
    "this media condition, or the input is outside what the detector can judge) cannot "
    "decide the verdict alone."
)


@dataclass(frozen=True)
class FusionConfig:
    weights: dict[str, float]
    threshold: float = 0.5
    uncertain_band: float = 0.1
    version: str = "unversioned"

    @classmethod
    def from_file(cls, path: Path, base_weights: Mapping[str, float] | None = None) -> FusionConfig:
        """Threshold, band and version from the file; weights from the modality table
        (`base_weights`, default DD_MODALITIES or the built-in table), replaced by any the
        file lists."""
        data = json.loads(path.read_text())
        if base_weights is None:
            base_weights = ModalityTable.from_env().weights()
        weights = dict(base_weights)
        weights.update({str(k): float(v) for k, v in data.get("weights", {}).items()})
        if any(w < 0 for w in weights.values()):
            raise ValueError(f"{path}: fusion weights must be non-negative")
        return cls(
            weights=weights,
            threshold=float(data.get("threshold", 0.5)),
            uncertain_band=float(data.get("uncertain_band", 0.1)),
            version=str(data.get("version", "unversioned")),
        )


def fuse(scores: list[ModalityScore], config: FusionConfig) -> Verdict:
    usable: list[tuple[ModalityScore, float, float]] = []
    excluded: list[ExcludedModality] = []
    for score in scores:
        weight = config.weights.get(score.modality, 0.0)
        if score.status is not ModalityStatus.ok or score.fake_probability is None:
            reason = score.reason or _EXCLUDE_REASON.get(score.status, "no probability given")
            excluded.append(
                ExcludedModality(modality=score.modality, status=score.status, reason=reason)
            )
            continue
        effective = weight * score.confidence
        if effective <= 0:
            excluded.append(
                ExcludedModality(
                    modality=score.modality,
                    status=score.status,
                    reason="zero weight or zero confidence",
                )
            )
            continue
        usable.append((score, weight, effective))

    partial = any(e.status in _NOT_JUDGED for e in excluded)
    base = {
        "threshold": config.threshold,
        "uncertain_band": config.uncertain_band,
        "partial": partial,
        "excluded": excluded,
        "rule": RULE,
    }
    if not usable:
        return Verdict(
            label=VerdictLabel.uncertain,
            fake_probability=None,
            real_probability=None,
            contributions=[],
            **base,
        )

    total = sum(effective for _, _, effective in usable)
    fused_logit = sum(eff * logit(s.fake_probability or 0.0) for s, _, eff in usable) / total
    p_fake = sigmoid(fused_logit)
    contributions = [
        Contribution(
            modality=s.modality,
            fake_probability=s.fake_probability or 0.0,
            weight=w,
            effective_weight=eff,
            share=eff / total,
        )
        for s, w, eff in usable
    ]
    # Weak evidence (a no-face image, a few seconds of speech) widens the band in which we
    # refuse to call it, rather than pretending to the same certainty.
    strongest = max(s.confidence for s, _, _ in usable)
    band = min(0.5, config.uncertain_band / max(strongest, 1e-3))
    unreliable = _unreliable(s for s, _, _ in usable)
    if abs(p_fake - config.threshold) < band or len(unreliable) == len(usable):
        label = VerdictLabel.uncertain
    elif p_fake >= config.threshold:
        label = VerdictLabel.fake
    else:
        label = VerdictLabel.real
    return Verdict(
        label=label,
        fake_probability=p_fake,
        real_probability=1 - p_fake,
        contributions=contributions,
        reasons=unreliable if len(unreliable) == len(usable) else [],
        **base,
    )


def _unreliable(scores: Iterable[ModalityScore]) -> list[RuleOutcome]:
    return [
        RuleOutcome(
            rule_id="unreliable_condition",
            rule=UNRELIABLE_RULE,
            reason=f"{s.modality}: {s.reason or 'unreliable in this media condition'}",
            severity=RuleSeverity.verdict,
            forces_label=VerdictLabel.uncertain,
        )
        for s in scores
        if not s.reliable
    ]

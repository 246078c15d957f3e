"""Fusion: per-modality probabilities in, one verdict out."""

from enum import StrEnum

from pydantic import BaseModel, Field

from dd_contracts.modalities import ModalityName
from dd_contracts.modality import ModalityStatus, Probability


class VerdictLabel(StrEnum):
    fake = "fake"
    real = "real"
    uncertain = "uncertain"


class ModalityScore(BaseModel):
    modality: ModalityName
    status: ModalityStatus
    fake_probability: Probability | None = None
    confidence: Probability = 1.0
    reason: str | None = None
    reliable: bool = Field(
        default=True,
        description="False: measured unreliable in this media condition (ModalityResult."
        "reliable); such a score alone makes the verdict 'uncertain', with its reason.",
    )


class FusionRequest(BaseModel):
    scores: list[ModalityScore]


class Contribution(BaseModel):
    modality: ModalityName
    fake_probability: Probability
    weight: float = Field(description="Configured weight of this modality.")
    effective_weight: float = Field(description="weight x the modality's confidence.")
    share: Probability = Field(description="Fraction of the fused logit from this modality.")


class ExcludedModality(BaseModel):
    modality: ModalityName
    status: ModalityStatus
    reason: str


class RuleSeverity(StrEnum):
    verdict = "verdict"
    warning = "warning"
    info = "info"


class RuleOutcome(BaseModel):
    """One provenance rule that fired for one file (see dd_fusion.provenance_rules and
    libs/provenance/README.md)."""

    rule_id: str
    rule: str = Field(description="The rule, in one sentence.")
    reason: str = Field(description="Why it fired for this file.")
    severity: RuleSeverity
    forces_label: VerdictLabel | None = Field(
        default=None, description="Set when the rule decides the verdict's label."
    )


class Verdict(BaseModel):
    label: VerdictLabel
    fake_probability: Probability | None = Field(
        description="Fused P(fake); null when no modality gave usable evidence."
    )
    real_probability: Probability | None = None
    threshold: Probability
    uncertain_band: Probability = Field(
        description="|p - threshold| below this is reported as 'uncertain'."
    )
    partial: bool = Field(description="A modality that applies to this media could not be judged.")
    contributions: list[Contribution]
    excluded: list[ExcludedModality]
    rule: str = Field(description="The fusion rule, in words.")
    reasons: list[RuleOutcome] = Field(
        default_factory=list,
        description="Every provenance rule that fired for this file, and fusion's "
        "'unreliable_condition' rule; a rule with forces_label decided the label (the fused "
        "probability is the models').",
    )


FusionResponse = Verdict

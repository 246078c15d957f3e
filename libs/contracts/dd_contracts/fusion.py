"""Fusion: per-modality probabilities in, one verdict out."""

from enum import StrEnum

from pydantic import BaseModel, Field

from dd_contracts.modality import Modality, ModalityStatus, Probability


class VerdictLabel(StrEnum):
    fake = "fake"
    real = "real"
    uncertain = "uncertain"


class ModalityScore(BaseModel):
    modality: Modality
    status: ModalityStatus
    fake_probability: Probability | None = None
    confidence: Probability = 1.0
    reason: str | None = None


class FusionRequest(BaseModel):
    scores: list[ModalityScore]


class Contribution(BaseModel):
    modality: Modality
    fake_probability: Probability
    weight: float = Field(description="Configured weight of this modality.")
    effective_weight: float = Field(description="weight x the modality's confidence.")
    share: Probability = Field(description="Fraction of the fused logit from this modality.")


class ExcludedModality(BaseModel):
    modality: Modality
    status: ModalityStatus
    reason: str


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


FusionResponse = Verdict

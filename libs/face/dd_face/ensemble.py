"""Face-forgery ensemble: several MesoNet weight files judge the same crops.

Within a manipulation family (see DEFAULT_MEMBERS), members are combined by the mean of
their logits, p = sigmoid(mean(logit(p_i))), rather
than the mean of probabilities: a logit mean is the geometric mean of the members' odds,
so two members at 0.9 and 0.99 give 0.97 (not 0.945) and a member at 0.5 (no opinion)
pulls toward 0.5 no harder than its evidence warrants; it is also the scale the fusion
service combines modalities on. Probabilities are clipped to [1e-4, 1 - 1e-4] first so
one member's saturated 0.0 or 1.0 (MesoNet saturates often) cannot overrule the rest
with an infinite logit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from dd_contracts import ModelInfo, WeightsState
from dd_contracts.numeric import logit, sigmoid
from dd_face.mesonet import MESONET_SPECS, MesoNetDetector
from dd_face.types import FaceScore
from dd_inference import Detector, DetectorContext, DetectorKind, register

# All four MesoNet weight files, in two families by the manipulation they were trained on:
# DF (Deepfake face swaps) and F2F (Face2Face reenactment). Each family is specific: on the
# shared deepfake crop the DF models say 0.95 / 0.98 while the F2F models say 0.18 / 0.001.
# A plain mean over all four lets the F2F family veto a face swap it was never trained to
# see (0.41 on that crop). So members are averaged (logit mean) within a family, and the
# face is as suspicious as its most suspicious family: "fake if either manipulation
# detector recognises its manipulation". See combine_by_family.
DEFAULT_MEMBERS: tuple[str, ...] = tuple(MESONET_SPECS)
ALL_MEMBERS: tuple[str, ...] = DEFAULT_MEMBERS
DF_MEMBERS: tuple[str, ...] = ("mesonet-meso4-df", "mesonet-mesoinception-df")
_FAMILIES = ("df", "f2f")

# Clip for MesoNet's saturated outputs (wider than the shared default on purpose).
_EPS = 1e-4


def combine_logit_mean(probabilities: Sequence[float]) -> float:
    """sigmoid(mean(logit(p_i))) over the members' P(fake)."""
    if not probabilities:
        raise ValueError("no member probabilities to combine")
    return sigmoid(sum(logit(p, eps=_EPS) for p in probabilities) / len(probabilities))


def family_of(member: str) -> str:
    """'mesonet-meso4-df' -> 'df'; names without a known family share one family."""
    suffix = member.rsplit("-", 1)[-1]
    return suffix if suffix in _FAMILIES else "all"


def combine_by_family(per_model: dict[str, float]) -> float:
    """Logit mean within each manipulation family, then the max over families."""
    families: dict[str, list[float]] = {}
    for name, p in per_model.items():
        families.setdefault(family_of(name), []).append(p)
    return max(combine_logit_mean(ps) for ps in families.values())


class FaceForgeryEnsemble(Detector[np.ndarray, FaceScore]):
    """Face crops (RGB uint8, 256x256) in; per crop the combined P(fake) and each
    member's P(fake), keyed by member name."""

    def __init__(self, members: Sequence[Detector[np.ndarray, float]]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        names = [m.info.name for m in members]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate ensemble members: {names}")
        self._members = list(members)

    @classmethod
    def mesonet(
        cls, models_dir: Path, names: Sequence[str] = DEFAULT_MEMBERS, threads: int = 1
    ) -> FaceForgeryEnsemble:
        return cls([MesoNetDetector(models_dir, name, threads=threads) for name in names])

    @property
    def detectors(self) -> list[Detector[np.ndarray, float]]:
        return list(self._members)

    @property
    def components(self) -> list[ModelInfo]:
        return [*self.members, self.info]

    @property
    def members(self) -> list[ModelInfo]:
        """Each member's own ModelInfo (name, weight hash, weight state)."""
        return [m.info for m in self._members]

    @property
    def info(self) -> ModelInfo:
        members = self.members
        states = {m.weights for m in members}
        if WeightsState.missing in states:
            weights = WeightsState.missing
        elif WeightsState.untrained in states:
            weights = WeightsState.untrained
        else:
            weights = WeightsState.real
        sha = None
        if all(m.sha256 for m in members):
            # Identifies the exact member set: hash of the members' hashes, in order.
            sha = hashlib.sha256("\n".join(str(m.sha256) for m in members).encode()).hexdigest()
        return ModelInfo(
            name="face-forgery-ensemble",
            version="family-max-of-logit-means(" + ",".join(m.name for m in members) + ")",
            sha256=sha,
            weights=weights,
            framework=members[0].framework,
            task="face-forgery",
            output="fake_probability = max over manipulation families (DF, F2F) of "
            "sigmoid(mean of the family members' logit(P(fake)))",
        )

    def _load(self) -> None:
        for member in self._members:
            member.load()

    def warmup(self) -> None:
        self.load()
        for member in self._members:
            member.warmup()

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[FaceScore]:
        per_member = {m.info.name: m.predict_batch(inputs) for m in self._members}
        scores = []
        for i in range(len(inputs)):
            per_model = {name: float(values[i]) for name, values in per_member.items()}
            scores.append(FaceScore(combine_by_family(per_model), per_model))
        return scores


class EnsembleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Registry names of the face classifiers to combine (each registered on its own).
    members: list[str] = [name.replace("-", "_") for name in DEFAULT_MEMBERS]


@register("mesonet_ensemble", kind=DetectorKind.face_classifier, options=EnsembleOptions)
def _build_ensemble(context: DetectorContext, options: EnsembleOptions) -> FaceForgeryEnsemble:
    """The MesoNet family ensemble (DF and F2F, logit mean per family, max over families)."""
    members = [context.registry.build(name, context).detector for name in options.members]
    return FaceForgeryEnsemble(members)

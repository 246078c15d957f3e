"""Ensemble combination with stub members (no weights)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from dd_contracts import ModelInfo, WeightsState
from dd_face.ensemble import FaceForgeryEnsemble, combine_logit_mean
from dd_inference import Detector, DetectorNotLoaded


class Stub(Detector[np.ndarray, float]):
    def __init__(self, name: str, outputs: Sequence[float], weights=WeightsState.real) -> None:
        super().__init__()
        self.name, self.outputs, self.weights = name, list(outputs), weights
        self.batches: list[int] = []

    @property
    def info(self) -> ModelInfo:
        sha = None if self.weights == WeightsState.missing else self.name.encode().hex()
        return ModelInfo(
            name=self.name,
            version="1",
            sha256=sha,
            weights=self.weights,
            framework="stub",
            task="face-forgery",
        )

    def _load(self) -> None:
        pass

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[float]:
        self.batches.append(len(inputs))
        return self.outputs[: len(inputs)]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_logit_mean_values() -> None:
    assert combine_logit_mean([0.9, 0.99]) == pytest.approx(
        1 / (1 + math.exp(-(_logit(0.9) + _logit(0.99)) / 2))
    )
    assert combine_logit_mean([0.2, 0.8]) == pytest.approx(0.5)
    assert combine_logit_mean([0.7]) == pytest.approx(0.7)
    # A saturated member is clipped, so it cannot overrule the others with an infinite logit.
    assert 0.0 < combine_logit_mean([1.0, 0.0001, 0.0001]) < 0.5
    with pytest.raises(ValueError):
        combine_logit_mean([])


def test_ensemble_combines_members_per_crop_in_one_batch() -> None:
    a, b = Stub("a", [0.9, 0.1]), Stub("b", [0.99, 0.3])
    ensemble = FaceForgeryEnsemble([a, b])
    crops = [np.zeros((256, 256, 3), np.uint8)] * 2
    with pytest.raises(DetectorNotLoaded):
        ensemble.predict_batch(crops)
    ensemble.load()
    first, second = ensemble.predict_batch(crops)
    assert a.batches == [2] and b.batches == [2]
    assert first.per_model == {"a": 0.9, "b": 0.99}
    assert first.fake_probability == pytest.approx(combine_logit_mean([0.9, 0.99]))
    assert first.fake_probability > (0.9 + 0.99) / 2  # logit mean != probability mean
    assert second.fake_probability == pytest.approx(combine_logit_mean([0.1, 0.3]))


def test_ensemble_info_and_members() -> None:
    ensemble = FaceForgeryEnsemble([Stub("a", []), Stub("b", [])])
    assert [m.name for m in ensemble.members] == ["a", "b"]
    assert ensemble.info.weights == WeightsState.real
    assert ensemble.info.sha256 is not None and "a,b" in ensemble.info.version
    missing = FaceForgeryEnsemble([Stub("a", []), Stub("b", [], WeightsState.missing)])
    assert missing.info.weights == WeightsState.missing and missing.info.sha256 is None


def test_ensemble_rejects_empty_or_duplicate_members() -> None:
    with pytest.raises(ValueError):
        FaceForgeryEnsemble([])
    with pytest.raises(ValueError):
        FaceForgeryEnsemble([Stub("a", []), Stub("a", [])])


def test_family_max_combines_within_then_takes_most_suspicious_family() -> None:
    from dd_face.ensemble import combine_by_family, family_of

    assert family_of("mesonet-meso4-df") == "df"
    assert family_of("mesonet-mesoinception-f2f") == "f2f"
    assert family_of("stub") == "all"
    per_model = {"m-a-df": 0.9, "m-b-df": 0.99, "m-a-f2f": 0.2, "m-b-f2f": 0.001}
    assert combine_by_family(per_model) == pytest.approx(combine_logit_mean([0.9, 0.99]))
    # Both families low: the face stays low (no false alarm from taking a max).
    low = {"m-a-df": 0.01, "m-b-df": 0.0, "m-a-f2f": 0.12, "m-b-f2f": 0.0}
    assert combine_by_family(low) < 0.05

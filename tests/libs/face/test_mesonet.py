"""MesoNet: weight loading (every array, no silent mismatch) and scores on the authors'
test faces and the astronaut portrait."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts import WeightsState
from dd_face.crops import crop_face
from dd_face.ensemble import (
    ALL_MEMBERS,
    DEFAULT_MEMBERS,
    DF_MEMBERS,
    FaceForgeryEnsemble,
    combine_logit_mean,
)
from dd_face.mesonet import MESONET_SPECS, MesoNetDetector, read_h5_weights, to_model_input
from dd_face.mtcnn import MtcnnFaceDetector
from dd_inference import DetectorNotLoaded, WeightsMissing


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_missing_weights_are_reported(tmp_path: Path) -> None:
    detector = MesoNetDetector(tmp_path, "mesonet-meso4-df")
    assert detector.info.weights == WeightsState.missing and detector.info.sha256 is None
    with pytest.raises(DetectorNotLoaded):
        detector.predict_batch([np.zeros((256, 256, 3), np.uint8)])
    with pytest.raises(WeightsMissing):
        detector.load()


def test_unknown_member_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        MesoNetDetector(tmp_path, "mesonet-nope")


def test_model_input_is_scaled_and_resized() -> None:
    batch = to_model_input([np.full((100, 80, 3), 255, np.uint8), np.zeros((256, 256, 3), "u1")])
    assert batch.shape == (2, 256, 256, 3) and batch.dtype == np.float32
    assert batch[0].min() == pytest.approx(1.0) and batch[1].max() == 0.0


@pytest.mark.weights
@pytest.mark.parametrize("name", sorted(MESONET_SPECS))
def test_every_layer_gets_its_weights(models_dir: Path, name: str) -> None:
    detector = MesoNetDetector(models_dir, name)
    detector.load()
    arrays = read_h5_weights(detector.weight_file.path)
    weighted = [layer for layer in detector.model.layers if layer.weights]
    assert {layer.name for layer in weighted} == set(arrays)
    total = 0
    for layer in weighted:
        for variable in layer.weights:
            short = variable.name.split(":")[0].rsplit("/", 1)[-1]
            np.testing.assert_array_equal(np.asarray(variable), arrays[layer.name][short])
            total += 1
    assert total == sum(len(v) for v in arrays.values())
    # Keras' own positional loader must agree with ours (same layer order as the authors').
    import keras

    reference = keras.models.clone_model(detector.model)
    reference.load_weights(str(detector.weight_file.path))
    for ours, theirs in zip(detector.model.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    assert detector.info.weights == WeightsState.real and detector.info.sha256


@pytest.fixture(scope="module")
def full_ensemble(models_dir: Path) -> FaceForgeryEnsemble:
    ensemble = FaceForgeryEnsemble.mesonet(models_dir, ALL_MEMBERS)
    ensemble.load()
    return ensemble


@pytest.mark.weights
def test_readme_reference_scores(full_ensemble: FaceForgeryEnsemble, shared_media: Path) -> None:
    # shared/README.md: Meso4_DF gives P(real) 0.05 on the fake and 0.99 on the real face.
    fake = _rgb(shared_media / "faces" / "mesonet_fake_df00204.jpg")
    real = _rgb(shared_media / "faces" / "mesonet_real_real00240.jpg")
    fake_score, real_score = full_ensemble.predict_batch([fake, real])
    assert fake_score.per_model["mesonet-meso4-df"] == pytest.approx(0.95, abs=0.02)
    assert real_score.per_model["mesonet-meso4-df"] == pytest.approx(0.01, abs=0.02)


@pytest.mark.weights
def test_default_ensemble_on_shared_faces(models_dir: Path, shared_media: Path) -> None:
    ensemble = FaceForgeryEnsemble.mesonet(models_dir)
    ensemble.load()
    fake = _rgb(shared_media / "faces" / "mesonet_fake_df00204.jpg")
    real = _rgb(shared_media / "faces" / "mesonet_real_real00240.jpg")
    astronaut = _rgb(shared_media / "faces" / "astronaut.png")
    detector = MtcnnFaceDetector()
    detector.load()
    (boxes,) = detector.predict_batch([astronaut])
    assert len(boxes) == 1
    face = crop_face(astronaut, boxes[0])
    fake_s, real_s, astro_s = ensemble.predict_batch([fake, real, face])
    assert fake_s.fake_probability > 0.5
    assert real_s.fake_probability < 0.5
    assert astro_s.fake_probability < 0.5
    assert set(fake_s.per_model) == set(DEFAULT_MEMBERS)


@pytest.mark.weights
def test_f2f_family_cannot_veto_a_face_swap(
    full_ensemble: FaceForgeryEnsemble, shared_media: Path
) -> None:
    """Why members are combined per family: the Face2Face models call this deepfake
    real, so a plain logit mean over all four would too. If new weights change this,
    revisit dd_face.ensemble.combine_by_family."""
    fake = _rgb(shared_media / "faces" / "mesonet_fake_df00204.jpg")
    (score,) = full_ensemble.predict_batch([fake])
    assert score.per_model["mesonet-mesoinception-f2f"] < 0.5
    assert combine_logit_mean(list(score.per_model.values())) < 0.5
    assert combine_logit_mean([score.per_model[n] for n in DF_MEMBERS]) > 0.5
    assert score.fake_probability > 0.5

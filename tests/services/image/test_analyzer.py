"""ImageAnalyzer end to end on real weights: a face image, a face-less image (not
assessed), a small face, and the measured condition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts import ImageEvidence, Modality, ModalityResult, ModalityStatus, WeightsState
from dd_face import DEFAULT_MEMBERS
from dd_image.analyzer import (
    CONFIDENCE_SMALL_FACES_ONLY,
    CONFIDENCE_WITH_FACE,
    NO_FACE_REASON,
    ImageAnalyzer,
    build_analyzer,
)
from dd_image.settings import ImageSettings
from dd_inference import WeightsMissing


def make_analyzer(models_dir: Path, **settings: object) -> ImageAnalyzer:
    return build_analyzer(ImageSettings(models_dir=models_dir, threads=1, **settings))  # type: ignore[arg-type]


def test_missing_weights(tmp_path: Path) -> None:
    analyzer = make_analyzer(tmp_path)
    states = {m.name: m.weights for m in analyzer.models}
    assert states["mtcnn"] == WeightsState.real
    # the four members and the ensemble that combines them
    assert [s for n, s in states.items() if n != "mtcnn"] == [WeightsState.missing] * (
        len(DEFAULT_MEMBERS) + 1
    )
    with pytest.raises(WeightsMissing):
        analyzer.load()


@pytest.fixture(scope="module")
def analyzer(models_dir: Path) -> ImageAnalyzer:
    analyzer = make_analyzer(models_dir)
    analyzer.warmup()
    return analyzer


@pytest.mark.weights
def test_astronaut(analyzer: ImageAnalyzer, shared_media: Path) -> None:
    seen: list[float] = []
    result = analyzer.analyze(shared_media / "faces" / "astronaut.png", progress=seen.append)
    result = ModalityResult.model_validate_json(result.model_dump_json())  # round-trips
    assert result.modality == Modality.image and result.status == ModalityStatus.ok
    evidence = result.evidence
    assert isinstance(evidence, ImageEvidence)
    assert (evidence.width, evidence.height, evidence.format) == (512, 512, "png")
    assert len(evidence.faces) == 1 and not evidence.no_face
    face = evidence.faces[0]
    assert 165 <= face.box.x1 < face.box.x2 <= 285 and 50 <= face.box.y1 < face.box.y2 <= 185
    assert face.fake_probability < 0.5
    assert result.fake_probability == face.fake_probability
    assert result.confidence == CONFIDENCE_WITH_FACE and "no_face" not in result.flags
    assert len(face.scores) == len(DEFAULT_MEMBERS)
    assert set(result.latencies_ms) == {"decode", "detect", "classify", "aggregate", "total"}
    assert {m.name for m in result.models} >= {"mtcnn", "mesonet-meso4-df"}
    assert all(m.weights == WeightsState.real for m in result.models)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert result.condition["width"] == 512 and result.condition["format"] == "png"
    assert 60 <= float(result.condition["face_px"]) <= 135


def landscape(path: Path) -> Path:
    """A generated "landscape": sky gradient over a darker, noisy ground."""
    rng = np.random.default_rng(0)
    sky = np.linspace([90, 140, 230], [200, 220, 250], 200).astype(np.uint8)
    image = np.empty((400, 600, 3), np.uint8)
    image[:200] = sky[:, None, :]
    image[200:] = np.clip(rng.normal([70, 110, 50], 12, (200, 600, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(image).save(path, "JPEG", quality=75)
    return path


@pytest.mark.weights
def test_faceless_photo_is_not_assessed(analyzer: ImageAnalyzer, tmp_path: Path) -> None:
    """MesoNet judges face crops; on a whole landscape its output means nothing, so a
    faceless picture is reported as not assessed, never as a score."""
    result = analyzer.analyze(landscape(tmp_path / "landscape.jpg"))
    evidence = result.evidence
    assert isinstance(evidence, ImageEvidence)
    assert evidence.no_face and evidence.faces == [] and result.flags == ["no_face"]
    assert result.status == ModalityStatus.no_signal
    assert result.fake_probability is None and result.confidence == 0.0
    assert result.reason == NO_FACE_REASON
    assert evidence.whole_frame_scores is None
    assert "not assessed" in evidence.aggregation
    assert result.condition["jpeg_quality"] == pytest.approx(75, abs=2)
    assert (result.condition["width"], result.condition["height"]) == (600, 400)


def _canvas_with(parts: list[tuple[Path, int, tuple[int, int]]], out: Path) -> Path:
    """A grey canvas with each picture pasted at ``side`` px, at ``where``."""
    canvas = Image.new("RGB", (640, 400), (92, 100, 112))
    for path, side, where in parts:
        picture = Image.open(path).convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
        canvas.paste(picture, where)
    canvas.save(out)
    return out


@pytest.mark.weights
def test_small_faces_alone_are_shown_but_not_a_finding(
    analyzer: ImageAnalyzer, shared_media: Path, tmp_path: Path
) -> None:
    """Faces smaller than MesoNet was trained on are judged and shown, flagged
    'small_face', but a picture with only such faces is not a finding (reliable false,
    low confidence, the reason in words)."""
    image = _canvas_with(
        [(shared_media / "faces" / "astronaut.png", 200, (160, 100))], tmp_path / "s.png"
    )
    result = analyzer.analyze(image)
    evidence = result.evidence
    assert isinstance(evidence, ImageEvidence) and len(evidence.faces) == 1
    assert result.status == ModalityStatus.ok and "small_face" in result.flags
    assert result.fake_probability == evidence.faces[0].fake_probability
    assert result.reliable is False and result.confidence == CONFIDENCE_SMALL_FACES_ONLY
    assert result.reason and "smaller than 64 px" in result.reason
    assert float(result.condition["face_px"]) < 64


@pytest.mark.weights
def test_a_small_face_does_not_outvote_a_judgeable_one(
    analyzer: ImageAnalyzer, shared_media: Path, tmp_path: Path
) -> None:
    """The shared fake crop shrunk to a ~40 px face beside the real astronaut at full
    size: both are shown, the image score is the astronaut's (the judgeable face)."""
    faces = shared_media / "faces"
    image = _canvas_with(
        [
            (faces / "astronaut.png", 400, (0, 0)),
            (faces / "mesonet_fake_df00204.jpg", 72, (480, 200)),
        ],
        tmp_path / "mixed.png",
    )
    result = analyzer.analyze(image)
    evidence = result.evidence
    assert isinstance(evidence, ImageEvidence) and len(evidence.faces) == 2
    small = min(evidence.faces, key=lambda f: f.box.x2 - f.box.x1)
    large = max(evidence.faces, key=lambda f: f.box.x2 - f.box.x1)
    assert small.fake_probability > 0.5 > large.fake_probability  # the small fake is seen...
    assert result.fake_probability == large.fake_probability  # ...but does not decide
    assert result.reliable and result.confidence == CONFIDENCE_WITH_FACE
    assert "small_face" in result.flags and "not counted" in evidence.aggregation

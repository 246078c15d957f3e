"""ImageAnalyzer end to end on real weights: a face image and a face-less image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts import ImageEvidence, Modality, ModalityResult, ModalityStatus, WeightsState
from dd_face import DEFAULT_MEMBERS
from dd_image.analyzer import CONFIDENCE_NO_FACE, CONFIDENCE_WITH_FACE, ImageAnalyzer
from dd_inference import WeightsMissing


def test_missing_weights(tmp_path: Path) -> None:
    analyzer = ImageAnalyzer(tmp_path)
    states = {m.name: m.weights for m in analyzer.models}
    assert states["mtcnn"] == WeightsState.real
    assert [s for n, s in states.items() if n != "mtcnn"] == [WeightsState.missing] * len(
        DEFAULT_MEMBERS
    )
    with pytest.raises(WeightsMissing):
        analyzer.load()


@pytest.fixture(scope="module")
def analyzer(models_dir: Path) -> ImageAnalyzer:
    analyzer = ImageAnalyzer(models_dir)
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
    assert set(result.latencies_ms) == {"decode", "detect", "classify", "total"}
    assert {m.name for m in result.models} >= {"mtcnn", "mesonet-meso4-df"}
    assert all(m.weights == WeightsState.real for m in result.models)
    assert seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.weights
def test_no_face_image(analyzer: ImageAnalyzer, tmp_path: Path) -> None:
    # A generated "landscape": sky gradient over a darker, noisy ground.
    rng = np.random.default_rng(0)
    sky = np.linspace([90, 140, 230], [200, 220, 250], 200).astype(np.uint8)
    image = np.empty((400, 600, 3), np.uint8)
    image[:200] = sky[:, None, :]
    image[200:] = np.clip(rng.normal([70, 110, 50], 12, (200, 600, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "landscape.jpg"
    Image.fromarray(image).save(path, "JPEG")
    result = analyzer.analyze(path)
    evidence = result.evidence
    assert isinstance(evidence, ImageEvidence)
    assert evidence.no_face and evidence.faces == [] and "no_face" in result.flags
    assert result.status == ModalityStatus.ok
    assert result.confidence == CONFIDENCE_NO_FACE < CONFIDENCE_WITH_FACE
    assert result.fake_probability is not None
    assert evidence.whole_frame_scores is not None and len(evidence.whole_frame_scores) == len(
        DEFAULT_MEMBERS
    )

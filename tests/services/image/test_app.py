"""The image service assembled from the registry: a toy detector registered here, and
only here, shows up in /v1/model and in the result."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import BaseModel

from dd_contracts import ModelInfo, WeightsState
from dd_image.app import create_app
from dd_image.settings import ImageSettings
from dd_inference import REGISTRY, Detector, DetectorContext, DetectorKind, NoOptions


class ToyOptions(BaseModel):
    fake_probability: float = 0.5


class ToyDetector(Detector[np.ndarray, float]):
    """Answers a fixed P(fake) for anything, so the test can recognise its number."""

    def __init__(self, name: str, p: float) -> None:
        super().__init__()
        self.name, self.p = name, p

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name, version="1", weights=WeightsState.real, framework="none", task="toy"
        )

    def _load(self) -> None:
        pass

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[float]:
        assert all(x.ndim == 3 and x.shape[2] == 3 for x in inputs)
        return [self.p] * len(inputs)


@pytest.fixture
def toys() -> Iterator[None]:
    @REGISTRY.register("toy_face", kind=DetectorKind.face_classifier, options=ToyOptions)
    def _face(_: DetectorContext, options: ToyOptions) -> ToyDetector:
        return ToyDetector("toy-face", options.fake_probability)

    @REGISTRY.register("toy_whole", kind=DetectorKind.image_classifier, options=NoOptions)
    def _whole(_: DetectorContext, __: NoOptions) -> ToyDetector:
        return ToyDetector("toy-whole", 0.25)

    yield
    REGISTRY.remove("toy_face")
    REGISTRY.remove("toy_whole")


def client_for(tmp_path: Path, **settings: object) -> TestClient:
    app = create_app(ImageSettings(models_dir=tmp_path, json_logs=False, threads=1, **settings))  # type: ignore[arg-type]
    return TestClient(app)


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 60
    while (ready := client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, ready.json()
        time.sleep(0.05)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_toy_face_classifier_is_listed_and_scores(
    toys: None, tmp_path: Path, shared_media: Path
) -> None:
    """MTCNN (bundled weights) finds the face; the toy classifier, enabled and configured
    only through settings, judges it. No MesoNet weights are needed (tmp models dir)."""
    with client_for(
        tmp_path,
        detectors=["mtcnn", "toy-face"],
        detector_options={"toy_face": {"fake_probability": 0.42}},
    ) as client:
        wait_ready(client)
        models = [m["name"] for m in client.get("/v1/model").json()["models"]]
        assert models == ["mtcnn", "toy-face"]
        photo = (shared_media / "faces" / "astronaut.png").read_bytes()
        response = client.post("/v1/analyze", files={"file": ("a.png", photo, "image/png")})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == "ok" and body["fake_probability"] == pytest.approx(0.42)
        face = body["evidence"]["faces"][0]
        assert face["scores"] == [{"model": "toy-face", "fake_probability": 0.42}]
        assert {m["name"] for m in body["models"]} == {"mtcnn", "toy-face"}
        assert set(body["latencies_ms"]) >= {"decode", "detect", "classify", "total"}


def test_whole_image_classifier_judges_a_faceless_picture(toys: None, tmp_path: Path) -> None:
    """With a whole-image classifier configured, a faceless picture is assessed by it
    (and only by it: the face classifier's output on a whole frame is never used)."""
    with client_for(tmp_path, detectors=["mtcnn", "toy_face", "toy_whole"]) as client:
        wait_ready(client)
        flat = Image.new("RGB", (320, 240), (40, 120, 200))
        response = client.post("/v1/analyze", files={"file": ("f.png", png(flat), "image/png")})
        body = response.json()
        assert body["status"] == "ok" and body["flags"] == ["no_face"]
        assert body["fake_probability"] == pytest.approx(0.25)
        assert body["evidence"]["whole_frame_scores"] == [
            {"model": "toy-whole", "fake_probability": 0.25}
        ]


def test_faceless_picture_without_whole_image_classifier_is_not_assessed(
    toys: None, tmp_path: Path
) -> None:
    with client_for(tmp_path, detectors=["mtcnn", "toy_face"]) as client:
        wait_ready(client)
        flat = Image.new("RGB", (320, 240), (40, 120, 200))
        body = client.post("/v1/analyze", files={"file": ("f.png", png(flat), "image/png")}).json()
        assert body["status"] == "no_signal" and body["fake_probability"] is None
        assert body["flags"] == ["no_face"]
        assert (
            body["reason"] == "No face was found; the face detectors do not apply to this picture."
        )


def test_misconfigured_detectors_fail_at_start(toys: None, tmp_path: Path) -> None:
    from dd_inference import DetectorConfigError

    with pytest.raises(DetectorConfigError, match="no detector named"):
        client_for(tmp_path, detectors=["mtcnn", "toy_fase"])
    with pytest.raises(DetectorConfigError, match="not enabled"):
        client_for(tmp_path, detectors=["mtcnn"], detector_options={"toy_face": {}})
    with pytest.raises(DetectorConfigError, match="options for detector"):
        client_for(
            tmp_path, detectors=["mtcnn", "toy_face"], detector_options={"toy_face": {"p": 1}}
        )


def test_upload_over_the_shared_limit_is_payload_too_large(
    toys: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte limit comes from the shared table (DD_LIMIT_*), which the gateway reads
    too, and the error has the catalogue's one name for it."""
    monkeypatch.setenv("DD_LIMIT_MAX_IMAGE_BYTES", "1000")
    with client_for(tmp_path, detectors=["mtcnn", "toy_face"]) as client:
        wait_ready(client)
        response = client.post("/v1/analyze", files={"file": ("a.png", b"x" * 5000, "image/png")})
        assert response.status_code == 413
        assert response.json()["type"] == "payload_too_large"


def test_face_detector_is_implied_by_face_classifiers(toys: None, tmp_path: Path) -> None:
    """IMAGE_DETECTORS=toy_face is enough: the face detector (IMAGE_FACE_DETECTOR, mtcnn by
    default) is put first; a whole-image classifier alone needs none."""
    from dd_image.analyzer import build_analyzer

    face_only = build_analyzer(ImageSettings(models_dir=tmp_path, detectors=["toy_face"]))
    assert [m.name for m in face_only.models] == ["mtcnn", "toy-face"]
    whole_only = build_analyzer(ImageSettings(models_dir=tmp_path, detectors=["toy_whole"]))
    assert [m.name for m in whole_only.models] == ["toy-whole"]

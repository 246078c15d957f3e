"""IMAGE_CALIBRATION_FILE in the image service: the face classifier's score is calibrated
in the picture's condition band, /v1/model names the file's version on the scoring model
(not on the face detector), and a condition the file measured as unreliable (JPEG below
quality 60) ends as an 'uncertain' verdict with the reason."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from dd_image.app import create_app
from dd_image.settings import ImageSettings
from dd_inference import REGISTRY, DetectorContext, DetectorKind, NoOptions
from tests.services.calibration_support import (
    RELIABILITY_REASON,
    FixedScore,
    fuse,
    platt,
    scoring_calibration,
    unreliable,
    wait_ready,
    write_calibration,
)

RAW = 0.8


@pytest.fixture
def toy_face() -> Iterator[None]:
    @REGISTRY.register("toy_face_cal", kind=DetectorKind.face_classifier, options=NoOptions)
    def _build(_: DetectorContext, __: NoOptions) -> FixedScore:
        return FixedScore("toy-face", RAW)

    yield
    REGISTRY.remove("toy_face_cal")


def client_for(tmp_path: Path, calibration: Path | None) -> TestClient:
    settings = ImageSettings(
        models_dir=tmp_path,  # MTCNN's weights ship with it; the toy needs none
        json_logs=False,
        threads=1,
        detectors=["mtcnn", "toy_face_cal"],
        calibration_file=calibration,
    )
    return TestClient(create_app(settings))


def analyze(client: TestClient, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/analyze", files={"file": (name, data)})
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def jpeg(path: Path, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.open(path).convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_calibration_changes_model_scores_and_verdict(
    toy_face: None, tmp_path: Path, shared_media: Path
) -> None:
    photo = shared_media / "faces" / "astronaut.png"
    with client_for(tmp_path, None) as client:
        wait_ready(client)
        plain = analyze(client, "a.png", photo.read_bytes())
    assert plain["fake_probability"] == pytest.approx(RAW)
    assert "uncalibrated score" in plain["evidence"]["aggregation"]
    assert scoring_calibration(plain["models"], "toy-face") is None

    cal = tmp_path / "calibration.json"
    version = write_calibration(
        cal,
        "image",
        ["toy-face"],
        default={"method": "platt", "a": 1.0, "b": -2.0},
        conditions={"jpeg_low": unreliable(a=2.0, b=0.0)},
    )
    with client_for(tmp_path, cal) as client:
        wait_ready(client)
        models = client.get("/v1/model").json()["models"]
        assert scoring_calibration(models, "toy-face") == version
        assert scoring_calibration(models, "mtcnn") is None  # finds faces, scores nothing

        png = analyze(client, "a.png", photo.read_bytes())
        assert png["fake_probability"] == pytest.approx(platt(RAW, 1.0, -2.0), abs=1e-6)
        assert png["confidence"] == plain["confidence"] and png["reliable"] is True
        assert version in png["evidence"]["aggregation"]

        low = analyze(client, "a.jpg", jpeg(photo, 30))
    assert low["condition"]["jpeg_quality"] < 60 and low["condition"]["face_px"] >= 64
    assert low["fake_probability"] == pytest.approx(platt(RAW, 2.0, 0.0), abs=1e-6)
    assert "unreliable_condition" in low["flags"] and low["reliable"] is False
    assert low["reason"] == RELIABILITY_REASON and low["confidence"] <= 0.2
    verdict = fuse(low)
    assert verdict["label"] == "uncertain"
    assert verdict["reasons"][0]["rule_id"] == "unreliable_condition"
    assert RELIABILITY_REASON in verdict["reasons"][0]["reason"]

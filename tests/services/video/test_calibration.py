"""VIDEO_CALIBRATION_FILE in the video service: the track score is calibrated in the
video's condition band, /v1/model names the file's version on the scoring model, and a
condition the file measured as unreliable (240 lines or fewer) ends as an 'uncertain'
verdict with the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dd_inference import REGISTRY, DetectorContext, DetectorKind, NoOptions
from dd_video.app import create_app
from dd_video.settings import VideoSettings
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


@pytest.fixture
def toy_face() -> Iterator[None]:
    @REGISTRY.register("toy_face_cal", kind=DetectorKind.face_classifier, options=NoOptions)
    def _build(_: DetectorContext, __: NoOptions) -> FixedScore:
        return FixedScore("toy-face", 0.8)

    yield
    REGISTRY.remove("toy_face_cal")


def client_for(tmp_path: Path, calibration: Path | None) -> TestClient:
    settings = VideoSettings(
        models_dir=tmp_path,  # MTCNN's weights ship with it; the toy needs none
        json_logs=False,
        threads=1,
        detectors=["mtcnn", "toy_face_cal"],
        calibration_file=calibration,
    )
    return TestClient(create_app(settings))


def analyze(client: TestClient, path: Path) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/analyze", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_calibration_changes_model_scores_and_verdict(
    toy_face: None,
    tmp_path: Path,
    video_dir: Path,
    faces: dict[str, np.ndarray],
    make_video: Callable[..., Path],
    make_scene: Callable[..., Callable[[int], np.ndarray]],
) -> None:
    sharp = make_video(video_dir / "cal_480p.mp4", make_scene([faces["real"]], seed=5), 40)
    small = make_video(
        video_dir / "cal_240p.mp4",
        make_scene([faces["real"]], size=(320, 240), face_height=150, seed=6),
        40,
    )
    with client_for(tmp_path, None) as client:
        wait_ready(client)
        raw = {name: analyze(client, path) for name, path in (("sharp", sharp), ("small", small))}
    for body in raw.values():
        assert body["status"] == "ok", body["reason"]
        assert "uncalibrated score" in body["evidence"]["aggregation"]
        assert scoring_calibration(body["models"], "toy-face") is None

    cal = tmp_path / "calibration.json"
    version = write_calibration(
        cal,
        "video",
        ["toy-face"],
        default={"method": "platt", "a": 1.0, "b": -2.0},
        conditions={"low_res": unreliable(a=0.5, b=0.5)},
    )
    with client_for(tmp_path, cal) as client:
        wait_ready(client)
        models = client.get("/v1/model").json()["models"]
        assert scoring_calibration(models, "toy-face") == version
        assert scoring_calibration(models, "mtcnn") is None
        sharp_cal = analyze(client, sharp)
        small_cal = analyze(client, small)

    assert sharp_cal["condition"]["height"] == 480
    p_sharp = raw["sharp"]["fake_probability"]
    assert sharp_cal["fake_probability"] == pytest.approx(platt(p_sharp, 1.0, -2.0), abs=1e-6)
    assert sharp_cal["reliable"] is True and sharp_cal["confidence"] == raw["sharp"]["confidence"]
    assert version in sharp_cal["evidence"]["aggregation"]

    assert small_cal["condition"]["height"] == 240
    p_small = raw["small"]["fake_probability"]
    assert small_cal["fake_probability"] == pytest.approx(platt(p_small, 0.5, 0.5), abs=1e-6)
    assert small_cal["reliable"] is False and "unreliable_condition" in small_cal["flags"]
    assert small_cal["reason"] == RELIABILITY_REASON and small_cal["confidence"] <= 0.2
    verdict = fuse(small_cal)
    assert verdict["label"] == "uncertain"
    assert RELIABILITY_REASON in verdict["reasons"][0]["reason"]

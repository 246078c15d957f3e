"""The service kit's side of <SERVICE>_CALIBRATION_FILE: an analyzer that cannot apply a
calibration refuses readiness with the reason; none given changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from dd_contracts import Modality
from dd_service_kit.inference_app import InferenceSettings, create_inference_app
from tests.fakes import FakeAnalyzer


def make_client(calibration_file: Path | None) -> TestClient:
    app = create_inference_app(
        service="image",
        version="test",
        description="test",
        settings=InferenceSettings(json_logs=False, calibration_file=calibration_file),
        analyzer=FakeAnalyzer(Modality.image, 0.7),
    )
    return TestClient(app)


def readiness(client: TestClient) -> tuple[int, dict[str, object]]:
    deadline = time.monotonic() + 5
    while True:
        response = client.get("/readyz")
        body = response.json()
        if response.status_code == 200 or body["reason"] not in ("loading models", "warming up"):
            return response.status_code, body
        assert time.monotonic() < deadline, body
        time.sleep(0.01)


def test_an_analyzer_without_calibration_support_is_not_ready(tmp_path: Path) -> None:
    cal = tmp_path / "cal.json"
    cal.write_text('{"format": 1, "version": "v1", "detectors": {}}')
    with make_client(cal) as client:
        status, body = readiness(client)
    assert status == 503
    assert body["reason"] == "calibration file unusable: FakeAnalyzer cannot apply a calibration"


def test_no_file_no_change() -> None:
    with make_client(None) as client:
        status, _ = readiness(client)
        assert status == 200
        result = client.post("/v1/analyze", files={"file": ("a.png", b"12345")}).json()
    assert "reliable" in result and result["reliable"] is True

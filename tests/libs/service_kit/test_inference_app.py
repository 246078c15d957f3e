"""The HTTP shape every inference service shares, driven with a fake analyzer."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from dd_contracts import Modality
from dd_service_kit.inference_app import InferenceSettings, create_inference_app
from tests.fakes import FakeAnalyzer


def make_client(analyzer: FakeAnalyzer, **settings: object) -> TestClient:
    app = create_inference_app(
        service="image",
        version="test",
        description="test",
        settings=InferenceSettings(json_logs=True, **settings),  # type: ignore[arg-type]
        analyzer=analyzer,
    )
    return TestClient(app)


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 5
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").json()
        time.sleep(0.01)


def test_ready_after_load_and_analyze_returns_result() -> None:
    with make_client(FakeAnalyzer(Modality.image, 0.7)) as client:
        wait_ready(client)
        response = client.post("/v1/analyze", files={"file": ("a.jpg", b"data", "image/jpeg")})
        assert response.status_code == 200
        assert response.json()["fake_probability"] == 0.7
        assert client.get("/v1/model").json()["models"][0]["weights"] == "real"


def test_missing_weights_keep_service_not_ready_with_reason() -> None:
    with make_client(FakeAnalyzer(Modality.image, missing_weights=True)) as client:
        deadline = time.monotonic() + 5
        while "loading" in (client.get("/readyz").json()["reason"] or ""):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "make models" in ready.json()["reason"]
        assert client.get("/healthz").status_code == 200
        response = client.post("/v1/analyze", files={"file": ("a.jpg", b"x", "image/jpeg")})
        assert response.status_code == 503
        assert response.json()["type"] == "not_ready"
        assert response.headers["retry-after"]


def test_media_rejected_becomes_typed_4xx_and_service_survives() -> None:
    with make_client(FakeAnalyzer(Modality.image)) as client:
        wait_ready(client)
        bad = client.post(
            "/v1/analyze",
            files={"file": ("a.jpg", b"REJECT", "image/jpeg")},
            headers={"X-Request-ID": "req-1"},
        )
        assert bad.status_code == 422
        assert bad.json() == {
            "type": "corrupt_media",
            "detail": "The file is corrupt.",
            "request_id": "req-1",
        }
        good = client.post("/v1/analyze", files={"file": ("a.jpg", b"ok", "image/jpeg")})
        assert good.status_code == 200


def test_upload_over_limit_is_413() -> None:
    with make_client(FakeAnalyzer(Modality.image), max_upload_bytes=1000) as client:
        wait_ready(client)
        response = client.post(
            "/v1/analyze", files={"file": ("a.jpg", b"x" * 200_000, "image/jpeg")}
        )
        assert response.status_code == 413
        assert response.json()["type"] == "payload_too_large"


def test_missing_file_field_is_validation_error() -> None:
    with make_client(FakeAnalyzer(Modality.image)) as client:
        wait_ready(client)
        response = client.post("/v1/analyze", data={"nofile": "1"})
        assert response.status_code == 422
        assert response.json()["type"] == "validation_error"


def test_unknown_route_is_typed_404() -> None:
    with make_client(FakeAnalyzer(Modality.image)) as client:
        response = client.get("/nope")
        assert response.status_code == 404
        assert response.json()["type"] == "not_found"


def test_logs_are_json_with_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    with make_client(FakeAnalyzer(Modality.image)) as client:
        wait_ready(client)
        client.post(
            "/v1/analyze",
            files={"file": ("a.jpg", b"ok", "image/jpeg")},
            headers={"X-Request-ID": "trace-42"},
        )
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line["logger"] == "dd.access"]
    assert access, lines
    assert access[-1]["request_id"] == "trace-42"
    assert access[-1]["path"] == "/v1/analyze"
    assert access[-1]["status"] == 200
    assert access[-1]["service"] == "image"
    assert access[-1]["latency_ms"] >= 0


def test_unsafe_request_id_is_replaced() -> None:
    with make_client(FakeAnalyzer(Modality.image)) as client:
        response = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
        assert response.headers["x-request-id"] != "bad id\nwith newline"
        assert len(response.headers["x-request-id"]) == 32

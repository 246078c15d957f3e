from fastapi.testclient import TestClient

from dd_fusion.app import create_app
from dd_fusion.settings import FusionSettings


def client() -> TestClient:
    return TestClient(create_app(FusionSettings(json_logs=False)))


def test_fuse_endpoint_round_trip() -> None:
    body = {
        "scores": [
            {"modality": "video", "status": "ok", "fake_probability": 0.9, "confidence": 1},
            {"modality": "audio", "status": "unavailable", "reason": "down"},
        ]
    }
    response = client().post("/v1/fuse", json=body, headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    verdict = response.json()
    assert verdict["label"] == "fake"
    assert verdict["partial"] is True
    assert response.headers["x-request-id"] == "abc-123"


def test_duplicate_modality_is_a_typed_422() -> None:
    score = {"modality": "image", "status": "ok", "fake_probability": 0.2}
    response = client().post("/v1/fuse", json={"scores": [score, score]})
    assert response.status_code == 422
    assert response.json()["type"] == "duplicate_modality"
    assert response.json()["request_id"]


def test_malformed_body_is_validation_error() -> None:
    response = client().post("/v1/fuse", json={"scores": [{"modality": "smell"}]})
    assert response.status_code == 422
    assert response.json()["type"] == "validation_error"


def test_health_ready_and_model() -> None:
    c = client()
    assert c.get("/healthz").json()["status"] == "ok"
    assert c.get("/readyz").json()["ready"] is True
    assert c.get("/v1/model").json()["weights"]["image"] == 1.0
    assert "dd_http_requests_total" in c.get("/metrics").text

"""A user posts images to the real gateway, which calls the real image and fusion services."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from dd_contracts import Analysis
from tests.integration.conftest import UPLOAD_LIMIT, RunningStack
from tests.media import png_bomb

pytestmark = [pytest.mark.integration, pytest.mark.weights]


def analyze(stack: RunningStack, data: bytes, name: str, wait: bool = True) -> httpx.Response:
    return httpx.post(
        f"{stack.url('gateway')}/v1/analyses",
        params={"wait": "true"} if wait else None,
        files={"file": (name, data)},
        timeout=120,
    )


def test_astronaut_is_real_with_one_face(stack: RunningStack, shared_media: Path) -> None:
    data = (shared_media / "faces/astronaut.png").read_bytes()
    response = analyze(stack, data, "no-extension")
    assert response.status_code == 200, response.text
    doc = Analysis.model_validate(response.json())
    assert doc.status == "done"
    assert doc.media.kind == "image" and doc.media.format == "png"
    image = doc.modalities["image"]
    assert image.status == "ok"
    assert image.evidence is not None and image.evidence.kind == "image"
    assert len(image.evidence.faces) == 1
    assert doc.verdict is not None and doc.verdict.label == "real"
    assert {m.name for m in doc.models} >= {"mtcnn"} or len(doc.models) >= 2
    assert all(m.weights == "real" and m.sha256 for m in doc.models)
    assert {"image", "fusion", "total"} <= set(doc.latencies_ms)
    assert response.headers["x-request-id"]


def test_fake_crop_is_fake_via_async_job(stack: RunningStack, shared_media: Path) -> None:
    data = (shared_media / "faces/mesonet_fake_df00204.jpg").read_bytes()
    accepted = analyze(stack, data, "x.jpg", wait=False)
    assert accepted.status_code == 202
    url = f"{stack.url('gateway')}{accepted.json()['location']}"
    deadline = time.monotonic() + 60
    while (doc := httpx.get(url).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert doc["verdict"]["label"] == "fake", doc["verdict"]
    assert doc["modalities"]["image"]["fake_probability"] > 0.5


def _truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()[:5000]


def test_bad_inputs_are_typed_4xx_and_stack_stays_up(
    stack: RunningStack, shared_media: Path
) -> None:
    oversize = b"\xff\xd8\xff" + b"\x00" * (UPLOAD_LIMIT + 1024 * 1024)
    cases = [
        (b"", "empty.jpg", 400, "empty_media"),
        (b"this is not a picture\n" * 20, "photo.jpg", 415, "unsupported_media_type"),
        (_truncated_jpeg(), "cut.jpg", 422, "corrupt_media"),
        (png_bomb(), "bomb.png", 413, "decompression_bomb"),
        (oversize, "huge.jpg", 413, "payload_too_large"),
    ]
    for data, name, status, type_ in cases:
        response = analyze(stack, data, name)
        assert response.status_code == status, (name, response.text)
        body = response.json()
        assert body["type"] == type_, body
        assert body["detail"] and body["request_id"]
    good = analyze(stack, (shared_media / "faces/mesonet_real_real00240.jpg").read_bytes(), "r.jpg")
    assert good.status_code == 200
    assert good.json()["verdict"]["label"] == "real"
    for service in ("image", "fusion", "gateway"):
        assert httpx.get(f"{stack.url(service)}/healthz").status_code == 200

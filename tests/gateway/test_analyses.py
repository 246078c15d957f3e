"""The gateway against in-process fake services and the real fusion app."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from dd_contracts import Analysis, Modality, ModalityStatus
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import mp4_clip, wav_bytes
from tests.gateway.conftest import Stack
from tests.media import jpeg_bytes, png_bomb, png_bytes


def post(client: TestClient, data: bytes, name: str = "upload.bin", wait: bool = True):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/analyses", params={"wait": str(wait).lower()}, files={"file": (name, data)}
    )


def test_image_wait_returns_finished_document(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        response = post(client, jpeg_bytes(), "face.jpg")
    assert response.status_code == 200, response.text
    analysis = Analysis.model_validate(response.json())
    assert analysis.status == "done"
    assert analysis.media.kind == "image" and analysis.media.mime == "image/jpeg"
    assert analysis.verdict is not None and analysis.verdict.label == "fake"
    assert analysis.verdict.fake_probability is not None
    assert analysis.modalities["image"].status is ModalityStatus.ok
    assert analysis.models[0].name == "fake-image"
    assert {"upload_and_sniff", "image", "fusion", "total"} <= set(analysis.latencies_ms)


def test_async_202_then_get_returns_same_document(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.1, delay_s=0.2)
    with stack.client() as client:
        accepted = post(client, png_bytes(), wait=False)
        assert accepted.status_code == 202
        body = accepted.json()
        assert accepted.headers["location"] == f"/v1/analyses/{body['id']}"
        deadline = time.monotonic() + 10
        while (doc := client.get(body["location"]).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert doc["verdict"]["label"] == "real"
        listed = client.get("/v1/analyses").json()["items"]
        assert listed[0]["id"] == body["id"]


def test_kind_comes_from_bytes_not_name(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.2)
    with stack.client() as client:
        response = post(client, png_bytes(), "song.mp3")
    assert response.json()["media"]["kind"] == "image"
    assert response.json()["media"]["format"] == "png"


def test_missing_audio_and_video_services_are_reported_unavailable(stack: Stack) -> None:
    stack.deployed = {Modality.image}
    with stack.client() as client:
        wav = wav_bytes()
        response = post(client, wav, "a.wav")
    doc = response.json()
    assert response.status_code == 200, doc
    assert doc["modalities"]["audio"]["status"] == "unavailable"
    assert doc["verdict"]["label"] == "uncertain"
    assert doc["verdict"]["partial"] is True
    assert doc["verdict"]["fake_probability"] is None


def test_unreachable_service_is_unavailable_not_an_error(stack: Stack) -> None:
    # Deployed in settings but nothing listens there.
    with stack.client() as client:
        response = post(client, jpeg_bytes())
    doc = response.json()
    assert doc["modalities"]["image"]["status"] == "unavailable"
    assert "unreachable" in doc["modalities"]["image"]["reason"]


def test_missing_weights_are_named_in_the_answer(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, missing_weights=True)
    with stack.client() as client:
        doc = post(client, jpeg_bytes()).json()
        services = {s["name"]: s for s in client.get("/v1/services").json()}
    assert doc["modalities"]["image"]["status"] == "unavailable"
    assert "make models" in doc["modalities"]["image"]["reason"]
    assert doc["verdict"]["label"] == "uncertain"
    assert services["image"]["ready"] is False
    assert services["fusion"]["ready"] is True


def test_bad_inputs_get_typed_4xx_and_the_gateway_keeps_serving(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.3)
    with stack.client(max_upload_bytes=200_000) as client:
        cases = [
            (b"", "empty.jpg", 400, "empty_media"),
            (b"hello, this is text\n" * 10, "photo.jpg", 415, "unsupported_media_type"),
            (png_bomb(), "bomb.png", 413, "decompression_bomb"),
            (b"\xff\xd8\xff" + b"\x00" * 300_000, "big.jpg", 413, "payload_too_large"),
            (jpeg_bytes() + b"REJECT", "corrupt.jpg", 422, "corrupt_media"),
        ]
        for data, name, status, type_ in cases:
            response = post(client, data, name)
            assert response.status_code == status, (name, response.text)
            assert response.json()["type"] == type_
            assert response.json()["detail"].endswith(".")
            assert response.json()["request_id"]
        assert post(client, jpeg_bytes()).status_code == 200


def test_rejected_media_without_wait_ends_failed(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image)
    with stack.client() as client:
        accepted = post(client, jpeg_bytes() + b"REJECT", wait=False).json()
        deadline = time.monotonic() + 5
        while (doc := client.get(accepted["location"]).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert doc["status"] == "failed"
    assert doc["error"]["type"] == "corrupt_media"


def test_video_fans_out_to_video_and_audio(stack: Stack) -> None:
    stack.analyzers[Modality.video] = FakeAnalyzer(Modality.video, 0.95, delay_s=0.1)
    stack.analyzers[Modality.audio] = FakeAnalyzer(Modality.audio, 0.9)
    clip = mp4_clip(stack.tmp_path / "clip.mp4", sound=True)
    with stack.client() as client:
        doc = post(client, clip, "clip.mp4").json()
    assert doc["media"]["kind"] == "video"
    assert doc["media"]["has_audio"] is True
    assert set(doc["modalities"]) == {"video", "audio"}
    assert doc["verdict"]["label"] == "fake"
    assert {c["modality"] for c in doc["verdict"]["contributions"]} == {"video", "audio"}
    assert doc["progress"] == {"video": 1.0, "audio": 1.0}


def test_silent_video_never_reaches_the_audio_service(stack: Stack) -> None:
    audio = FakeAnalyzer(Modality.audio, 0.9)
    stack.analyzers[Modality.video] = FakeAnalyzer(Modality.video, 0.95)
    stack.analyzers[Modality.audio] = audio
    clip = mp4_clip(stack.tmp_path / "silent.mp4", sound=False)
    with stack.client() as client:
        doc = post(client, clip, "silent.mp4").json()
    assert audio.calls == 0
    assert doc["media"]["has_audio"] is False
    assert doc["modalities"]["audio"]["status"] == "no_signal"
    assert doc["modalities"]["audio"]["reason"] == "no sound track"
    assert doc["verdict"]["partial"] is False and doc["verdict"]["label"] == "fake"
    assert doc["progress"] == {"video": 1.0}


def test_full_queue_answers_503_with_retry_after(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, delay_s=0.5)
    with stack.client(max_running_jobs=1, max_queued_jobs=1) as client:
        codes = [post(client, jpeg_bytes(), wait=False) for _ in range(4)]
    statuses = [r.status_code for r in codes]
    assert statuses[0] == 202
    assert 503 in statuses
    refused = codes[statuses.index(503)]
    assert refused.json()["type"] == "queue_full"
    assert refused.headers["retry-after"]


def test_unknown_analysis_is_404(stack: Stack) -> None:
    with stack.client() as client:
        response = client.get("/v1/analyses/nope")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_silent_video_refused_by_the_video_service_answers_as_refused(stack: Stack) -> None:
    stack.analyzers[Modality.video] = FakeAnalyzer(Modality.video, 0.9)
    stack.analyzers[Modality.audio] = FakeAnalyzer(Modality.audio, 0.9)
    clip = mp4_clip(stack.tmp_path / "silent.mp4", sound=False) + b"REJECT"
    with stack.client() as client:
        refused = post(client, clip, "silent.mp4")
        doc = client.get(refused.headers["location"]).json()
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "corrupt_media"
    assert doc["status"] == "failed" and doc["error"]["type"] == "corrupt_media"


def test_service_error_details_never_show_internal_paths(stack: Stack) -> None:
    class PathLeaker(FakeAnalyzer):
        def analyze(self, path, progress=None):  # type: ignore[no-untyped-def]
            from dd_inference import MediaRejected

            raise MediaRejected("corrupt_media", f"cannot parse {path} (/tmp/dd-x/y.bin)", 422)

    stack.analyzers[Modality.image] = PathLeaker(Modality.image)
    with stack.client() as client:
        refused = post(client, jpeg_bytes())
    detail = refused.json()["detail"]
    assert refused.status_code == 422 and "/tmp" not in detail and "/" not in detail, detail

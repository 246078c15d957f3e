"""Evidence pictures by URL (immutable, cacheable), the original media with Range, PDF
reports, and history pages of summaries."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

from PIL import Image

from dd_contracts import (
    AudioEvidence,
    AudioWindow,
    Box,
    Modality,
    ModalityResult,
    VideoEvidence,
    VideoThumbnail,
)
from dd_inference import ProgressCallback
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import mp4_clip
from tests.gateway.conftest import Stack, upload
from tests.media import jpeg_bytes, png_bytes

IMMUTABLE = "public, max-age=31536000, immutable"
SPECTROGRAM = png_bytes(300, 100, (10, 20, 200))
THUMB = jpeg_bytes(32, 32)


class PictureAnalyzer(FakeAnalyzer):
    """Answers with evidence pictures inline, as the services send them today."""

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        result = super().analyze(path, progress)
        box = Box(x1=0, y1=0, x2=10, y2=10)
        if self.modality is Modality.audio:
            result.evidence = AudioEvidence(
                duration_s=1.0,
                sample_rate=16000,
                speech_ratio=1.0,
                windows=[AudioWindow(start_s=0, end_s=1, fake_probability=0.8, speech=True)],
                aggregation="mean",
                spectrogram_png_base64=base64.b64encode(SPECTROGRAM).decode(),
            )
        else:
            result.evidence = VideoEvidence(
                duration_s=1.0,
                fps=5,
                width=64,
                height=48,
                sampled_frames=5,
                frames_without_face=[],
                timeline=[],
                tracks=[],
                thumbnails=[
                    VideoThumbnail(
                        t_s=t,
                        track_id=0,
                        fake_probability=0.8,
                        box=box,
                        jpeg_base64=base64.b64encode(THUMB).decode(),
                    )
                    for t in (0.0, 0.5)
                ],
                aggregation="mean",
                has_audio=True,
            )
        return result


def test_evidence_pictures_become_immutable_artifacts(stack: Stack) -> None:
    stack.analyzers[Modality.video] = PictureAnalyzer(Modality.video, 0.9)
    stack.analyzers[Modality.audio] = PictureAnalyzer(Modality.audio, 0.9)
    clip = mp4_clip(stack.tmp_path / "clip.mp4", sound=True)
    with stack.client() as client:
        doc = upload(client, clip, "clip.mp4", wait=True).json()
        audio = doc["modalities"]["audio"]["evidence"]
        thumbs = doc["modalities"]["video"]["evidence"]["thumbnails"]
        assert audio["spectrogram_png_base64"] is None
        assert (
            audio["spectrogram_url"] == f"/v1/analyses/{doc['id']}/artifacts/audio-spectrogram.png"
        )
        assert all(t["jpeg_base64"] is None for t in thumbs)
        spectrogram = client.get(audio["spectrogram_url"])
        thumb = client.get(thumbs[1]["url"])
        again = client.get(
            audio["spectrogram_url"], headers={"If-None-Match": spectrogram.headers["etag"]}
        )
        missing = client.get(f"/v1/analyses/{doc['id']}/artifacts/nope.png")
        traversal = client.get(f"/v1/analyses/{doc['id']}/artifacts/..%2Fgateway.sqlite3")
        stored = client.get(f"/v1/analyses/{doc['id']}").json()
        summary = client.get("/v1/analyses").json()["items"][0]
        assert client.delete(f"/v1/analyses/{doc['id']}").status_code == 204
        gone = client.get(audio["spectrogram_url"])
    assert spectrogram.status_code == 200 and spectrogram.content == SPECTROGRAM
    assert spectrogram.headers["content-type"] == "image/png"
    assert spectrogram.headers["cache-control"] == IMMUTABLE
    assert spectrogram.headers["etag"].startswith('"')
    assert thumb.content == THUMB and thumb.headers["content-type"] == "image/jpeg"
    assert again.status_code == 304
    assert missing.status_code == 404 and traversal.status_code == 404
    assert stored == doc  # the stored document carries URLs, not base64
    assert summary["thumbnail_url"] == thumbs[0]["url"]
    assert gone.status_code == 404


def test_image_summary_has_a_small_jpeg_thumbnail(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        doc = upload(client, png_bytes(1200, 800), "big.png", wait=True).json()
        summary = client.get("/v1/analyses").json()["items"][0]
        thumbnail = client.get(summary["thumbnail_url"])
    assert summary["id"] == doc["id"] and summary["filename"] == "big.png"
    assert summary["kind"] == "image" and summary["mime"] == "image/png"
    assert summary["verdict_label"] == "fake" and summary["fake_probability"] > 0.5
    picture = Image.open(io.BytesIO(thumbnail.content))
    assert picture.format == "JPEG" and max(picture.size) <= 256
    assert thumbnail.headers["cache-control"] == IMMUTABLE


def test_media_is_served_with_range_support(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    data = png_bytes(300, 200)
    with stack.client() as client:
        doc = upload(client, data, "a.png", wait=True).json()
        url = f"/v1/analyses/{doc['id']}/media"
        whole = client.get(url)
        part = client.get(url, headers={"Range": "bytes=10-19"})
        tail = client.get(url, headers={"Range": "bytes=-7"})
        open_end = client.get(url, headers={"Range": f"bytes={len(data) - 3}-"})
        beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert part.headers["content-length"] == "10"
    assert tail.status_code == 206 and tail.content == data[-7:]
    assert open_end.status_code == 206 and open_end.content == data[-3:]
    assert beyond.status_code == 416
    assert beyond.json()["type"] == "range_not_satisfiable"
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


def test_pdf_report(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        doc = upload(client, jpeg_bytes(), "ünïcode face.jpg", wait=True).json()
        pdf = client.get(f"/v1/analyses/{doc['id']}/report", params={"format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 1000
    assert f"analysis-{doc['id']}.pdf" in pdf.headers["content-disposition"]


def test_history_of_200_analyses_is_a_small_page_of_summaries(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        ids = []
        for i in range(200):
            name = f"photo-{i:03d}.jpg" if i % 2 else f"Holiday-{i:03d}.JPG"
            ids.append(upload(client, jpeg_bytes() + bytes([i % 256]) * (i + 1), name).json()["id"])
        deadline = time.monotonic() + 120
        while (
            client.get("/v1/analyses", params={"limit": 1, "verdict": "fake"}).json()["total"] < 200
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        first = client.get("/v1/analyses")
        biggest = client.get("/v1/analyses", params={"limit": 100})
        found = client.get("/v1/analyses", params={"q": "holiday", "limit": 100}).json()
        one_document = client.get(f"/v1/analyses/{ids[0]}")
    page = first.json()
    assert page["total"] == 200 and len(page["items"]) == 20
    assert [item["id"] for item in page["items"]] == ids[::-1][:20]
    assert found["total"] == 100 and all("oliday" in i["filename"] for i in found["items"])
    print(
        f"\nGET /v1/analyses with 200 stored: 20 summaries {len(first.content)} B, "
        f"100 summaries {len(biggest.content)} B; one full document {len(one_document.content)} B"
    )
    # A summary is a few hundred bytes, whatever the evidence in the document.
    assert len(first.content) < 20 * 600
    assert len(biggest.content) < 100 * 600

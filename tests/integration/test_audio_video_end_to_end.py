"""Voice clips and videos through the real gateway, audio, video and fusion services."""

from __future__ import annotations

from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from dd_contracts import Analysis, WeightsState
from tests.integration.conftest import RunningStack

pytestmark = [pytest.mark.integration, pytest.mark.weights]


def analyze(stack: RunningStack, path: Path, name: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{stack.url('gateway')}/v1/analyses",
        params={"wait": "true"},
        files={"file": (name or path.name, path.read_bytes())},
        timeout=300,
    )


def test_human_speech_is_real(stack: RunningStack, shared_media: Path) -> None:
    response = analyze(stack, shared_media / "speech/arctic_a0007.wav", "clip.bin")
    assert response.status_code == 200, response.text
    doc = Analysis.model_validate(response.json())
    assert doc.media.kind == "audio"
    audio = doc.modalities["audio"]
    assert audio.status == "ok" and audio.evidence is not None
    assert audio.evidence.kind == "audio" and audio.evidence.windows
    # The spectrogram is an artifact by URL (immutable), not inline base64.
    assert audio.evidence.spectrogram_png_base64 is None and audio.evidence.spectrogram_url
    picture = httpx.get(f"{stack.url('gateway')}{audio.evidence.spectrogram_url}")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert picture.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert doc.verdict is not None and doc.verdict.label == "real"
    names = {m.name: m.weights for m in doc.models}
    # AASIST counts with real weights; the untrained seed CNN is opt-in, so not run here.
    assert names.get("aasist") is WeightsState.real and "spectrogram-cnn" not in names


def test_tts_speech_is_fake(stack: RunningStack, shared_media: Path) -> None:
    doc = analyze(stack, shared_media / "tts/espeak_en.wav").json()
    assert doc["modalities"]["audio"]["fake_probability"] > 0.5
    assert doc["verdict"]["label"] == "fake"


def test_talking_video_judged_by_video_and_audio(stack: RunningStack, shared_media: Path) -> None:
    response = analyze(stack, shared_media / "astronaut_talk.mp4")
    assert response.status_code == 200, response.text
    doc = Analysis.model_validate(response.json())
    assert doc.media.kind == "video"
    video, audio = doc.modalities["video"], doc.modalities["audio"]
    assert video.status == "ok" and audio.status == "ok"
    assert video.evidence is not None and video.evidence.kind == "video"
    assert len(video.evidence.tracks) == 1
    assert video.evidence.has_audio
    assert audio.fake_probability is not None and audio.fake_probability < 0.5
    assert doc.verdict is not None and doc.verdict.label == "real"
    assert {c.modality for c in doc.verdict.contributions} == {"video", "audio"}
    assert doc.progress == {"video": 1.0, "audio": 1.0}


def test_video_without_sound_track_is_no_signal_not_error(
    stack: RunningStack, tmp_path: Path
) -> None:
    path = tmp_path / "silent.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(20):
            frame = np.full((120, 160, 3), (i * 10) % 255, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")))
        container.mux(stream.encode(None))
    response = analyze(stack, path)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["modalities"]["audio"]["status"] == "no_signal"
    assert doc["modalities"]["audio"]["reason"] == "no sound track"  # the gateway knew
    assert doc["media"]["has_audio"] is False
    assert doc["verdict"]["partial"] is False

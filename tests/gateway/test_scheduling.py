"""Fair scheduling: short work is not queued behind long work. Videos run in their own
lane, so an image submitted while a long video runs finishes within 2x its idle time."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import mp4_clip
from tests.gateway.conftest import Stack, upload
from tests.media import jpeg_bytes


def _image_latency(client: TestClient, salt: int) -> float:
    started = time.perf_counter()
    response = upload(client, jpeg_bytes() + bytes([salt]), "a.jpg", wait=True)
    assert response.status_code == 200 and response.json()["status"] == "done"
    return time.perf_counter() - started


def test_an_image_is_not_queued_behind_long_videos(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9, delay_s=0.2)
    stack.analyzers[Modality.video] = FakeAnalyzer(Modality.video, 0.9, delay_s=4.0)
    stack.analyzers[Modality.audio] = FakeAnalyzer(Modality.audio, 0.9, delay_s=4.0)
    clip = mp4_clip(stack.tmp_path / "clip.mp4", sound=True)
    # One slot per lane: before lanes, one long video held the only slot.
    with stack.client(max_running_jobs=1, max_running_videos=1) as client:
        idle = min(_image_latency(client, i) for i in range(2))
        videos = [upload(client, clip + bytes([i]), "v.mp4").json() for i in range(2)]
        deadline = time.monotonic() + 10
        while client.get(videos[0]["location"]).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        busy = _image_latency(client, 9)
        still_running = client.get(videos[0]["location"]).json()["status"]
    print(f"\nimage idle {idle * 1000:.0f} ms; beside a long video {busy * 1000:.0f} ms")
    assert still_running == "running"  # the video really was in the way
    assert busy < 2 * idle

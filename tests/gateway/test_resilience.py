"""Resilience: a service killed mid-analysis gives a partial verdict that names it; the
gateway keeps serving; once the service is back the next answer is whole; a dead service
trips its circuit breaker and fails fast."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dd_contracts import Modality
from dd_fusion.app import create_app as create_fusion
from dd_fusion.settings import FusionSettings
from dd_gateway.app import create_app as create_gateway
from dd_gateway.core.settings import GatewaySettings
from dd_service_kit.testing import HostRouter
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import mp4_clip
from tests.gateway.conftest import FUSION_URL, URLS, Stack, fake_service, upload
from tests.media import jpeg_bytes

REPO = Path(__file__).resolve().parents[2]


class LoopbackOrRouter(httpx.AsyncBaseTransport):
    """In-process apps by host name; anything on 127.0.0.1 goes over the real network."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.router = HostRouter(apps)
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "127.0.0.1":
            return await self.network.handle_async_request(request)
        return await self.router.handle_async_request(request)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VideoService:
    """The fake video service as its own process, on a fixed port, killable."""

    def __init__(self, port: int, delay_s: float) -> None:
        self.port = port
        self.delay_s = delay_s
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.gateway.fake_service", "--modality", "video"),
                *("--port", str(self.port), "--delay-s", str(self.delay_s)),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, "fake video service exited"
            assert time.monotonic() < deadline, "fake video service did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def video_service() -> Iterator[VideoService]:
    service = VideoService(_free_port(), delay_s=3.0)
    service.start()
    yield service
    if service.proc and service.proc.poll() is None:
        service.kill()


def _clip(tmp_path: Path) -> bytes:
    # With a sound track: the audio modality judges it while the video service dies.
    return mp4_clip(tmp_path / "clip.mp4", sound=True)


def test_killed_video_service_gives_partial_verdict_then_whole_again(
    tmp_path: Path, video_service: VideoService
) -> None:
    apps = {
        FUSION_URL: create_fusion(FusionSettings(json_logs=False)),
        URLS[Modality.audio]: fake_service(FakeAnalyzer(Modality.audio, 0.9)),
        URLS[Modality.image]: fake_service(FakeAnalyzer(Modality.image, 0.9)),
    }
    settings = GatewaySettings(
        json_logs=False,
        data_dir=tmp_path / "data",
        image_url=URLS[Modality.image],
        audio_url=URLS[Modality.audio],
        video_url=f"http://127.0.0.1:{video_service.port}",
        fusion_url=FUSION_URL,
        progress_poll_s=0.1,
        connect_retry_backoff_s=0.01,
    )
    clip = _clip(tmp_path)
    with TestClient(create_gateway(settings, transport=LoopbackOrRouter(apps))) as client:
        accepted = upload(client, clip, "clip.mp4").json()
        deadline = time.monotonic() + 10
        while client.get(accepted["location"]).json()["progress"].get("video", 0) <= 0:
            assert time.monotonic() < deadline, "the video service never reported progress"
            time.sleep(0.05)
        video_service.kill()  # mid-analysis
        deadline = time.monotonic() + 15
        while (doc := client.get(accepted["location"]).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert doc["status"] == "done"
        assert doc["partial"] is True and doc["verdict"]["partial"] is True
        assert doc["modalities"]["video"]["status"] == "failed"
        assert doc["partial_reason"].startswith("video: failed")
        assert doc["modalities"]["audio"]["status"] == "ok"
        assert doc["verdict"]["label"] == "fake"  # from the audio alone
        # The gateway keeps serving other work meanwhile.
        image = upload(client, jpeg_bytes(), wait=True)
        assert image.status_code == 200 and image.json()["partial"] is False

        video_service.delay_s = 0.0
        video_service.start()
        whole = upload(client, clip, "clip.mp4", wait=True).json()
        assert whole["status"] == "done" and whole["partial"] is False
        assert whole["modalities"]["video"]["status"] == "ok"
        assert whole["id"] != doc["id"]  # the partial result was not reused


def test_dead_service_trips_the_breaker_and_fails_fast(stack: Stack) -> None:
    # image is "deployed" but nothing listens there: connection refused every time.
    with stack.client(breaker_failures=2, breaker_cooldown_s=60, connect_retries=1) as client:
        first = [upload(client, jpeg_bytes() + bytes([i]), wait=True).json() for i in range(2)]
        started = time.perf_counter()
        fast = upload(client, jpeg_bytes() + b"\x07", wait=True).json()
        took = time.perf_counter() - started
        metrics = client.get("/metrics").text
    assert all("unreachable" in d["modalities"]["image"]["reason"] for d in first)
    assert fast["modalities"]["image"]["status"] == "unavailable"
    assert "circuit open" in fast["modalities"]["image"]["reason"]
    assert took < 1.0
    assert 'dd_gateway_breaker_state{service="image"} 2.0' in metrics
    assert 'dd_gateway_modality_results_total{modality="image",status="unavailable"} 3.0' in metrics

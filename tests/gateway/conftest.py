from __future__ import annotations

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
from dd_service_kit.inference_app import InferenceSettings, create_inference_app
from dd_service_kit.testing import HostRouter
from tests.fakes import FakeAnalyzer

URLS = {
    Modality.image: "http://image.test:8001",
    Modality.audio: "http://audio.test:8002",
    Modality.video: "http://video.test:8003",
}
FUSION_URL = "http://fusion.test:8004"


def fake_service(analyzer: FakeAnalyzer) -> FastAPI:
    app = create_inference_app(
        service=analyzer.modality.value,
        version="test",
        description="fake",
        settings=InferenceSettings(json_logs=False),
        analyzer=analyzer,
    )
    app.state.model_state.start()  # ASGITransport runs no lifespan
    deadline = time.monotonic() + 5
    while app.state.model_state.reason in ("loading models", "warming up"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return app


class Stack:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.analyzers: dict[Modality, FakeAnalyzer] = {}
        self.deployed = set(Modality)
        # Extra in-process apps the gateway can reach (e.g. a callback receiver).
        self.extra_apps: dict[str, FastAPI] = {}

    def client(self, **settings: object) -> TestClient:
        apps: dict[str, FastAPI] = {FUSION_URL: create_fusion(FusionSettings(json_logs=False))}
        for modality, analyzer in self.analyzers.items():
            apps[URLS[modality]] = fake_service(analyzer)
        apps.update(self.extra_apps)
        gateway = create_gateway(
            GatewaySettings(
                json_logs=False,
                data_dir=self.tmp_path / "data",
                image_url=URLS[Modality.image] if Modality.image in self.deployed else None,
                audio_url=URLS[Modality.audio] if Modality.audio in self.deployed else None,
                video_url=URLS[Modality.video] if Modality.video in self.deployed else None,
                fusion_url=FUSION_URL,
                progress_poll_s=0.02,
                connect_retry_backoff_s=0.01,
                claim_poll_s=0.2,
                **settings,  # type: ignore[arg-type]
            ),
            transport=HostRouter(apps),
        )
        return TestClient(gateway)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield Stack(tmp_path)


def upload(
    client: TestClient, data: bytes, name: str = "upload.bin", **params: object
) -> httpx.Response:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    return client.post("/v1/analyses", params=query, files={"file": (name, data)})


def wait_finished(client: TestClient, location: str, timeout_s: float = 10) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout_s
    while (doc := client.get(location).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, doc
        time.sleep(0.02)
    return doc

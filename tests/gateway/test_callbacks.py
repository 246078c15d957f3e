"""callback_url: the finished document is POSTed there, signed, with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from fastapi import FastAPI, Request, Response

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack, upload
from tests.media import jpeg_bytes

SECRET = "s3cret"


def _receiver(
    fail_first: int, failure: int = 503
) -> tuple[FastAPI, list[tuple[dict[str, str], bytes]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=failure if len(received) <= fail_first else 204)

    return app, received


def test_finished_document_is_posted_signed_after_retries(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    receiver, received = _receiver(fail_first=2)
    stack.extra_apps["http://hooks.test"] = receiver
    # hooks.test is an in-process app, not a public host: private destinations allowed.
    settings = {
        "callback_secret": SECRET,
        "callback_backoff_s": 0.01,
        "callback_allow_private": True,
    }
    with stack.client(**settings) as client:
        doc = upload(client, jpeg_bytes(), wait=True, callback_url="http://hooks.test/hook")
        deadline = time.monotonic() + 5
        while len(received) < 3:
            assert time.monotonic() < deadline, received
            time.sleep(0.02)
        metrics = client.get("/metrics").text
    assert doc.status_code == 200
    headers, body = received[-1]
    expected = hmac.new(
        SECRET.encode(), headers["x-dd-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-dd-signature"] == f"sha256={expected}"
    assert headers["x-dd-analysis-id"] == doc.json()["id"]
    assert json.loads(body) == doc.json()
    assert 'dd_gateway_callbacks_total{outcome="delivered"} 1.0' in metrics


def test_callback_needs_a_configured_secret_and_an_http_url(stack: Stack) -> None:
    with stack.client() as client:
        disabled = upload(client, jpeg_bytes(), callback_url="http://hooks.test/hook")
    with stack.client(callback_secret=SECRET) as client:
        not_http = upload(client, jpeg_bytes(), callback_url="file:///etc/passwd")
    assert disabled.status_code == 400 and disabled.json()["type"] == "callbacks_disabled"
    assert not_http.status_code == 422


def test_callback_refused_with_4xx_is_not_retried(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    receiver, received = _receiver(fail_first=10, failure=410)
    stack.extra_apps["http://hooks.test"] = receiver
    with stack.client(
        callback_secret=SECRET, callback_backoff_s=0.01, callback_allow_private=True
    ) as client:
        upload(client, jpeg_bytes(), wait=True, callback_url="http://hooks.test/hook")
        deadline = time.monotonic() + 5
        while 'outcome="gave_up"} 1.0' not in (metrics := client.get("/metrics").text):
            assert time.monotonic() < deadline, metrics
            time.sleep(0.02)
    assert len(received) == 1

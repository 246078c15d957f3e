"""Against a gateway that answers 429 (Retry-After: 1) and then 200, the client waits as
it is told and succeeds; connection failures are retried, then reported."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from dfd import ApiError, AsyncClient, Client, ConnectionFailed
from dfd.retry import RetryPolicy, retry_after_s

from dd_contracts import Analysis
from tests.clients.python.stub_gateway import Script, document, stub_gateway

RATE_LIMITED = (
    429,
    {"Retry-After": "1"},
    {"type": "rate_limited", "detail": "Too many requests.", "request_id": "r1"},
)


def _media(tmp_path: Path, size: int = 300_000) -> Path:
    path = tmp_path / "face.jpg"
    path.write_bytes(b"\xff\xd8\xff" + b"x" * (size - 3))
    return path


def _script() -> Script:
    return Script(posts=[RATE_LIMITED, (200, {}, document("cached", "real", 0.1))])


def test_sync_client_waits_retry_after_then_succeeds(tmp_path: Path) -> None:
    media = _media(tmp_path)
    script = _script()
    with stub_gateway(script) as url, Client(url) as client:
        started = time.monotonic()
        analysis = client.analyze(media)
    assert isinstance(analysis, Analysis)
    assert analysis.id == "cached" and analysis.verdict and analysis.verdict.label == "real"
    posts = script.posts_seen()
    assert len(posts) == 2
    # Waited as told (1 s), not much more: no extra backoff on top of Retry-After.
    assert 0.95 <= posts[1].at - posts[0].at < 3.0
    assert time.monotonic() - started >= 0.95
    # The second attempt sent the whole file again (a fresh stream per attempt).
    declared = int(posts[1].headers["Content-Length"])
    assert posts[1].body_bytes == declared > media.stat().st_size


def test_async_client_waits_retry_after_then_succeeds(tmp_path: Path) -> None:
    media = _media(tmp_path)
    script = _script()

    async def run(url: str) -> Analysis:
        async with AsyncClient(url) as client:
            return await client.analyze(media)

    with stub_gateway(script) as url:
        analysis = asyncio.run(run(url))
    assert analysis.id == "cached"
    posts = script.posts_seen()
    assert len(posts) == 2 and 0.95 <= posts[1].at - posts[0].at < 3.0


def test_gives_up_with_the_gateway_error_after_the_attempts(tmp_path: Path) -> None:
    script = Script(posts=[(503, {"Retry-After": "0"}, {"type": "queue_full", "detail": "Busy."})])
    with (
        stub_gateway(script) as url,
        Client(url, retry=RetryPolicy(attempts=3)) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.analyze(_media(tmp_path, 1000))
    assert caught.value.type == "queue_full" and caught.value.status == 503
    assert len(script.posts_seen()) == 3


def test_connection_errors_are_retried_with_backoff_then_reported(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = RetryPolicy(attempts=3, backoff_s=0.2)
    started = time.monotonic()
    with (
        Client(f"http://127.0.0.1:{port}", retry=policy) as client,
        pytest.raises(ConnectionFailed),
    ):
        client.get("nothing")
    # Two backoffs (about 0.1-0.2 s and 0.2-0.4 s with jitter) before giving up.
    assert time.monotonic() - started >= 0.3


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_s("3") == 3.0
    assert retry_after_s(None) is None and retry_after_s("soon") is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (retry_after_s(later) or 0) <= 31

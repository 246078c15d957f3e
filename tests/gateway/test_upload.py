"""Streamed uploads: parsed from the request stream, written to disk, refused with 413
as soon as the limit is passed even when no Content-Length announces the size."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

from starlette.types import ASGIApp

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack
from tests.media import jpeg_bytes

BOUNDARY = "dd-test-boundary"


def _multipart(parts: list[tuple[str, bytes]], filename: str = "a.jpg") -> bytes:
    body = b""
    for name, data in parts:
        body += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


def _headers() -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _upload_scope() -> dict[str, object]:
    """The ASGI scope of a multipart POST /v1/analyses, as a server would build it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/analyses",
        "raw_path": b"/v1/analyses",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def _stream_to_app(app: ASGIApp, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """Drive the ASGI app directly, as a server would: one body chunk per receive(), so
    the test sees how much of the body the app asked for before answering."""
    scope = _upload_scope()
    answered: dict[str, object] = {}

    async def receive() -> dict[str, object]:
        chunk = next(chunks, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answered["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answered["body"] = bytes(answered.get("body", b"")) + bytes(message["body"])  # type: ignore[call-overload]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return int(answered["status"]), bytes(answered["body"])  # type: ignore[call-overload]


def test_limit_enforced_while_streaming_without_content_length(stack: Stack) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '.encode()
        yield b'filename="big.jpg"\r\n\r\n\xff\xd8\xff'
        for _ in range(100):  # would be 6.4 MB
            sent += 1
            yield b"\x00" * 65536

    with stack.client(max_upload_bytes=256 * 1024) as client:
        status, answer = asyncio.run(_stream_to_app(client.app, body()))
        leftovers = list((stack.tmp_path / "data" / "incoming" / "local").iterdir())
        stored = list((stack.tmp_path / "data" / "media").iterdir())
    assert status == 413
    assert json.loads(answer)["type"] == "payload_too_large"
    # 3 bytes + 4 x 64 KiB passes 256 KiB: refused right there, not after all 6.4 MB.
    assert sent == 4
    assert leftovers == [] and stored == []


def test_file_field_is_found_among_other_fields(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    body = _multipart([("note", b"hello"), ("file", jpeg_bytes()), ("file", b"ignored")])
    with stack.client() as client:
        response = client.post(
            "/v1/analyses", params={"wait": "true"}, content=body, headers=_headers()
        )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["media"]["kind"] == "image" and doc["media"]["filename"] == "a.jpg"
    assert doc["media"]["size_bytes"] == len(jpeg_bytes())


def test_malformed_or_missing_multipart_is_422(stack: Stack) -> None:
    with stack.client() as client:
        not_multipart = client.post(
            "/v1/analyses", content=b"raw", headers={"Content-Type": "image/jpeg"}
        )
        no_file = client.post(
            "/v1/analyses", content=_multipart([("other", b"x")]), headers=_headers()
        )
        garbage = client.post("/v1/analyses", content=b"--nope\r\n\r\n\x00\x01", headers=_headers())
    for response in (not_multipart, no_file, garbage):
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "validation_error"


def test_body_without_its_closing_boundary_is_refused(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    whole = _multipart([("file", jpeg_bytes())])
    cut = whole[: whole.rindex(f"--{BOUNDARY}--".encode())]
    with stack.client() as client:
        refused = client.post("/v1/analyses", content=cut, headers=_headers())
        stored = list((stack.tmp_path / "data" / "media").iterdir())
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"] == "bad_request"
    assert stored == []


def test_client_gone_mid_upload_is_not_a_server_error(stack: Stack) -> None:
    def body() -> Iterator[bytes]:
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '.encode()
        yield b'filename="a.jpg"\r\n\r\n\xff\xd8\xff' + b"\x00" * 70_000

    async def drive(app: ASGIApp) -> int:
        chunks = body()
        scope = _upload_scope()
        status: list[int] = []

        async def receive() -> dict[str, object]:
            chunk = next(chunks, None)
            if chunk is None:
                return {"type": "http.disconnect"}  # the client went away
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))  # type: ignore[call-overload]

        await app(scope, receive, send)  # type: ignore[arg-type]
        return status[0]

    with stack.client() as client:
        status = asyncio.run(drive(client.app))
        metrics = client.get("/metrics").text
        leftovers = list((stack.tmp_path / "data" / "incoming" / "local").iterdir())
    assert status == 400
    posted = [line for line in metrics.splitlines() if 'route="/v1/analyses"' in line]
    assert any('status="400"' in line for line in posted), posted
    assert 'status="500"' not in metrics
    assert leftovers == []

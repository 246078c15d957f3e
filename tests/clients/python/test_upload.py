"""The upload is streamed from disk: a 1 GiB file goes out in chunks with an exact
Content-Length, and the client's memory does not grow with the file."""

from __future__ import annotations

import os
from pathlib import Path

from dfd import Client
from dfd.upload import MultipartFile

from dd_service_kit.testing import PeakRss
from tests.clients.python.stub_gateway import Script, document, stub_gateway

GIB = 1024**3
# Holding the file would add 1024 MiB; streaming it adds a few chunks and buffers.
RSS_BOUND_MB = 64


def test_one_gib_upload_keeps_memory_flat(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as file:  # sparse: takes no disk space
        file.truncate(GIB)
    script = Script(posts=[(200, {}, document("big", "real", 0.2))])
    reported: list[tuple[int, int]] = []
    with stub_gateway(script) as url, Client(url) as client:
        with PeakRss(os.getpid(), interval_s=0.01) as rss:
            analysis = client.analyze(
                big, progress=lambda sent, total: reported.append((sent, total))
            )
        grown_mb = (rss.peak - rss.idle) / 2**20
    assert analysis.id == "big"
    (post,) = script.posts_seen()
    assert post.body_bytes == int(post.headers["Content-Length"]) > GIB  # all of it arrived
    assert reported[-1] == (GIB, GIB) and len(reported) >= 1024  # 1 MiB chunks
    assert grown_mb < RSS_BOUND_MB, f"client memory grew by {grown_mb:.0f} MiB"


def test_multipart_framing(tmp_path: Path) -> None:
    path = tmp_path / 'a "quoted" name.wav'
    path.write_bytes(b"RIFF0000WAVE")
    upload = MultipartFile.of(path)
    body = b"".join(upload.stream())
    assert len(body) == int(upload.headers["Content-Length"])
    assert upload.headers["Content-Type"] == f"multipart/form-data; boundary={upload.boundary}"
    assert body.startswith(f"--{upload.boundary}\r\n".encode())
    assert b'name="file"; filename="a %22quoted%22 name.wav"' in body
    assert b"\r\n\r\nRIFF0000WAVE\r\n" in body
    assert body.endswith(f"--{upload.boundary}--\r\n".encode())

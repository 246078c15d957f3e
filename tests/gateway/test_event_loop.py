"""The event loop never parses media: a PNG of a million empty chunks (12 MB) is read,
checked and refused off the loop, and /healthz answers meanwhile without delay. And the
server's own limits: an oversized header block is refused before our code runs."""

from __future__ import annotations

import json
import socket
import statistics
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dd_service_kit.testing import free_port_block
from tests.gateway.fake_stack import spawn

REPO = Path(__file__).resolve().parents[2]
CHUNKS = 1_000_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def million_empty_chunks_png() -> bytes:
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    empty = _chunk(b"prVt", b"")  # a private ancillary chunk: legal, and skipped by readers
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + empty * CHUNKS + idat + _chunk(b"IEND", b"")


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    port = free_port_block(1)
    env = {
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_MAX_HEADER_BYTES": str(16 * 1024),
        "OMP_NUM_THREADS": "1",
    }
    proc = spawn(port, env)
    base = f"http://127.0.0.1:{port}"
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def _healthz_ms(client: httpx.Client) -> float:
    started = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    return (time.perf_counter() - started) * 1000


_UPLOADER = """
import json, sys, httpx
with open(sys.argv[2], "rb") as handle:
    data = handle.read()
r = httpx.post(sys.argv[1] + "/v1/analyses", params={"wait": "true"},
               files={"file": ("c.png", data)}, timeout=60)
print(json.dumps({"status": r.status_code, "body": r.json()}))
"""


def test_a_png_of_a_million_empty_chunks_does_not_stall_the_loop(
    gateway: str, tmp_path: Path
) -> None:
    path = tmp_path / "chunks.png"
    path.write_bytes(million_empty_chunks_png())
    with httpx.Client(base_url=gateway, timeout=60) as client:
        # The idle worst case over as many probes: the machine's own jitter (a busy CI
        # host) is not a delay the upload caused.
        idle = []
        for _ in range(40):
            idle.append(_healthz_ms(client))
            time.sleep(0.01)
        baseline = max(idle)
        # Uploaded from another process, so that this one only measures.
        uploader = subprocess.Popen(
            [sys.executable, "-c", _UPLOADER, gateway, str(path)], stdout=subprocess.PIPE
        )
        during = []
        while uploader.poll() is None:
            during.append(_healthz_ms(client))
            time.sleep(0.01)
    answer = json.loads(uploader.stdout.read())  # type: ignore[union-attr]
    worst = max(during) if during else 0.0
    print(
        f"\n{path.stat().st_size / 1e6:.1f} MB PNG, {CHUNKS} empty chunks: answered "
        f"{answer['status']} {answer['body'].get('type')}; /healthz idle worst {baseline:.1f} ms "
        f"(median {statistics.median(idle):.1f}), "
        f"worst during {worst:.1f} ms over {len(during)} probes"
    )
    assert 400 <= answer["status"] < 500, answer
    assert answer["body"]["type"] in ("parse_limit_exceeded", "corrupt_media")
    assert len(during) >= 3
    assert worst - baseline < 100


def test_an_oversized_header_block_is_refused_by_the_server(gateway: str) -> None:
    port = int(gateway.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # h11 enforces the cap on what it buffers beyond one network read (64 KiB), so the
        # effective limit is the larger of the two; 256 KiB is over both.
        big = b"a" * 256 * 1024
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n")
        try:
            reply = sock.recv(200)
        except ConnectionResetError:
            reply = b""
    assert reply.startswith(b"HTTP/1.1 400") or reply == b"", reply
    assert httpx.get(f"{gateway}/healthz").status_code == 200

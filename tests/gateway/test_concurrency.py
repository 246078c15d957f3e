"""50 concurrent uploads against a small queue, on a real gateway process: every answer
is 202, 429 or 503 (never another 5xx), every accepted job finishes, and the gateway's
memory stays bounded while it streams the uploads to disk."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dd_service_kit.testing import PeakRss
from tests.gateway.fake_stack import spawn

REPO = Path(__file__).resolve().parents[2]
UPLOADS = 50
UPLOAD_BYTES = 2 * 1024 * 1024
# 50 x 2 MB held in memory would be 100 MB; streamed to disk it is a few chunks each.
RSS_BOUND_MB = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _create_key(env: dict[str, str], name: str, admin: bool = False) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "dd_gateway.keys", "create", name, *(["--admin"] if admin else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return created.stdout.split("key: ", 1)[1].strip()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[str, str, str, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_REQUIRE_KEYS": "true",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "60",
        "GATEWAY_RATE_LIMIT_BURST": "40",
        "GATEWAY_MAX_RUNNING_JOBS": "2",
        "GATEWAY_MAX_QUEUED_JOBS": "5",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_MAX_UPLOAD_BYTES": str(8 * 1024 * 1024),
    }
    # Two keys: "load" is spent by the storm (limits are per key), "reader" checks results
    # (an admin key: it sees the analyses of every key).
    token = _create_key(env, "load")
    reader = _create_key(env, "reader", admin=True)
    proc = spawn(port, env, delay_s=0.2, ready_path="/healthz")
    base = f"http://127.0.0.1:{port}"
    yield base, token, reader, proc.pid
    proc.terminate()
    proc.wait(timeout=20)


def _image(i: int) -> bytes:
    # A JPEG header then distinct bytes: each upload is a different file (no reuse).
    from tests.media import jpeg_bytes

    head = jpeg_bytes()
    return head + i.to_bytes(4, "big") * ((UPLOAD_BYTES - len(head)) // 4)


async def _storm(base: str, token: str) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=UPLOADS)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        return await asyncio.gather(
            *(
                c.post("/v1/analyses", files={"file": (f"{i}.jpg", _image(i))})
                for i in range(UPLOADS)
            )
        )


def test_fifty_concurrent_uploads_small_queue(gateway: tuple[str, str, str, int]) -> None:
    base, token, reader, pid = gateway
    with PeakRss(pid) as rss:
        responses = asyncio.run(_storm(base, token))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {202, 429, 503}, codes
    assert 202 in codes and 503 in codes and 429 in codes, codes
    for response in responses:
        if response.status_code != 202:
            assert response.json()["type"] in ("queue_full", "rate_limited")
            assert int(response.headers["retry-after"]) >= 1
    accepted = {r.json()["id"] for r in responses if r.status_code == 202}
    headers = {"Authorization": f"Bearer {reader}"}
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, headers=headers) as client:
        while True:
            listed = client.get("/v1/analyses", params={"limit": 100})
            assert listed.status_code == 200, listed.text
            statuses = {a["id"]: a["status"] for a in listed.json()["items"]}
            if not {"queued", "running"} & set(statuses.values()):
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(1.0)  # within the reader key's rate
    # Nothing lost, nothing extra: exactly the accepted jobs, all finished.
    assert statuses == dict.fromkeys(accepted, "done")
    grew_mb = (rss.peak - rss.idle) / 2**20
    print(f"peak RSS above idle: {grew_mb:.1f} MB; codes: {sorted(codes)}")
    assert grew_mb < RSS_BOUND_MB

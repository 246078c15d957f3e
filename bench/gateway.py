#!/usr/bin/env python3
"""Gateway benchmark, with the model services replaced by instant in-process fakes
(tests/gateway/fake_stack.py; the real fusion app):

- POST /v1/analyses for a 200 KB JPEG at 1, 8 and 32 concurrent clients: requests/s and
  p50/p95/p99, both for the accepted answer (202) and end to end (?wait=true). Every
  request uses ?force=true, so no answer comes from the stored-result cache.
- Peak RSS of the gateway process, above idle, while a 1 GB upload streams in (a gateway
  with no model services, so that only the upload path is measured).

Load only against 127.0.0.1, bounded in count. Writes bench/results/gateway.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dd_service_kit.testing import PeakRss

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests.media, tests.gateway
from _common import REPO, percentiles, write_result

CONCURRENCY = (1, 8, 32)
IMAGE_BYTES = 200 * 1024
BOUNDARY = "dd-bench-boundary"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fake_gateway(data_dir: Path, *extra: str, **env: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    environ = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_MAX_QUEUED_JOBS": "10000",
        "GATEWAY_MAX_RUNNING_JOBS": "4",
        "GATEWAY_CLAIM_POLL_S": "1",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.fake_stack", "--port", str(port), *extra],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def image_200kb() -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    size = 256
    while True:  # noise compresses badly: grow until the JPEG is about 200 KB
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, "JPEG", quality=90)
        if out.tell() >= IMAGE_BYTES:
            return out.getvalue()
        size += 32


async def _load(base: str, image: bytes, clients: int, requests: int, wait: bool) -> dict:
    params = {"force": "true", "wait": str(wait).lower()}
    latencies: list[float] = []
    codes: dict[int, int] = {}
    remaining = requests

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            response = await client.post(
                "/v1/analyses", params=params, files={"file": ("bench.jpg", image)}
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "requests_per_s": round(requests / elapsed, 1),
        "status_codes": codes,
        **percentiles(latencies),
    }


def _drain(base: str) -> None:
    """Let queued work finish between runs so one run's backlog does not slow the next."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = httpx.get(f"{base}/v1/analyses", params={"limit": 100}).json()
        if not any(a["status"] in ("queued", "running") for a in page):
            return
        time.sleep(0.5)


async def _gigabyte_body(total: int) -> AsyncIterator[bytes]:
    from tests.media import jpeg_bytes

    head = jpeg_bytes()
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + head
    chunk = b"\x00" * (1 << 20)
    sent = len(head)
    while sent < total:
        piece = chunk[: total - sent]
        sent += len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def _stream_gigabyte(base: str, total: int) -> tuple[int, float]:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        t0 = time.perf_counter()
        response = await client.post("/v1/analyses", content=_gigabyte_body(total), headers=headers)
        return response.status_code, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="per concurrency level")
    parser.add_argument("--upload-mb", type=int, default=1024)
    args = parser.parse_args()
    image = image_200kb()
    results: dict[str, object] = {"image_bytes": len(image), "fakes": "instant, in-process"}
    with tempfile.TemporaryDirectory(prefix="dd-bench-gateway-") as tmp:
        with fake_gateway(Path(tmp) / "load") as (base, _):
            for wait in (False, True):
                runs = []
                asyncio.run(_load(base, image, 4, 40, wait))  # warm-up
                _drain(base)
                for clients in CONCURRENCY:
                    runs.append(asyncio.run(_load(base, image, clients, args.requests, wait)))
                    print(runs[-1], flush=True)
                    _drain(base)
                results["wait_true" if wait else "accepted_202"] = runs

        total = args.upload_mb * 1024 * 1024
        limit = {"GATEWAY_MAX_UPLOAD_BYTES": str(total + (1 << 20))}
        with fake_gateway(Path(tmp) / "stream", "--no-services", **limit) as (base, pid):
            time.sleep(1.0)
            with PeakRss(pid) as rss:
                status, seconds = asyncio.run(_stream_gigabyte(base, total))
            results["stream_upload"] = {
                "bytes": total,
                "status": status,
                "seconds": round(seconds, 2),
                "mb_per_s": round(total / 2**20 / seconds, 1),
                "idle_rss_mb": round(rss.idle / 2**20, 1),
                "peak_rss_mb": round(rss.peak / 2**20, 1),
                "peak_above_idle_mb": round((rss.peak - rss.idle) / 2**20, 1),
            }
            print(results["stream_upload"], flush=True)
    write_result("gateway", results)


if __name__ == "__main__":
    main()

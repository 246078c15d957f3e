"""Callbacks in their own lane: 64 callback targets that trickle their answer one byte
at a time cannot slow analyses down; destinations are checked (our own services,
loopback and private addresses are refused unless allowed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dd_contracts import Modality
from dd_service_kit.testing import free_port_block
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import FUSION_URL, URLS, Stack, upload
from tests.media import jpeg_bytes, png_bytes

SECRET = "s3cret"
TARGETS = 64


class Trickler:
    """A callback target on loopback that reads the request, then answers one byte every
    `every_s` seconds, never finishing (until closed)."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(256)
        self.port = int(self.server.getsockname()[1])
        self.connections = 0
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000:
                    if self.closed.wait(self.every_s):
                        return
                    conn.send(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.closed.set()
        self.server.close()


REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    target = Trickler()
    yield target
    target.close()


def _spawn(argv: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, *argv],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(ready_url, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, f"{argv} exited"
        assert time.monotonic() < deadline, f"{argv} not ready"
        time.sleep(0.1)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    """A real gateway process, its image service and fusion as processes on loopback:
    every connection is a real one, each client has its own real pool."""
    base = free_port_block(3)
    image, fusion, port = base, base + 1, base + 2
    procs = []
    try:
        procs.append(
            _spawn(
                ["-m", "tests.gateway.fake_service", "--modality", "image", "--port", str(image)],
                {"DD_LOG_LEVEL": "WARNING"},
                f"http://127.0.0.1:{image}/readyz",
            )
        )
        procs.append(
            _spawn(
                ["-m", "dd_fusion"],
                {"FUSION_PORT": str(fusion), "FUSION_LOG_LEVEL": "WARNING"},
                f"http://127.0.0.1:{fusion}/readyz",
            )
        )
        env = {
            "GATEWAY_PORT": str(port),
            "GATEWAY_DATA_DIR": str(tmp_path / "data"),
            "GATEWAY_IMAGE_URL": f"http://127.0.0.1:{image}",
            "GATEWAY_FUSION_URL": f"http://127.0.0.1:{fusion}",
            "GATEWAY_CALLBACK_SECRET": SECRET,
            "GATEWAY_CALLBACK_ALLOW_PRIVATE": "true",  # the targets are on loopback
            "GATEWAY_CALLBACK_TIMEOUT_S": "120",
            "GATEWAY_CALLBACK_ATTEMPTS": "1",
            "GATEWAY_MAX_RUNNING_JOBS": "4",
            "GATEWAY_MAX_QUEUED_JOBS": "100",
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        procs.append(_spawn(["-m", "dd_gateway"], env, f"http://127.0.0.1:{port}/readyz"))
        yield f"http://127.0.0.1:{port}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _timed_image(client: httpx.Client, data: bytes) -> float:
    started = time.perf_counter()
    response = client.post(
        "/v1/analyses",
        params={"wait": "true", "force": "true"},
        files={"file": ("x.png", data)},
    )
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def test_trickling_callbacks_do_not_slow_analyses(gateway: str, trickler: Trickler) -> None:
    hook = f"http://127.0.0.1:{trickler.port}/hook"
    with httpx.Client(base_url=gateway, timeout=60) as client:
        idle = min(_timed_image(client, png_bytes()) for _ in range(3))
        for i in range(TARGETS):
            accepted = client.post(
                "/v1/analyses",
                params={"force": "true", "callback_url": hook},
                files={"file": (f"{i}.jpg", jpeg_bytes() + bytes([i]))},
            )
            assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 90
        while (
            client.get("/v1/analyses", params={"verdict": "fake", "limit": 1}).json()["total"]
            < TARGETS + 3
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        while trickler.connections < 16:  # the callback lane's own connection limit
            assert time.monotonic() < deadline, trickler.connections
            time.sleep(0.05)
        busy = max(_timed_image(client, png_bytes()) for _ in range(3))
        ready = client.get("/readyz").status_code
    print(
        f"\nimage idle {idle * 1000:.0f} ms; beside {TARGETS} trickling callbacks "
        f"{busy * 1000:.0f} ms ({trickler.connections} callback connections open)"
    )
    assert ready == 200
    assert busy < max(2 * idle, idle + 0.25)


def test_callback_destinations_are_checked(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(callback_secret=SECRET) as client:
        own_service = upload(client, jpeg_bytes(), callback_url=f"{URLS[Modality.image]}/v1/x")
        loopback = upload(client, jpeg_bytes(), callback_url="http://127.0.0.1:9/hook")
        by_name = upload(client, jpeg_bytes(), callback_url="http://localhost:9/hook")
        private = upload(client, jpeg_bytes(), callback_url="http://10.1.2.3/hook")
        link_local = upload(client, jpeg_bytes(), callback_url="http://169.254.169.254/latest")
    with stack.client(callback_secret=SECRET, callback_allow_private=True) as client:
        still_own = upload(client, jpeg_bytes(), callback_url=f"{URLS[Modality.image]}/hook")
        fusion = upload(client, jpeg_bytes(), callback_url=f"{FUSION_URL}/v1/fuse")
    for response in (own_service, loopback, by_name, private, link_local, still_own, fusion):
        assert response.status_code == 400, response.text
        assert response.json()["type"] == "callback_refused"


def test_a_callback_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name is resolved once, checked, and the request is sent to that address with
    the original Host header: a second DNS answer cannot send it elsewhere."""
    import asyncio
    import socket as sockets

    from dd_contracts import Analysis
    from dd_gateway.analyses.callbacks import CallbackPolicy, CallbackSender

    answers = iter(["93.184.216.34", "127.0.0.1"])  # public at check, loopback after

    async def fake_getaddrinfo(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [(sockets.AF_INET, sockets.SOCK_STREAM, 6, "", (next(answers), port))]

    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def scenario() -> tuple[bool, str]:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
        policy = CallbackPolicy(set(), allow_private=False)
        sender = CallbackSender(
            policy,
            SECRET,
            attempts=1,
            backoff_s=0,
            deadline_s=5,
            max_connections=2,
            transport=httpx.MockTransport(record),
        )
        analysis = Analysis.model_validate(
            {
                "id": "a" * 32,
                "status": "done",
                "created_at": "2026-01-01T00:00:00Z",
                "media": {
                    "kind": "image",
                    "mime": "image/png",
                    "format": "png",
                    "size_bytes": 1,
                    "sha256": "0" * 64,
                },
            }
        )
        delivered = await sender.deliver("http://hooks.example/hook", analysis)
        await sender.aclose()
        try:  # the next lookup answers loopback: refused before any connection
            await policy.check("http://hooks.example/hook")
            refused = ""
        except Exception as exc:  # GatewayError
            refused = getattr(exc, "type", "")
        return delivered, refused

    delivered, refused = asyncio.run(scenario())
    assert delivered
    assert seen[0].url.host == "93.184.216.34" and seen[0].headers["host"] == "hooks.example"
    assert refused == "callback_refused"

"""A real gateway process (tests/gateway/fake_stack.py: the real gateway and fusion apps,
model services faked in-process) on a free port, and helpers to read its metrics."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.gateway.fake_stack import spawn

REPO = Path(__file__).resolve().parents[3]


@dataclass
class RunningGateway:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def posts(self) -> int:
        """How many POST /v1/analyses the gateway has answered (its own metrics)."""
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        pattern = re.compile(r"^dd_http_requests_total\{([^}]*)\}\s+([0-9.e+]+)$", re.MULTILINE)
        total = 0.0
        for labels, value in pattern.findall(text):
            if 'method="POST"' in labels and 'route="/v1/analyses"' in labels:
                total += float(value)
        return int(total)

    def settled_posts(self, quiet_s: float = 0.5, timeout_s: float = 10.0) -> int:
        """posts() once it stops changing (a request cut off by a killed client is
        counted when the gateway notices)."""
        deadline = time.monotonic() + timeout_s
        last = self.posts()
        while time.monotonic() < deadline:
            time.sleep(quiet_s)
            now = self.posts()
            if now == last:
                return now
            last = now
        return last

    def analyses(self) -> int:
        response = httpx.get(f"{self.url}/v1/analyses", params={"limit": 1}, timeout=10)
        body = response.json()
        return (
            int(body["total"]) if isinstance(body, dict) else int(response.headers["x-total-count"])
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """start_gateway(delay_s=0.0, **GATEWAY_env) → a fake-services gateway process."""
    started: list[subprocess.Popen[bytes]] = []

    def start(delay_s: float = 0.0, **env_overrides: str) -> RunningGateway:
        port = _free_port()
        data_dir = tmp_path / f"gateway-{port}"
        env = {
            "GATEWAY_DATA_DIR": str(data_dir),
            "GATEWAY_LOG_LEVEL": "WARNING",
            "GATEWAY_CLAIM_POLL_S": "0.5",
            "OMP_NUM_THREADS": "1",
            **env_overrides,
        }
        process = spawn(port, env, delay_s=delay_s, ready_path="/readyz")
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        return RunningGateway(url, process, data_dir)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""Starts the real stack (scripts/run_stack.py) as processes on loopback, once per run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dd_service_kit.testing import free_port_block

REPO = Path(__file__).resolve().parents[2]
UPLOAD_LIMIT = 20 * 1024 * 1024
OFFSETS = {"gateway": 0, "image": 1, "audio": 2, "video": 3, "fusion": 4}


@dataclass
class RunningStack:
    base_port: int
    process: subprocess.Popen[str]
    log_path: Path

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base_port + OFFSETS[service]}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    base = free_port_block()
    log_path = tmp_path_factory.mktemp("stack") / "stack.log"
    env = dict(os.environ)
    env["GATEWAY_DATA_DIR"] = str(log_path.parent / "data")
    # A small upload limit so the over-limit case does not need a 512 MiB request.
    env["GATEWAY_MAX_UPLOAD_BYTES"] = str(UPLOAD_LIMIT)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts/run_stack.py"), "--base-port", str(base)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
    running = RunningStack(base, process, log_path)
    deadline = time.monotonic() + 240
    for service in OFFSETS:
        while True:
            assert process.poll() is None, f"stack exited early:\n{running.log()}"
            try:
                if httpx.get(f"{running.url(service)}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{service} not ready:\n{running.log()}"
            time.sleep(0.5)
    yield running
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise

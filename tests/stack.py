"""The real stack (scripts/run_stack.py) as processes on loopback, for tests that need it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from dd_service_kit.testing import free_port_block

REPO = Path(__file__).resolve().parents[1]
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


@contextmanager
def running_stack(
    workdir: Path, env: Mapping[str, str] | None = None, ready_timeout_s: float = 300.0
) -> Iterator[RunningStack]:
    """Start every service on a free block of ports, wait until each is ready, and stop
    them all (SIGINT, then SIGKILL) on exit. The gateway keeps its data in ``workdir``."""
    base = free_port_block()
    log_path = workdir / "stack.log"
    full_env = {**os.environ, "GATEWAY_DATA_DIR": str(workdir / "data"), **(env or {})}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts/run_stack.py"), "--base-port", str(base)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            text=True,
        )
    running = RunningStack(base, process, log_path)
    deadline = time.monotonic() + ready_timeout_s
    try:
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
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""Shared helpers for the benchmark scripts (not a test: nothing here asserts)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dd_service_kit.testing import free_port_block

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
OFFSETS = {"gateway": 0, "image": 1, "audio": 2, "video": 3, "fusion": 4}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


def machine() -> dict[str, object]:
    import os

    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def write_result(name: str, payload: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2))
    print(json.dumps(payload, indent=2))
    return path


@contextmanager
def running_stack(services: list[str], timeout_s: float = 300) -> Iterator[dict[str, str]]:
    """Start the named services with scripts/run_stack.py on free loopback ports, the
    gateway on a throw-away data folder (no stored results to answer from the cache, and
    the user's history untouched)."""
    base = free_port_block(start=29000)
    data_dir = tempfile.mkdtemp(prefix="dd-bench-")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "scripts/run_stack.py"),
            "--base-port",
            str(base),
            "--only",
            *services,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GATEWAY_DATA_DIR": data_dir},
    )
    urls = {name: f"http://127.0.0.1:{base + OFFSETS[name]}" for name in services}
    try:
        deadline = time.monotonic() + timeout_s
        for url in urls.values():
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("stack exited while starting")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} not ready in {timeout_s} s")
                time.sleep(0.5)
        yield urls
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)

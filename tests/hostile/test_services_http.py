"""The hostile corpus against the real image, audio and video services over HTTP
(started with scripts/run_stack.py on free loopback ports).

Bounds stated here, per case: a typed 4xx from the catalogue (or, for the float TIFF,
200 after a decode within the bound) within TIME_BOUND_S; the service process grows by
less than REFUSED_RSS_MIB for a refused file (DECODED_RSS_MIB for a decoded one); no
parser worker exceeds WORKER_RSS_MIB; and a good file afterwards is analysed (200).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dd_contracts.catalogue import status_of
from dd_service_kit.testing import free_port_block
from tests.hostile.corpus import CASES, Case, png_many_chunks
from tests.hostile.measure import replay

pytestmark = [pytest.mark.integration, pytest.mark.weights]

REPO = Path(__file__).resolve().parents[2]
OFFSETS = {"image": 1, "audio": 2, "video": 3}
TIME_BOUND_S = 20.0
REFUSED_RSS_MIB = 100
DECODED_RSS_MIB = 1024
WORKER_RSS_MIB = 2048 + 512  # parse_memory_bytes (2 GiB) + the worker's own libraries
GOOD = {
    "image": "faces/astronaut.png",
    "audio": "speech/arctic_a0007.wav",
    "video": "astronaut_talk.mp4",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base = free_port_block(start=31000)
    log_path = tmp_path_factory.mktemp("hostile") / "stack.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts/run_stack.py"), "--base-port", str(base),
             "--only", *OFFSETS],
            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
        )  # fmt: skip
    urls = {name: f"http://127.0.0.1:{base + offset}" for name, offset in OFFSETS.items()}
    try:
        deadline = time.monotonic() + 300
        for url in urls.values():
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
        yield urls
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case_over_http(case: Case, services: dict[str, str], shared_media: Path) -> None:
    url = services[case.kind]
    port = int(url.rsplit(":", 1)[1])
    outcome = replay(f"{url}/v1/analyze", case.name, case.build(), [port])
    assert outcome.seconds < TIME_BOUND_S, outcome
    if case.expect or outcome.status != 200:
        assert outcome.type in case.expect or not case.expect, outcome
        assert outcome.type is not None and outcome.status == status_of(outcome.type), outcome
        assert 400 <= outcome.status < 500, outcome
        assert outcome.service_growth_mib < REFUSED_RSS_MIB, outcome
    else:
        assert outcome.service_growth_mib < DECODED_RSS_MIB, outcome
    assert outcome.worker_peak_mib < WORKER_RSS_MIB, outcome
    assert "/tmp" not in outcome.detail, outcome

    good = (shared_media / GOOD[case.kind]).read_bytes()
    answer = httpx.post(f"{url}/v1/analyze", files={"file": ("good", good)}, timeout=120)
    assert answer.status_code == 200, answer.text


def test_a_million_empty_png_chunks_do_not_stall_health(services: dict[str, str]) -> None:
    """The image service parses off its event loop: /healthz answers promptly while the
    1 M-chunk PNG (12 MB) is uploaded and refused."""
    url = services["image"]
    data = png_many_chunks(1_000_000)
    latencies: list[float] = []
    ready = threading.Event()
    done = threading.Event()

    def poll() -> None:
        # Back to back, so that a poll is always in flight while the upload is parsed
        # (the refusal can take well under 100 ms); the first one only warms the client.
        with httpx.Client(timeout=10) as client:
            client.get(f"{url}/healthz")
            ready.set()
            while not done.is_set():
                start = time.perf_counter()
                client.get(f"{url}/healthz")
                latencies.append(time.perf_counter() - start)

    poller = threading.Thread(target=poll)
    poller.start()
    assert ready.wait(10), "the image service did not answer /healthz"
    try:
        answer = httpx.post(f"{url}/v1/analyze", files={"file": ("x", data)}, timeout=60)
    finally:
        done.set()
        poller.join()
    assert answer.status_code == 422 and answer.json()["type"] == "parse_limit_exceeded"
    assert latencies, "no /healthz call overlapped the upload"
    assert max(latencies) < 0.25, max(latencies)

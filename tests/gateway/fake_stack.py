"""A gateway process whose model services are in-process fakes (the real fusion app).

    python -m tests.gateway.fake_stack --port 8000 [--delay-s 0.0]

Gateway settings come from GATEWAY_* variables as usual. Used by tests that need a real
gateway process (its RSS, its event loop, the dfd client) and by bench/gateway.py;
``spawn`` starts one and waits until it answers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from dd_contracts import Modality
from dd_fusion.app import create_app as create_fusion
from dd_fusion.settings import FusionSettings
from dd_gateway.app import create_app as create_gateway
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.server import serve
from dd_service_kit.testing import HostRouter
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import FUSION_URL, URLS, fake_service

REPO = Path(__file__).resolve().parents[2]


def spawn(
    port: int,
    env: Mapping[str, str],
    delay_s: float = 0.0,
    ready_path: str = "/readyz",
    timeout_s: float = 60.0,
) -> subprocess.Popen[bytes]:
    """This module as a process on ``port`` (``env`` on top of os.environ), once
    ``ready_path`` answers 200. The caller terminates it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.fake_stack", "--port", str(port),
         "--delay-s", str(delay_s)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the fake-services gateway did not start")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-s", type=float, default=0.0)
    parser.add_argument(
        "--no-services",
        action="store_true",
        help="no model services at all (each modality answers unavailable at once)",
    )
    args = parser.parse_args()
    apps = {FUSION_URL: create_fusion(FusionSettings(json_logs=False, log_level="WARNING"))}
    for modality in Modality:
        apps[URLS[modality]] = fake_service(FakeAnalyzer(modality, 0.7, delay_s=args.delay_s))
    settings = GatewaySettings(
        port=args.port,
        image_url=None if args.no_services else URLS[Modality.image],
        audio_url=None if args.no_services else URLS[Modality.audio],
        video_url=None if args.no_services else URLS[Modality.video],
        fusion_url=FUSION_URL,
        progress_poll_s=0.5,
    )
    gateway = create_gateway(settings, transport=HostRouter(apps))
    # The server options of python -m dd_gateway (header size, keep-alive).
    serve(gateway, settings, host="127.0.0.1", access_log=False)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What provenance adds to an image analysis through the gateway (issue 12: <= 20 ms p50).

The real gateway app and the real fusion app in-process (ASGI transport, as in
tests/gateway), a fake image service that answers after ``--model-ms`` (0: nothing for
provenance to overlap with, the worst case; ~100: a model's time, which provenance runs
beside). Two gateways, one with provenance on and one with GATEWAY_PROVENANCE=false,
take turns on the same 1080p camera JPEG (``?wait=true&force=true``, so no result cache),
after warm-up. Writes bench/results/gateway_provenance.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import logging

from _common import percentiles, write_result
from provenance import camera_jpeg

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack


def run_case(photo: bytes, model_ms: float, runs: int, root: Path) -> dict[str, object]:
    clients = {}
    for name, enabled in (("on", True), ("off", False)):
        stack = Stack(root / f"{name}-{model_ms:g}")
        stack.analyzers = {
            Modality.image: FakeAnalyzer(Modality.image, probability=0.2, delay_s=model_ms / 1000)
        }
        stack.deployed = {Modality.image}
        clients[name] = stack.client(provenance=enabled).__enter__()
    samples: dict[str, list[float]] = {"on": [], "off": []}
    # CPU time of the whole process (gateway, fusion and fake service threads) per
    # request: on a shared, loaded machine wall time is mostly the wait for a core.
    cpu: dict[str, list[float]] = {"on": [], "off": []}
    stage: list[float] = []
    try:
        for i in range(runs + 5):
            for name, client in clients.items():
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.post(
                    "/v1/analyses",
                    params={"wait": "true", "force": "true"},
                    files={"file": ("photo.jpg", photo)},
                )
                elapsed = (time.perf_counter() - t0) * 1000
                cpu_ms = (time.process_time() - c0) * 1000
                assert response.status_code == 200, response.text
                if i >= 5:  # warm-up
                    samples[name].append(elapsed)
                    cpu[name].append(cpu_ms)
                    if name == "on":
                        stage.append(response.json()["latencies_ms"]["provenance"])
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
    on, off = percentiles(samples["on"]), percentiles(samples["off"])
    return {
        "model_ms": model_ms,
        "provenance_on": on,
        "provenance_off": off,
        "added_p50_ms": round(on["p50_ms"] - off["p50_ms"], 2),
        "cpu_p50_ms": {
            "on": percentiles(cpu["on"])["p50_ms"],
            "off": percentiles(cpu["off"])["p50_ms"],
        },
        "added_cpu_p50_ms": round(
            percentiles(cpu["on"])["p50_ms"] - percentiles(cpu["off"])["p50_ms"], 2
        ),
        "provenance_stage": percentiles(stage),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--model-ms", type=float, nargs="*", default=[0.0, 100.0])
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the access log would be most of the output
    photo = camera_jpeg()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [run_case(photo, ms, args.runs, Path(tmp)) for ms in args.model_ms]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    write_result(
        "gateway_provenance",
        {
            "what": "POST /v1/analyses?wait=true&force=true, 1080p camera JPEG, in-process "
            "gateway + fusion, fake image service; provenance on vs GATEWAY_PROVENANCE=false",
            "budget_added_p50_ms": 20,
            "photo_bytes": len(photo),
            "load_average_1min": load,
            "cases": cases,
        },
    )


if __name__ == "__main__":
    main()

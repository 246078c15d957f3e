#!/usr/bin/env python3
"""Image benchmark: a 1080p photo with one face, batch 1.

Measures, after warm-up:
- the analyzer in-process: images/s and p50/p95 latency, split into decode, face
  detection and classification;
- the image service over HTTP (POST /v1/analyze) and the gateway end to end
  (POST /v1/analyses?wait=true); the gateway's added overhead is gateway p50 minus
  image-service p50.
Writes bench/results/image.json.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, percentiles, running_stack, write_result

SHARED = REPO.parent / "shared" / "media" / "faces" / "astronaut.png"


def make_1080p_photo() -> bytes:
    """The astronaut portrait scaled into a 1920x1080 scene, as a camera JPEG."""
    rng = np.random.default_rng(0)
    background = rng.normal(120, 25, (1080, 1920, 3)).clip(0, 255).astype(np.uint8)
    canvas = Image.fromarray(background)
    portrait = Image.open(SHARED).convert("RGB").resize((900, 900), Image.LANCZOS)
    canvas.paste(portrait, (510, 90))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def bench_analyzer(photo: Path, runs: int, threads: int) -> dict[str, object]:
    from dd_image.analyzer import build_analyzer
    from dd_image.settings import ImageSettings

    analyzer = build_analyzer(ImageSettings(models_dir=REPO / "models", threads=threads))
    analyzer.load()
    analyzer.warmup()
    for _ in range(3):
        analyzer.analyze(photo)
    stages: dict[str, list[float]] = {"decode": [], "detect": [], "classify": [], "total": []}
    wall: list[float] = []
    faces = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        result = analyzer.analyze(photo)
        wall.append((time.perf_counter() - t0) * 1000)
        for stage in stages:
            stages[stage].append(result.latencies_ms.get(stage, 0.0))
        faces = len(result.evidence.faces) if result.evidence else 0  # type: ignore[union-attr]
    return {
        "threads": threads,
        "faces_found": faces,
        "images_per_s": round(1000 / (sum(wall) / len(wall)), 2),
        "latency": percentiles(wall),
        "stages": {stage: percentiles(values) for stage, values in stages.items()},
    }


def bench_http(data: bytes, runs: int) -> dict[str, object]:
    with running_stack(["fusion", "image", "gateway"]) as urls, httpx.Client(timeout=60) as c:

        def service_call() -> None:
            r = c.post(f"{urls['image']}/v1/analyze", files={"file": ("p.jpg", data)})
            r.raise_for_status()

        def gateway_call() -> None:
            r = c.post(
                f"{urls['gateway']}/v1/analyses",
                # force: the same bytes would otherwise be answered from the stored result.
                params={"wait": "true", "force": "true"},
                files={"file": ("p.jpg", data)},
            )
            r.raise_for_status()

        out: dict[str, object] = {}
        for name, call in (("image_service", service_call), ("gateway", gateway_call)):
            for _ in range(3):
                call()
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                call()
                samples.append((time.perf_counter() - t0) * 1000)
            out[name] = percentiles(samples)
        overhead = out["gateway"]["p50_ms"] - out["image_service"]["p50_ms"]  # type: ignore[index]
        out["gateway_overhead_p50_ms"] = round(overhead, 2)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()

    data = make_1080p_photo()
    photo = REPO / "bench" / "results" / "photo_1080p.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(data)
    payload: dict[str, object] = {
        "input": {"width": 1920, "height": 1080, "bytes": len(data), "faces": 1},
        "analyzer": bench_analyzer(photo, args.runs, args.threads),
    }
    if not args.skip_http:
        payload["http"] = bench_http(data, args.runs)
    write_result("image", payload)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Replay the hostile-media corpus (tests/hostile/corpus.py) against a running stack.

    bench/hostile.py                                # the gateway at http://127.0.0.1:8000
    bench/hostile.py --url http://127.0.0.1:8000    # a gateway elsewhere
    bench/hostile.py --service http://127.0.0.1:8001 --kind image   # one service
    bench/hostile.py --start                        # start image/audio/video on free ports

For every case: wall time, HTTP status, error type, and the peak resident memory of every
watched process (the target and, for a gateway, the services on the next four ports) and
of the largest parser worker under them, sampled every 10 ms with psutil. Also measures
what running a decode in a bounded worker adds (in-process vs bounded, median of 30).
Writes bench/results/hostile.json.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import REPO, running_stack, write_result

from tests.hostile.corpus import CASES, Case
from tests.hostile.measure import Outcome, pid_on_port, replay

GOOD = {
    "image": "faces/astronaut.png",
    "audio": "speech/arctic_a0007.wav",
    "video": "astronaut_talk.mp4",
}


def port_of(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


def row(outcome: Outcome) -> dict[str, object]:
    data = asdict(outcome)
    data["service_growth_mib"] = round(outcome.service_growth_mib, 1)
    return data


def run_cases(
    targets: dict[str, str], cases: list[Case], watch: dict[str, list[int]], good: bool
) -> list[dict[str, object]]:
    rows = []
    for case in cases:
        if case.kind not in targets:
            continue
        outcome = replay(targets[case.kind], case.name, case.build(), watch[case.kind])
        rows.append(row(outcome))
        print(
            f"{case.name:30s} {outcome.status:4d} {outcome.type or '-':22s} "
            f"{outcome.seconds:7.2f} s  service +{outcome.service_growth_mib:6.1f} MiB "
            f"(peak {outcome.service_peak_mib:.0f})  worker peak {outcome.worker_peak_mib:.0f} MiB",
            flush=True,
        )
    if good:
        for kind, target in targets.items():
            data = (REPO.parent / "shared" / "media" / GOOD[kind]).read_bytes()
            outcome = replay(target, f"good_{kind}_after", data, watch[kind])
            rows.append(row(outcome))
            print(f"good {kind:25s} {outcome.status:4d} {outcome.seconds:7.2f} s", flush=True)
    return rows


def bounded_overhead(repeats: int = 30) -> dict[str, object]:
    """decode_image in-process (DD_MEDIAGUARD_INPROCESS=1) against through a worker."""
    import os
    import tempfile

    from PIL import Image

    from dd_image.decode import decode_image
    from dd_mediaguard import default_pool

    default_pool(("dd_image.decode",)).warm()
    results: dict[str, object] = {}
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for label, side in (("512x512_png", (512, 512)), ("1920x1080_jpeg", (1080, 1920))):
            path = Path(tmp) / label
            buffer = io.BytesIO()
            pixels = rng.integers(0, 255, (*side, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(buffer, "PNG" if "png" in label else "JPEG")
            path.write_bytes(buffer.getvalue())
            samples: dict[str, list[float]] = {"in_process": [], "bounded": []}
            for index in range(repeats + 1):  # interleaved, so machine load hits both alike
                for mode in samples:
                    os.environ["DD_MEDIAGUARD_INPROCESS"] = "1" if mode == "in_process" else "0"
                    start = time.perf_counter()
                    rgb = decode_image(path, 40_000_000, 50 * 2**20).rgb
                    int(rgb.reshape(-1)[::4096].sum())  # touch every page, as a model would
                    if index:  # the first round warms caches
                        samples[mode].append((time.perf_counter() - start) * 1000)
            timings = {
                f"{mode}_p50_ms": round(statistics.median(v), 2) for mode, v in samples.items()
            }
            timings["added_ms"] = round(timings["bounded_p50_ms"] - timings["in_process_p50_ms"], 2)
            results[label] = timings
    os.environ.pop("DD_MEDIAGUARD_INPROCESS", None)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="gateway base URL")
    parser.add_argument("--service", help="a single service's base URL instead of the gateway")
    parser.add_argument("--kind", choices=sorted(GOOD), help="the --service's media kind")
    parser.add_argument("--start", action="store_true", help="start image/audio/video here")
    parser.add_argument(
        "--start-all", action="store_true", help="start the whole stack here; use its gateway"
    )
    parser.add_argument("--only", nargs="*", help="case names to replay")
    parser.add_argument("--no-good", action="store_true", help="skip the good files after")
    parser.add_argument("--no-overhead", action="store_true", help="skip the overhead bench")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or c.name in args.only]

    payload: dict[str, object] = {}
    if args.start_all:
        names = ["fusion", "image", "audio", "video", "gateway"]
        with running_stack(names) as urls:
            url = f"{urls['gateway']}/v1/analyses?wait=true&force=true"
            watch_ports = [port_of(urls[name]) for name in ("gateway", "image", "audio", "video")]
            payload["target"] = "whole stack started here on free ports, via its gateway"
            payload["cases"] = run_cases(
                dict.fromkeys(GOOD, url), cases, dict.fromkeys(GOOD, watch_ports), not args.no_good
            )
    elif args.start:
        with running_stack(["image", "audio", "video"]) as urls:
            targets = {kind: f"{urls[kind]}/v1/analyze" for kind in GOOD}
            watch = {kind: [port_of(urls[kind])] for kind in GOOD}
            payload["target"] = "services started here on free ports"
            payload["cases"] = run_cases(targets, cases, watch, not args.no_good)
    elif args.service:
        if not args.kind:
            parser.error("--service needs --kind")
        targets = {args.kind: f"{args.service.rstrip('/')}/v1/analyze"}
        payload["target"] = args.service
        payload["cases"] = run_cases(
            targets, cases, {args.kind: [port_of(args.service)]}, not args.no_good
        )
    else:
        base = port_of(args.url)
        watch_ports = [base + offset for offset in range(5) if pid_on_port(base + offset)]
        url = f"{args.url.rstrip('/')}/v1/analyses?wait=true&force=true"
        targets = dict.fromkeys(GOOD, url)
        payload["target"] = args.url
        payload["cases"] = run_cases(
            targets, cases, dict.fromkeys(GOOD, watch_ports), not args.no_good
        )
    if not args.no_overhead:
        payload["bounded_overhead"] = bounded_overhead()
        print(payload["bounded_overhead"])
    write_result("hostile", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())

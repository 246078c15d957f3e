"""Video throughput: video seconds analysed per wall second, ours against a naive pipeline.

Clips: the shared astronaut portrait moving over a background with sensor-like noise,
H.264 (libx264, preset veryfast, CRF 20, 25 fps) made with the ffmpeg binary, 10 s and 60 s
at 720p and 1080p; the portrait fills ~80 % of the frame height so there is one face.

Ours: VideoAnalyzer defaults (1 fps, MTCNN on frames downscaled by resolution in batches
of 8, every crop of the video through the MesoNet ensemble in one batch), split into
decode / detect / classify. Naive, on the same samples: decode every frame to RGB, run
MTCNN as facenet-pytorch ships it (min face 20 px, full resolution) on each sampled frame
one by one, classify one face at a time. The naive pipeline runs on the 10 s clips only
(on a 60 s 1080p clip it would take minutes); its rate does not depend on clip length.

    PYTHONPATH=... .venv/bin/python bench/video.py [--quick]   → bench/results/video.json

MTCNN runs through dd_inference.accel (channels-last by default); the "before" numbers
of issue 14 were taken with ``DD_ACCEL_CHANNELS_LAST=0`` (plain eager FP32), alternating
runs with and without it on the same machine.

GOP lanes (issue 14, the 15 video-s per wall-s aim), A/B in one process, alternating:

    flock /tmp/dd-bench.lock .venv/bin/python bench/video.py --clip 720p:48 \
        --repeat 5 --decode-lanes 1,2

48 s 720p clip, x264's 10 s GOP, 2 cores, torch 1 thread (video-s per wall-s):
one decoder (lanes=1) 13.8-15.4, median 15.3, and 14.6-15.2, median 15.2; two lanes
16.1-16.6 (one run 12.5 when another job started), median 16.3, and 14.9-15.8, median
15.3. Split of the median runs, one decoder -> two lanes: decode 2.8 -> 2.2 s, detect
2.0 -> 1.9 s, classify 1.1 -> 1.0 s; CPU: decoder 3.0 -> 2.9 s, service 2.4 s both. The
work is ~5.3 CPU-s, so 2 cores cannot go below ~2.7 s (~18 video-s per wall-s). With
another job holding a core, two lanes lose (8.3-9.3 against 9.3-10.7): more threads
of the decoder take CPU from the detector, which is on the critical path. With torch at 2
threads (what the service used before VideoPipeline.torch_threads): 12.3-12.4 and
12.7-14.4, the service process spending 3.6-4.1 CPU-s instead of 2.4.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DD_SHARED_DIR", REPO.parent / "shared"))
RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}


def make_clip(out: Path, width: int, height: int, seconds: int, gop: int | None = None) -> Path:
    """``gop``: keyframe interval in frames; None keeps x264's default (250 = 10 s at 25
    fps, the worst case for sampling). Phones and streaming encoders use 1-2 s."""
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is needed to make the bench clips (apt-get install ffmpeg)")
    portrait = SHARED / "media" / "faces" / "astronaut.png"
    face_h = int(height * 0.8)
    graph = (
        f"[1]scale=-1:{face_h}[fg];"
        f"[0][fg]overlay=x={width // 2 - face_h // 2}+{width // 16}*sin(t*0.8):"
        f"y={height // 10}+{height // 40}*cos(t*0.6):shortest=1,"
        "noise=alls=5:allf=t,format=yuv420p"
    )
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=0x404850:s={width}x{height}:r=25:d={seconds}",
            "-loop", "1", "-i", str(portrait),
            "-filter_complex", graph, "-t", str(seconds),
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            *(["-g", str(gop)] if gop else []), str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def naive(path: Path, models_dir: Path, detector: object, classifier: object) -> dict:
    """Decode all frames to RGB; detect + classify at 1 fps, one frame / one face at a time."""
    import av

    from dd_face.crops import crop_face
    from dd_video.decode import DecodeLimits, plan_samples, probe_video
    from dd_video.sampling import SamplingConfig

    probe = probe_video(path, DecodeLimits())
    wanted = plan_samples(probe, SamplingConfig(fps=1.0)).times
    stages = {"decode": 0.0, "detect": 0.0, "classify": 0.0}
    faces = 0
    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        t0 = time.perf_counter()
        frames = []
        for frame in container.decode(stream):
            rgb = frame.to_ndarray(format="rgb24")
            if frame.time is not None and any(abs(frame.time - w) < 1e-3 for w in wanted):
                frames.append(rgb)
        stages["decode"] += time.perf_counter() - t0
    for rgb in frames:
        t0 = time.perf_counter()
        boxes = detector.predict_batch([rgb])[0]  # type: ignore[attr-defined]
        stages["detect"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for box in boxes:
            classifier.predict_batch([crop_face(rgb, box)])  # type: ignore[attr-defined]
            faces += 1
        stages["classify"] += time.perf_counter() - t0
    wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 3),
        "video_s_per_wall_s": round(probe.duration_s / wall, 3),
        "samples": len(frames),
        "faces": faces,
        "stages_ms": {k: round(v * 1000, 1) for k, v in stages.items()},
    }


def parse_clip(text: str) -> tuple[str, int, int | None]:
    """``720p:48`` or ``720p:48:25`` (GOP in frames; left out: x264's default)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or parts[0] not in RESOLUTIONS:
        raise argparse.ArgumentTypeError(f"expected RES:SECONDS[:GOP], RES in {list(RESOLUTIONS)}")
    return parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else None


def worker_cpu_s() -> dict[int, float]:
    """CPU seconds used so far by each bounded parser worker (the decoder runs there)."""
    from dd_mediaguard import default_pool

    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in default_pool().worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return used


def run_ours(analyzer: object, clip: Path, seconds: int) -> dict:
    workers_before = worker_cpu_s()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = analyzer.analyze(clip)  # type: ignore[attr-defined]
    wall = time.perf_counter() - t0
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    workers_after = worker_cpu_s()
    ev = result.evidence
    service_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    decoder_cpu = sum(used - workers_before.get(pid, 0.0) for pid, used in workers_after.items())
    return {
        "wall_s": round(wall, 3),
        "video_s_per_wall_s": round(seconds / wall, 3),
        # CPU seconds: this process (detect, classify, the rest) and the decode workers.
        # Their sum over the cores is the floor for the wall time on a machine this size.
        "cpu_s": {"service": round(service_cpu, 2), "decode_workers": round(decoder_cpu, 2)},
        "stages_ms": result.latencies_ms,
        "samples": getattr(ev, "sampled_frames", None),
        "faces": len(getattr(ev, "timeline", [])),
        "tracks": len(getattr(ev, "tracks", [])),
        "fake_probability": result.fake_probability,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 s clips only")
    parser.add_argument(
        "--clip",
        type=parse_clip,
        action="append",
        help="only this case, RES:SECONDS[:GOP] (repeatable), e.g. 720p:48 for the README's "
        "48 s 720p clip with x264's default 10 s GOP",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per case")
    parser.add_argument(
        "--decode-lanes",
        default="",
        help="A/B: comma-separated VideoPipeline.decode_lanes values (1 = one decoder, the "
        "code before GOP lanes), alternated round by round on the same analyzer",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pipeline")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="torch intra-op threads for the runs (0: what the naive detector's load leaves, 1)",
    )
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "video.json")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    from dd_face.mtcnn import MtcnnFaceDetector
    from dd_video.analyzer import build_analyzer
    from dd_video.settings import VideoSettings

    analyzer = build_analyzer(VideoSettings(models_dir=args.models_dir, threads=args.threads))
    analyzer.load()
    analyzer.warmup()
    naive_detector = MtcnnFaceDetector(min_confidence=0.9, min_face_px=20, max_side=None)
    naive_detector.load()
    # The naive MTCNN's load() pins torch to its default of 1 intra-op thread for the whole
    # process: until issue 14's GOP lanes, "ours" thus ran MTCNN with 1 torch thread in
    # every figure while the service (VIDEO_THREADS=2) gave it 2; the service now uses
    # VideoPipeline.torch_threads (half of its threads: 1 here). --torch-threads overrides.
    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    torch_threads = torch.get_num_threads()
    base = analyzer.pipeline
    lanes = [int(v) for v in args.decode_lanes.split(",") if v.strip()] or [None]
    variants = {
        ("default" if n is None else f"lanes={n}"): dataclasses.replace(
            base, decode_lanes=n if n is not None else base.decode_lanes
        )
        for n in lanes
    }

    lengths = [10] if args.quick else [10, 60]
    if args.clip:
        cases = list(args.clip)
    else:
        # x264's default GOP for every size and length, plus a 1 s GOP (phone-like) at 720p.
        cases = [(res, seconds, None) for res in RESOLUTIONS for seconds in lengths]
        cases += [("720p", seconds, 25) for seconds in lengths]
    rows = []
    warmed: set[tuple[str, int]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for res, seconds, gop in cases:
            width, height = RESOLUTIONS[res]
            name = f"{res}_{seconds}s_gop{gop or 'default'}.mp4"
            clip = make_clip(Path(tmp) / name, width, height, seconds, gop)
            if (res, gop or 250) not in warmed:  # per-size warmup (detector shapes, workers)
                analyzer.analyze(clip)
                warmed.add((res, gop or 250))
            runs: dict[str, list[dict]] = {label: [] for label in variants}
            for _ in range(max(1, args.repeat)):
                for label, pipeline in variants.items():  # alternate: same load for each
                    analyzer.pipeline = pipeline
                    runs[label].append(run_ours(analyzer, clip, seconds))
                    print(json.dumps({"clip": name, "variant": label, **runs[label][-1]}))
            analyzer.pipeline = base
            ref = None
            if seconds == 10 and not args.no_naive:
                ref = naive(clip, args.models_dir, naive_detector, analyzer.classifiers[0])
            for label, timed in runs.items():
                timed = sorted(timed, key=lambda r: r["wall_s"])
                rates = sorted(r["video_s_per_wall_s"] for r in timed)
                row: dict = {
                    "clip": f"{res} {seconds}s" + (f" GOP {gop} frames" if gop else ""),
                    "variant": label,
                    "decode_lanes": variants[label].decode_lanes,
                    "gop_frames": gop or 250,
                    "width": width,
                    "height": height,
                    "duration_s": seconds,
                    "bytes": clip.stat().st_size,
                    **timed[len(timed) // 2],  # the median run (by wall time)
                    "video_s_per_wall_s_runs": rates,
                }
                if len(timed) > 1:
                    row["wall_s"] = round(statistics.median(r["wall_s"] for r in timed), 3)
                    row["video_s_per_wall_s"] = round(seconds / row["wall_s"], 3)
                    row["stages_ms_runs"] = [r["stages_ms"] for r in timed]
                if ref is not None:
                    row["naive"] = ref
                    row["speedup_vs_naive"] = round(ref["wall_s"] / row["wall_s"], 2)
                rows.append(row)
                print(json.dumps(row))
    report = {
        "benchmark": "video throughput",
        "machine": {
            "cpus": os.cpu_count(),
            "threads": args.threads,
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "settings": {
            "sample_fps": analyzer.pipeline.sampling.fps,
            "detect_batch": analyzer.pipeline.detect_batch,
            "decode_lanes": analyzer.pipeline.decode_lanes or analyzer.pipeline.threads,
            "torch_threads": torch_threads,
            "small_face_px": analyzer.pipeline.small_face_px,
            "members": [m.name for m in analyzer.models],
            "face_detector_accel": (analyzer.finder.info.accel or {}).get("applied"),
        },
        "aim": ">= 5 video-s per wall-s at 720p, 1 fps, one face; >= 5x naive; "
        ">= 15 video-s per wall-s on the 48 s 720p clip (x264's default GOP)",
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

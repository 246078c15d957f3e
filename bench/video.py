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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 s clips only")
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

    lengths = [10] if args.quick else [10, 60]
    # x264's default GOP for every size and length, plus a 1 s GOP (phone-like) at 720p.
    cases = [(res, seconds, None) for res in RESOLUTIONS for seconds in lengths]
    cases += [("720p", seconds, 25) for seconds in lengths]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for res, seconds, gop in cases:
            width, height = RESOLUTIONS[res]
            name = f"{res}_{seconds}s_gop{gop or 'default'}.mp4"
            clip = make_clip(Path(tmp) / name, width, height, seconds, gop)
            analyzer.analyze(clip) if seconds == lengths[0] else None  # per-size warmup
            t0 = time.perf_counter()
            result = analyzer.analyze(clip)
            wall = time.perf_counter() - t0
            ev = result.evidence
            row: dict = {
                "clip": f"{res} {seconds}s" + (f" GOP {gop} frames" if gop else ""),
                "gop_frames": gop or 250,
                "width": width,
                "height": height,
                "duration_s": seconds,
                "bytes": clip.stat().st_size,
                "wall_s": round(wall, 3),
                "video_s_per_wall_s": round(seconds / wall, 3),
                "stages_ms": result.latencies_ms,
                "samples": getattr(ev, "sampled_frames", None),
                "faces": len(getattr(ev, "timeline", [])),
                "tracks": len(getattr(ev, "tracks", [])),
                "fake_probability": result.fake_probability,
            }
            if seconds == 10:
                ref = naive(clip, args.models_dir, naive_detector, analyzer.classifiers[0])
                row["naive"] = ref
                row["speedup_vs_naive"] = round(ref["wall_s"] / wall, 2)
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
            "small_face_px": analyzer.pipeline.small_face_px,
            "members": [m.name for m in analyzer.models],
            "face_detector_accel": (analyzer.finder.info.accel or {}).get("applied"),
        },
        "aim": ">= 5 video-s per wall-s at 720p, 1 fps, one face; >= 5x naive",
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

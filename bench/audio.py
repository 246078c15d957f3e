"""Audio service throughput: audio seconds analysed per wall second on a 60 s clip.

Not a test. Run:  PYTHONPATH=libs/contracts:libs/inference:services/audio \
    .venv/bin/python bench/audio.py [--models models] [--repeats 2]
    .venv/bin/python bench/audio.py --service [--repeats 3]   # the service's own path

``--service`` measures what the audio service does with an upload: ``AudioAnalyzer``
built from ``AudioSettings`` (detectors from the registry, AASIST through the accelerator
layer), ``analyze(path)`` end to end (bounded decode worker, windows, model, aggregation
with the spectrogram), in a child process with the allocator the service gets
(``preload_env``). Each accelerator configuration (FP32 ONNX Runtime, int8) is its own
analyzer in the same process, timed alternately so that load from other processes hits
both alike; the stage latencies are the service's own (``latencies_ms``). Writes
bench/results/audio_service.json.

Each step adds one optimisation to the previous one; the batch size is then swept on the
final configuration. Wall time is split into decode, windows (split + speech gate +
window extraction) and model. Results go to bench/results/audio.json and stdout.
Timings are the best of ``--repeats`` runs, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import torch
from scipy.signal import resample_poly

from dd_audio import windows
from dd_audio.decode import DecodedAudio, decode_audio
from dd_audio.detectors.aasist import AasistDetector, AasistOptions
from dd_audio.detectors.aasist_net import mel_sinc_filters
from dd_inference.runtime import configure_torch, preload_env

REPO = Path(__file__).resolve().parents[1]
CLIP_S = 60.0


@dataclass(frozen=True)
class Step:
    name: str
    hop: int
    options: AasistOptions
    grad: str  # "enabled" | "no_grad" | "inference_mode"
    batch: int = 8


def make_clip(media: Path, out: Path) -> Path:
    """60 s of the shared human speech, joined with short pauses, as a 44.1 kHz MP3 (so
    decoding includes a real codec and a resampler)."""
    parts = []
    for wav in sorted((media / "speech").glob("*.wav")):
        data, rate = sf.read(str(wav), dtype="float32")
        if rate != 16_000:
            data = resample_poly(data, 16_000, rate).astype(np.float32)
        parts += [data, np.zeros(4000, np.float32)]
    one = np.concatenate(parts)
    clip = np.tile(one, int(CLIP_S * 16_000 / len(one)) + 1)[: int(CLIP_S * 16_000)]
    with av.open(str(out), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=44_100, layout="mono")
        frame = av.AudioFrame.from_ndarray(clip[None], format="flt", layout="mono")
        frame.sample_rate = 16_000
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=44_100)
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


@contextlib.contextmanager
def grad_mode(mode: str) -> Iterator[None]:
    if mode == "inference_mode":
        with torch.inference_mode():
            yield
    elif mode == "no_grad":
        with torch.no_grad():
            yield
    else:
        yield


def run_once(
    path: Path, detector: AasistDetector, step: Step, rebuild_filters: bool
) -> dict[str, float]:
    t0 = time.perf_counter()
    audio = decode_audio(path)
    assert isinstance(audio, DecodedAudio)
    samples = audio.samples
    t1 = time.perf_counter()
    spans = [w for w in windows.split(samples, step.hop) if w.speech]
    batches = [
        np.stack([windows.extract(samples, w) for w in spans[i : i + step.batch]])
        for i in range(0, len(spans), step.batch)
    ]
    t2 = time.perf_counter()
    net = detector.net
    front = net.conv_time
    with grad_mode(step.grad):
        for batch in batches:
            if rebuild_filters:  # what the reference front end does on every forward
                front.filters = mel_sinc_filters(70, net.cfg.first_conv, 16_000)
            torch.softmax(net(torch.from_numpy(batch)), dim=1)
    t3 = time.perf_counter()
    return {
        "decode_s": t1 - t0,
        "windows_s": t2 - t1,
        "model_s": t3 - t2,
        "total_s": t3 - t0,
        "windows": float(len(spans)),
    }


def measure(
    path: Path,
    models: Path,
    step: Step,
    repeats: int,
    rebuild_filters: bool = False,
) -> dict[str, object]:
    detector = AasistDetector(models, "AASIST", step.options)
    detector.load()
    with grad_mode("inference_mode"):
        detector.net(torch.zeros(min(step.batch, 2), 64_600))  # warm-up
    runs = [run_once(path, detector, step, rebuild_filters) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["total_s"])
    result: dict[str, object] = {
        "step": step.name,
        "hop": step.hop,
        "batch": step.batch,
        "fuse_bn": step.options.fuse_bn,
        "channels_last": step.options.channels_last,
        "grad": step.grad,
        **{k: round(v, 3) for k, v in best.items()},
        "audio_s_per_wall_s": round(CLIP_S / best["total_s"], 2),
        "model_ms_per_window": round(1000 * best["model_s"] / max(best["windows"], 1), 1),
    }
    print(json.dumps(result), flush=True)
    return result


# int8 is refused at load at the default 0.01 tolerance (it moves mid-range answers by
# more), so its row forces it with a wider tolerance to show what it would buy.
SERVICE_CONFIGS = {
    "onnx fp32 (default)": {"DD_ACCEL_INT8": "0", "DD_ACCEL_TOLERANCE": "0.01"},
    "onnx int8 (forced, tolerance 0.2)": {"DD_ACCEL_INT8": "1", "DD_ACCEL_TOLERANCE": "0.2"},
}


def service_path(media: Path, models: Path, threads: int, repeats: int) -> dict[str, object]:
    """The audio service's analyzer on the 60 s clip, per accelerator configuration."""
    from dd_audio.analyzer import build_analyzer
    from dd_audio.settings import AudioSettings
    from dd_inference.runtime import allocator_in_use

    analyzers = {}
    for label, env in SERVICE_CONFIGS.items():
        os.environ.update(env)  # read by dd_inference.accel when the detector loads
        analyzer = build_analyzer(AudioSettings(models_dir=models, threads=threads))
        analyzer.load()
        analyzer.warmup()
        analyzers[label] = analyzer
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in analyzers}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(media, Path(tmp) / "clip60.mp3")
        for analyzer in analyzers.values():
            analyzer.analyze(clip)  # first request: caches, worker pages
        for _ in range(repeats):
            for label, analyzer in analyzers.items():
                t0 = time.perf_counter()
                result = analyzer.analyze(clip)
                wall = time.perf_counter() - t0
                runs[label].append({"wall_s": wall, **result.latencies_ms})
    rows = []
    for label, analyzer in analyzers.items():
        best = min(runs[label], key=lambda r: r["wall_s"])
        aasist = next(m for m in analyzer.models if m.name == "aasist")
        rows.append({
            "config": label,
            "audio_s_per_wall_s": round(CLIP_S / best["wall_s"], 2),
            "every_run_audio_s_per_wall_s": [round(CLIP_S / r["wall_s"], 2) for r in runs[label]],
            "best_run_latencies_ms": {k: v for k, v in best.items() if k != "wall_s"},
            "accel": aasist.accel,
        })  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    return {"clip_s": CLIP_S, "threads": threads, "allocator": allocator_in_use(), "rows": rows}


def _service_in_child(args: argparse.Namespace, argv: list[str]) -> None:
    """Re-run this script with the allocator the service gets, then record its result."""
    if os.environ.get("DD_BENCH_SERVICE_CHILD"):
        report = service_path(args.media, args.models, args.threads, args.repeats)
        print("SERVICE " + json.dumps(report), flush=True)
        return
    env = preload_env({**os.environ, "DD_BENCH_SERVICE_CHILD": "1"})
    child = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True,
                           text=True)  # fmt: skip
    lines = [x for x in child.stdout.splitlines() if x.startswith("SERVICE ")]
    if child.returncode != 0 or not lines:
        sys.exit(child.stderr[-2000:])
    report = json.loads(lines[-1].removeprefix("SERVICE "))
    out = args.out.with_name("audio_service.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "audio.json")
    parser.add_argument(
        "--final-only", action="store_true", help="only the final configuration (batch 1)"
    )
    parser.add_argument(
        "--service", action="store_true", help="the service's analyzer, FP32 vs int8 ONNX"
    )
    args = parser.parse_args(argv)
    if args.service:
        _service_in_child(args, list(sys.argv[1:] if argv is None else argv))
        return
    runtime = configure_torch(args.threads)
    if args.final_only:
        final = AasistOptions(fuse_bn=True, channels_last=True)
        with tempfile.TemporaryDirectory() as tmp:
            clip = make_clip(args.media, Path(tmp) / "clip60.mp3")
            step = Step("7 + tcmalloc (LD_PRELOAD), batch 1", 48_450, final, "inference_mode", 1)
            print("FINAL " + json.dumps(measure(clip, args.models, step, args.repeats)))
        return

    plain = AasistOptions(fuse_bn=False, channels_last=False)
    fused = AasistOptions(fuse_bn=True, channels_last=False)
    best = AasistOptions(fuse_bn=True, channels_last=True)
    steps: list[tuple[Step, bool]] = [
        (Step("0 reference-like: 50% overlap, autograd, sinc rebuilt", 32_300, plain, "enabled"),
         True),
        (Step("1 + no_grad (reference eval)", 32_300, plain, "no_grad"), True),
        (Step("2 + sinc filters cached", 32_300, plain, "no_grad"), False),
        (Step("3 + inference_mode", 32_300, plain, "inference_mode"), False),
        (Step("4 + hop 25% overlap (3.03 s)", 48_450, plain, "inference_mode"), False),
        (Step("5 + BN folded into conv1", 48_450, fused, "inference_mode"), False),
        (Step("6 + channels_last", 48_450, best, "inference_mode"), False),
    ]  # fmt: skip
    measure_fn: Callable[..., dict[str, object]] = measure
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(args.media, Path(tmp) / "clip60.mp3")
        results = [measure_fn(clip, args.models, s, args.repeats, rebuild) for s, rebuild in steps]
        sweep = [
            measure_fn(clip, args.models, Step(f"batch {b}", 48_450, best, "inference_mode", b),
                       args.repeats)
            for b in (1, 4, 8, 16)
        ]  # fmt: skip
    allocator = _tcmalloc_step(argv or [])
    if allocator is not None:
        results.append(allocator)
    report = {
        "clip_s": CLIP_S,
        "machine": {"cpu": platform.processor() or platform.machine(), **runtime},
        "steps": results,
        "batch_sweep": sweep,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _tcmalloc_step(argv: list[str]) -> dict[str, object] | None:
    """The final configuration again in a child process with tcmalloc preloaded (the
    allocator can only be chosen at process start; see dd_inference.runtime)."""
    env = preload_env({k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
    if "LD_PRELOAD" not in env:
        print("tcmalloc not installed: allocator step skipped", flush=True)
        return None
    child = subprocess.run(
        [sys.executable, __file__, *argv, "--final-only"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in child.stdout.splitlines() if x.startswith("FINAL "))
    return dict(json.loads(line.removeprefix("FINAL ")))


if __name__ == "__main__":
    main()

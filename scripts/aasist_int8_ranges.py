"""AASIST's int8 activation ranges: measure them, and check what int8 does to the scores.

    make eval-data                                    # once: data/eval (eval/README.md)
    .venv/bin/python scripts/aasist_int8_ranges.py measure     # -> the committed ranges file
    .venv/bin/python scripts/aasist_int8_ranges.py evaluate    # test split: int8 vs FP32

``measure`` runs the service's FP32 AASIST graph (BN folded, exported to ONNX, ONNX
Runtime's pre-processing) over every speech window of the evaluation corpus'
*calibration* split — real and synthetic speech, clean and through every audio
perturbation (AAC, MP3, Opus, telephone band, resampling), decoded and windowed exactly
as the service does — and writes the min/max of every activation the int8 convolutions
read or write to ``services/audio/dd_audio/detectors/int8/<variant>.json``, with the
weight file's SHA-256 (the service refuses the file for other weights) and a version.
The sinc front end (``/conv_time/Conv``) stays FP32: quantising the raw waveform's
filter bank moved P(bona fide) from 0.99 to 0.20.

``evaluate`` scores every speech window of the *test* split (every condition) with the
FP32 graph and with the int8 graph the service would build from that file, and reports
the largest and 99th-percentile |ΔP(fake)| per window and every clip whose label
(``aggregate.clip_score`` >= 0.5) changes. Writes bench/results/aasist_int8_eval.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "eval"
RANGES_DIR = REPO / "services" / "audio" / "dd_audio" / "detectors" / "int8"
SINC_FRONT_END = "/conv_time/Conv"
BATCH = 8


@dataclass(frozen=True)
class Clip:
    path: Path
    label: str
    condition: str
    windows: np.ndarray  # (n, 64600) float32 speech windows, as the service cuts them


def corpus_rows(corpus: Path, split: str) -> list[dict[str, str]]:
    with (corpus / "manifest.csv").open() as handle:
        return [
            r for r in csv.DictReader(handle) if r["modality"] == "audio" and r["split"] == split
        ]


def clips(corpus: Path, split: str, conditions: list[str], work: Path) -> Iterator[Clip]:
    """Every audio file of ``split`` under every condition, decoded and cut as the
    service does (decode_audio -> windows.split -> speech windows -> extract)."""
    from dd_audio import windows
    from dd_audio.decode import DecodedAudio, decode_audio
    from dd_eval import perturb

    for row in corpus_rows(corpus, split):
        for condition in conditions:
            media = perturb.make(corpus / row["path"], condition, work, row["sha256"])
            audio = decode_audio(media)
            if not isinstance(audio, DecodedAudio):
                continue
            speech = [w for w in windows.split(audio.samples) if w.speech]
            if not speech:
                continue
            cut = np.stack([windows.extract(audio.samples, w) for w in speech])
            yield Clip(corpus / row["path"], row["label"], condition, cut)


def fp32_graph(variant: str, models: Path) -> tuple[bytes, str]:
    """The prepared FP32 graph the service quantises, and the weights' SHA-256."""
    import torch

    from dd_audio.detectors.aasist import AasistDetector, AasistOptions
    from dd_audio.detectors.aasist_net import SEGMENT_SAMPLES
    from dd_inference.accel import export_onnx_bytes
    from dd_inference.accel_int8 import prepare

    detector = AasistDetector(models, variant, AasistOptions(accelerate=False))
    detector.load()
    model, _ = export_onnx_bytes(detector.net, torch.zeros(1, SEGMENT_SAMPLES), (0,))
    sha = detector.weights.sha256()
    assert sha is not None
    return prepare(model), sha


def session(model: bytes, threads: int):  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def p_fake(sess, windows: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = []
    for i in range(0, len(windows), BATCH):
        logits = sess.run(None, {"x": windows[i : i + BATCH]})[0].astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        out.append((e / e.sum(axis=1, keepdims=True))[:, 0])
    return np.concatenate(out)


def conditions_for(names: str) -> list[str]:
    from dd_eval import perturb

    return perturb.expand([names])


def measure(args: argparse.Namespace) -> None:
    from dd_inference.accel_int8 import Int8Ranges, collect_ranges, node_names

    prepared, sha = fp32_graph(args.variant, args.models)
    assert SINC_FRONT_END in node_names(prepared, "Conv"), "the sinc front end was renamed"
    conditions = conditions_for(args.conditions)
    batches, n_files, labels = [], 0, {"real": 0, "fake": 0}
    for clip in clips(args.corpus, "calibration", conditions, args.work):
        n_files += 1
        labels[clip.label] += len(clip.windows)
        batches += [w[None] for w in clip.windows]  # one at a time: each holds ~0.5 GB
    # Every other window (in corpus order): the ranges settle long before a thousand
    # windows, and the calibration run costs ~1 s a window on 2 cores.
    n_windows = len(batches)
    batches = batches[:: args.stride]
    print(f"calibration: {n_files} files x conditions, {n_windows} windows {labels}, "
          f"{len(batches)} used", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    tensors = collect_ranges(prepared, batches)
    digest = hashlib.sha256(json.dumps(sorted(tensors.items())).encode()).hexdigest()[:8]
    manifest_sha = hashlib.sha256((args.corpus / "manifest.csv").read_bytes()).hexdigest()
    import onnxruntime
    import torch

    ranges = Int8Ranges(
        version=f"{args.variant.lower()}-int8-{dt.date.today():%Y%m%d}-{digest}",
        weights_sha256=sha,
        tensors=tensors,
        op_types=("Conv",),
        exclude_nodes=(SINC_FRONT_END,),
        per_channel=True,
        provenance={
            "script": "scripts/aasist_int8_ranges.py measure",
            "corpus": "data/eval (make eval-data), split calibration",
            "corpus_manifest_sha256": manifest_sha,
            "conditions": conditions,
            "clips": n_files,  # corpus files x conditions
            "windows": n_windows,
            "windows_used": len(batches),
            "windows_by_label": labels,
            "method": f"MinMax over every {args.stride}. speech window (ONNX Runtime calibrator)",
            "onnxruntime": onnxruntime.__version__,
            "torch": torch.__version__.split("+")[0],
        },
    )
    out = args.out or RANGES_DIR / f"{args.variant}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    ranges.save(out)
    print(f"{len(tensors)} ranges in {time.perf_counter() - t0:.0f} s -> {out} ({ranges.version})")


def evaluate(args: argparse.Namespace) -> None:
    from dd_audio import aggregate
    from dd_inference.accel_int8 import Int8Ranges, quantize

    prepared, sha = fp32_graph(args.variant, args.models)
    ranges = Int8Ranges.load(args.out or RANGES_DIR / f"{args.variant}.json")
    ranges.require_weights(sha)
    fp32, int8 = session(prepared, args.threads), session(quantize(prepared, ranges), args.threads)
    diffs: list[np.ndarray] = []
    by_condition: dict[str, float] = {}
    changed: list[dict[str, object]] = []
    n_clips = 0
    for clip in clips(args.corpus, args.split, conditions_for(args.conditions), args.work):
        a, b = p_fake(fp32, clip.windows), p_fake(int8, clip.windows)
        d = np.abs(a - b)
        diffs.append(d)
        by_condition[clip.condition] = max(by_condition.get(clip.condition, 0.0), float(d.max()))
        ca, cb = aggregate.clip_score(list(a)), aggregate.clip_score(list(b))
        n_clips += 1
        if ca is not None and cb is not None and (ca >= 0.5) != (cb >= 0.5):
            changed.append({"file": clip.path.name, "condition": clip.condition,
                            "fp32": ca, "int8": cb})  # fmt: skip
    every = np.concatenate(diffs)
    report = {
        "ranges": ranges.version,
        "split": args.split,
        "clips": n_clips,
        "windows": int(every.size),
        "max_abs_diff_p_fake": float(every.max()),
        "p99_abs_diff_p_fake": float(np.percentile(every, 99)),
        "mean_abs_diff_p_fake": float(every.mean()),
        "windows_over_0.01": int((every > 0.01).sum()),
        "max_by_condition": by_condition,
        "clip_labels_changed": changed,
    }
    out = REPO / "bench" / "results" / "aasist_int8_eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", choices=["measure", "evaluate"])
    parser.add_argument("--variant", default="AASIST", choices=["AASIST", "AASIST-L"])
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--conditions", default="clean,all-audio")
    parser.add_argument("--split", default="test", help="evaluate: the split scored")
    parser.add_argument(
        "--work", type=Path, default=REPO / "bench" / "results" / "int8" / "perturbed"
    )
    parser.add_argument("--out", type=Path, default=None, help="the ranges file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stride", type=int, default=2, help="measure: every n-th window")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.csv").is_file():
        sys.exit(f"no corpus at {args.corpus}: run `make eval-data` first")
    from dd_inference.runtime import configure_torch

    configure_torch(args.threads)
    {"measure": measure, "evaluate": evaluate}[args.command](args)


if __name__ == "__main__":
    main()

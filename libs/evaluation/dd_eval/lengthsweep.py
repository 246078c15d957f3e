"""Does a real recording's chance of a false alarm grow with its length?

Concatenates 1, 5, 20 (...) real speech clips of the corpus into one recording, sends it
through the backend, and recomputes from the returned window scores the clip score of
the old rule (mean of the 3 highest windows) and the current one
(``dd_audio.aggregate.clip_score``), plus the alerts. Also splices a synthetic passage
into a long real recording to check the alert lands at its time.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from dd_eval.backends import Backend
from dd_eval.dataset import Item

RATE = 16_000
GAP_S = 0.25


def load_16k(path: Path) -> np.ndarray:
    import soundfile as sf
    from scipy.signal import resample_poly

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != RATE:
        mono = resample_poly(mono, RATE, rate).astype(np.float32)
    return mono


def concatenate(clips: list[np.ndarray], gap_s: float = GAP_S, seed: int = 0) -> np.ndarray:
    """Clips joined by short pauses of faint noise (a real recording is never digital
    silence between sentences)."""
    rng = np.random.default_rng(seed)
    gap = int(gap_s * RATE)
    parts = []
    for clip in clips:
        parts += [clip, (rng.standard_normal(gap) * 1e-4).astype(np.float32)]
    return np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)


def write_wav(samples: np.ndarray, path: Path) -> Path:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, RATE, subtype="PCM_16")
    return path


def top3(scores: list[float]) -> float | None:
    return float(np.mean(sorted(scores)[-3:])) if scores else None


def rules(doc: dict[str, Any]) -> dict[str, Any]:
    from dd_audio.aggregate import clip_score, find_alerts

    mod = (doc.get("modalities") or {}).get("audio") or {}
    windows = (mod.get("evidence") or {}).get("windows", [])
    scores = [w["fake_probability"] for w in windows if w.get("fake_probability") is not None]
    alerts = find_alerts(
        [(w["start_s"], w["end_s"]) for w in windows], [w.get("fake_probability") for w in windows]
    )
    return {
        "service_p": mod.get("fake_probability"),
        "top3": top3(scores),
        "trimmed": clip_score(scores),
        "windows": len(scores),
        "alerts": [[a.start_s, a.end_s, a.score] for a in alerts],
        "service_alerts": (mod.get("evidence") or {}).get("alerts", []),
    }


def sweep(
    real: list[Item],
    backend: Backend,
    folder: Path,
    lengths: tuple[int, ...] = (1, 5, 20),
    per_length: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Per number of joined clips: the share of recordings judged fake (p >= 0.5) by each
    rule, and the share with an alert, plus every recording's numbers."""
    rng = random.Random(seed)
    clips = {item.path: load_16k(item.path) for item in real}
    paths = sorted(clips)
    rows: list[dict[str, Any]] = []
    for n in lengths:
        for k in range(per_length):
            chosen = [rng.choice(paths) for _ in range(n)]
            audio = concatenate([clips[p] for p in chosen], seed=k)
            wav = write_wav(audio, folder / f"real_x{n}_{k}.wav")
            parts = [rules(backend.analyze(p, "audio"))["trimmed"] for p in dict.fromkeys(chosen)]
            row = {
                "n_clips": n,
                "seconds": round(len(audio) / RATE, 1),
                **rules(backend.analyze(wav, "audio")),
            }
            row["parts_median"] = (
                float(np.median([p for p in parts if p is not None])) if parts else None
            )
            rows.append(row)
    summary = {}
    for n in lengths:
        group = [r for r in rows if r["n_clips"] == n]
        summary[str(n)] = {
            "recordings": len(group),
            "mean_seconds": round(float(np.mean([r["seconds"] for r in group])), 1),
            "judged_fake_top3": float(np.mean([(r["top3"] or 0) >= 0.5 for r in group])),
            "judged_fake_trimmed": float(np.mean([(r["trimmed"] or 0) >= 0.5 for r in group])),
            "mean_p_top3": float(np.mean([r["top3"] or 0 for r in group])),
            "mean_p_trimmed": float(np.mean([r["trimmed"] or 0 for r in group])),
            "with_alert": float(np.mean([bool(r["alerts"]) for r in group])),
        }
    return {"summary": summary, "recordings": rows}


def splice(
    real: list[Item],
    fake: Item,
    backend: Backend,
    folder: Path,
    total_s: float = 120.0,
    at_s: float = 60.0,
    passage_s: float = 10.0,
) -> dict[str, Any]:
    """A ``passage_s`` synthetic passage placed at ``at_s`` in a ``total_s`` real recording:
    where the alerts land."""
    real_audio = concatenate([load_16k(i.path) for i in real])
    while len(real_audio) < total_s * RATE:
        real_audio = np.concatenate([real_audio, real_audio])
    synthetic = load_16k(fake.path)
    while len(synthetic) < passage_s * RATE:
        synthetic = np.concatenate([synthetic, np.zeros(int(0.2 * RATE), np.float32), synthetic])
    synthetic = synthetic[: int(passage_s * RATE)]
    a = int(at_s * RATE)
    audio = np.concatenate(
        [real_audio[:a], synthetic, real_audio[a : int(total_s * RATE) - len(synthetic)]]
    )
    wav = write_wav(audio, folder / "splice.wav")
    return {
        "at_s": at_s,
        "passage_s": passage_s,
        "seconds": round(len(audio) / RATE, 1),
        **rules(backend.analyze(wav, "audio")),
    }

"""Run every (item, perturbation) through a backend once, caching each result as a line
of ``results.jsonl`` keyed by the file's SHA-256 and the perturbation: an interrupted run
resumes where it stopped, and a second report over the same data costs nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dd_eval import perturb
from dd_eval.backends import Backend, BackendError
from dd_eval.conditions import band, probe
from dd_eval.dataset import Item

RESULTS = "results.jsonl"


def record_key(sha256: str, perturbation: str) -> str:
    return f"{sha256}:{perturbation}"


def load_results(out: Path) -> dict[str, dict[str, Any]]:
    path = out / RESULTS
    records: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                records[rec["key"]] = rec
    return records


def _windows(mod: dict[str, Any]) -> list[list[float | None]]:
    evidence = mod.get("evidence") or {}
    return [
        [w["start_s"], w["end_s"], w.get("fake_probability")] for w in evidence.get("windows", [])
    ]


def to_record(
    item: Item, name: str, doc: dict[str, Any], seconds: float, media: Path | None = None
) -> dict[str, Any]:
    """The parts of an analysis document the metrics need. The condition band comes from
    the service's measured condition; without one, from probing the file plus what the
    perturbation is known to do."""
    verdict = doc.get("verdict") or {}
    mod = (doc.get("modalities") or {}).get(item.modality) or {}
    condition = dict(mod.get("condition") or {})
    implied: dict[str, Any] = (
        probe(media, item.modality) if media is not None and not condition else {}
    )
    if name != perturb.CLEAN:
        implied.update(perturb.PERTURBATIONS[name].implied)
    measured = dict(condition or implied)
    if "narrowband" in (mod.get("flags") or []):
        measured["narrowband"] = 1  # the analyzer's own high-band test (see conditions.py)
    evidence = mod.get("evidence") or {}
    return {
        "verdict_p": verdict.get("fake_probability"),
        "verdict_label": verdict.get("label"),
        "p": mod.get("fake_probability"),
        "status": mod.get("status"),
        "confidence": mod.get("confidence"),
        "flags": mod.get("flags", []),
        "reason": mod.get("reason"),
        "condition": condition,
        "band": band(item.modality, measured),
        "models": [m.get("name") for m in mod.get("models", []) if m.get("weights") == "real"],
        "windows": _windows(mod),
        "alerts": evidence.get("alerts", []),
        "seconds": round(seconds, 3),
    }


def evaluate(
    items: Iterable[Item],
    perturbations: list[str],
    backend: Backend,
    out: Path,
    progress: bool = True,
    cached_only: bool = False,
) -> list[dict[str, Any]]:
    """Results for every applicable (item, perturbation), from the cache when present
    (``cached_only``: the cached ones alone, nothing is analysed)."""
    out.mkdir(parents=True, exist_ok=True)
    cached = load_results(out)
    jobs = [
        (item, name)
        for item in items
        for name in perturbations
        if perturb.applies(name, item.modality)
    ]
    results: list[dict[str, Any]] = []
    with (
        (out / RESULTS).open("a") as sink,
        tqdm(total=len(jobs), disable=not progress, unit="file", desc="evaluate") as bar,
    ):
        for item, name in jobs:
            key = record_key(item.sha256, name)
            base = {
                "key": key,
                "path": str(item.path),
                "sha256": item.sha256,
                "perturbation": name,
                "label": item.label,
                "modality": item.modality,
                "group": item.group,
                "split": item.split,
            }
            if key in cached and not cached[key].get("error"):
                results.append({**cached[key], **base})
                bar.update()
                continue
            if cached_only:
                bar.update()
                continue
            t0 = time.perf_counter()
            try:
                media = perturb.make(item.path, name, out / "perturbed", item.sha256)
                record = {
                    **base,
                    **to_record(
                        item,
                        name,
                        backend.analyze(media, item.modality),
                        time.perf_counter() - t0,
                        media,
                    ),
                }
                if record.get("status") == "unavailable":
                    # The service was not there to judge (e.g. still loading): no
                    # measurement, so not cached as one; the next run retries it.
                    record["error"] = f"{item.modality} service unavailable: {record.get('reason')}"
            except (BackendError, RuntimeError, OSError) as exc:
                record = {
                    **base,
                    "error": str(exc)[:500],
                    "seconds": round(time.perf_counter() - t0, 3),
                }
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            results.append(record)
            bar.update()
    return results

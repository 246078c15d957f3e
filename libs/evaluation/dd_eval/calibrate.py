"""Fit a calibration file from evaluation records.

1. Method, per detector: fit identity / temperature / Platt / isotonic on the
   calibration split, measure class-balanced log-loss and ECE on the test split, keep the
   lowest log-loss (the measurements are stored in the file under ``selection``).
2. Parameters, per detector and condition band: the chosen method refitted on the
   calibration split's records of that band when it holds at least ``MIN_PER_CLASS``
   real and fake files; otherwise the detector's default (all bands pooled).
3. Reliability, per band: the false-alarm rate on the calibration split's real media
   after calibration; above ``floor`` the band gets a ``reason`` ("real speech coded as
   AAC at 40 kbit/s or less is misjudged 35 % of the time by this detector") and a
   confidence factor ``floor / rate``: the services then label such results uncertain.
4. Audio clip aggregation: the trim of the clip score and the alert threshold, from the
   recorded window scores (see ``fit_aggregation``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dd_eval import fit, metrics
from dd_eval.calibration import Calibration
from dd_eval.conditions import DEFAULT, describe
from dd_eval.report import after

MIN_PER_CLASS = 4
FLOOR = 0.02
NOUNS = {"audio": "real speech", "image": "a real photo", "video": "a real video"}
TRIMS = (0.0, 0.1, 0.25, 0.4)
ALERT_FLOORS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


def _scored(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if not r.get("error") and r.get("status") == "ok" and r.get("p") is not None
    ]


def _xy(records: list[dict[str, Any]]) -> tuple[list[float], list[int]]:
    return [float(r["p"]) for r in records], [int(r["label"]) for r in records]


def _has_both(records: list[dict[str, Any]], n: int = 1) -> bool:
    labels = [r["label"] for r in records]
    return labels.count(0) >= n and labels.count(1) >= n


def fit_detector(modality: str, records: list[dict[str, Any]], floor: float) -> dict[str, Any]:
    calib = [r for r in records if r["split"] == "calibration"]
    held = [r for r in records if r["split"] != "calibration"]
    if not _has_both(calib):
        # Nothing to fit a map on, but the false-alarm rate per condition is still
        # measurable on the real media alone, and that is what ``assess`` needs.
        selection: dict[str, Any] = {"note": "calibration split lacks real or fake media"}
        method = "identity"
    elif _has_both(held):
        selection = fit.compare(*_xy(calib), *_xy(held))
        method = selection["best"]
    else:
        selection, method = {"note": "no held-out split with both classes: Platt"}, "platt"
    spec: dict[str, Any] = {
        "method": method,
        "selection": selection,
        "default": fit.fit(method, *_xy(calib)),
        "models": sorted({m for r in records for m in r.get("models", [])}),
        "conditions": {},
    }
    bands: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in calib:
        bands[r.get("band") or DEFAULT].append(r)
    probe = Calibration(version="fit", floor=floor, detectors={modality: spec})
    for name, recs in sorted(bands.items()):
        entry: dict[str, Any] = dict(spec["default"])
        if method != "identity" and _has_both(recs, MIN_PER_CLASS):
            entry = fit.fit(method, *_xy(recs))
            entry["fitted_on"] = "band"
        else:
            entry["fitted_on"] = "pooled"
        spec["conditions"][name] = entry
        labels = [after(r, probe)[1] for r in recs]
        op = metrics.operating_point([r["label"] for r in recs], labels)
        entry.update(
            {
                "n_real": op["n_real"],
                "n_fake": op["n_fake"],
                "false_alarm_rate": op["false_alarm_rate"],
                "detection_rate": op["detection_rate"],
            }
        )
        far = op["false_alarm_rate"]
        if far is not None and far > floor:
            entry["confidence_factor"] = round(floor / far, 4)
            entry["reason"] = (
                f"{NOUNS.get(modality, 'real media')} {describe(modality, name)} is misjudged "
                f"{100 * far:.{1 if far < 0.1 else 0}f} % of the time by this detector "
                f"(measured on {op['n_real']} real results: "
                f"{len({r.get('sha256') for r in recs if r['label'] == 0})} real files, "
                "as shipped and perturbed)"
            )
        else:
            entry["confidence_factor"] = 1.0
    return spec


def _window_scores(rec: dict[str, Any]) -> list[float]:
    return [float(w[2]) for w in rec.get("windows", []) if w[2] is not None]


def fit_aggregation(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Audio: the trim with the lowest class-balanced error at 0.5 over clips of >= 3
    windows (ties -> the default), and the lowest alert median floor that raises no alert
    on any real calibration recording (ties -> the default)."""
    from dd_audio.aggregate import (
        ALERT_THRESHOLD,
        MIN_ALERT_S,
        MIN_ALERT_SCORE,
        TRIM,
        clip_score,
        find_alerts,
    )

    recs = [r for r in _scored(records) if r["modality"] == "audio" and r["split"] == "calibration"]
    long = [r for r in recs if len(_window_scores(r)) >= 3]
    trim, errors = TRIM, {}
    if _has_both(long):
        for t in TRIMS:
            err = []
            for cls in (0, 1):
                group = [r for r in long if r["label"] == cls]
                wrong = [(clip_score(_window_scores(r), t) or 0.0) >= 0.5 for r in group]
                err.append(np.mean(wrong) if cls == 0 else 1 - np.mean(wrong))
            errors[t] = float(np.mean(err))
        trim = min(TRIMS, key=lambda t: (errors[t], abs(t - TRIM)))

    def raises(real: dict[str, Any], floor: float) -> bool:
        windows = real["windows"]
        spans = [(w[0], w[1]) for w in windows]
        return bool(find_alerts(spans, [w[2] for w in windows], min_score=floor))

    reals = [r for r in recs if r["label"] == 0 and len(r.get("windows", [])) >= 2]
    quiet = [f for f in ALERT_FLOORS if not any(raises(r, f) for r in reals)]
    floor = max(MIN_ALERT_SCORE, min(quiet)) if quiet else ALERT_FLOORS[-1]
    return {
        "trim": trim,
        "alert_threshold": ALERT_THRESHOLD,
        "min_alert_score": floor,
        "min_alert_s": MIN_ALERT_S,
        "trim_errors": errors,
        "clips_with_3_windows": len(long),
        "real_recordings_for_alerts": len(reals),
    }


def build(records: list[dict[str, Any]], data_hash: str, floor: float = FLOOR) -> Calibration:
    scored = _scored(records)
    detectors = {}
    for modality in sorted({r["modality"] for r in scored}):
        detectors[modality] = fit_detector(
            modality, [r for r in scored if r["modality"] == modality], floor
        )
    aggregation = {}
    if any(r["modality"] == "audio" for r in scored):
        with contextlib.suppress(ImportError):  # no dd_audio here: the services' defaults
            aggregation["audio"] = fit_aggregation(scored)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = hashlib.sha256(f"{data_hash}{created}".encode()).hexdigest()[:8]
    return Calibration(
        version=f"cal-{created[:16].replace('-', '').replace(':', '')}-{stamp}",
        created=created,
        data_hash=data_hash,
        floor=floor,
        detectors=detectors,
        aggregation=aggregation,
    )

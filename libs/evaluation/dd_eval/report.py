"""From result records to the report folder: metrics.json, robustness.md, plots, index.html.

"Before" is what the served path answered (the gateway's verdict; the modality's own
score when there is no verdict). "After" applies a calibration file to the modality's
raw score in its condition band, and turns the label to ``uncertain`` where the file says
the detector is unreliable in that band, as the services will once they load it.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from dd_eval import metrics
from dd_eval.backends import single_modality_verdict
from dd_eval.calibration import Calibration

UNSCORED = "uncertain"  # an error or no_signal is not an answer: neither alarm nor detection


def before(rec: dict[str, Any]) -> tuple[float | None, str]:
    p = rec.get("verdict_p")
    if p is None:
        p = rec.get("p")
    return p, rec.get("verdict_label") or UNSCORED


def after(rec: dict[str, Any], cal: Calibration) -> tuple[float | None, str]:
    p_raw = rec.get("p")
    if p_raw is None or rec.get("status") != "ok":
        return None, UNSCORED
    detector, cond = rec["modality"], rec.get("band")
    p = cal.apply(detector, cond, p_raw)
    factor, reason = cal.assess(detector, cond)
    if reason:
        return p, metrics.UNCERTAIN
    verdict = single_modality_verdict(
        {"status": "ok", "fake_probability": p, "confidence": (rec.get("confidence") or 0) * factor}
    )
    return p, verdict["label"] if verdict else UNSCORED


def summarise(records: list[dict[str, Any]], cal: Calibration | None) -> dict[str, Any]:
    """Metrics over ``records`` before (and after) calibration."""
    out: dict[str, Any] = {
        "n_records": len(records),
        "errors": sum(1 for r in records if r.get("error")),
    }
    for stage in ("before", "after"):
        if stage == "after" and cal is None:
            continue
        pairs = [before(r) if stage == "before" else after(r, cal) for r in records]  # type: ignore[arg-type]
        y = np.array([r["label"] for r in records], dtype=np.int64)
        labels = [lab for _, lab in pairs]
        scored = np.array([p is not None for p, _ in pairs], dtype=bool)
        p = np.array([p if p is not None else 0.5 for p, _ in pairs], dtype=np.float64)
        m = metrics.all_metrics(y[scored], p[scored], [labels[i] for i in np.nonzero(scored)[0]])
        # operating-point rates over every item, unscored ones included (as uncertain)
        m.update(metrics.operating_point(y, labels))
        m["n_scored"] = int(scored.sum())
        # the score alone at 0.5, ignoring the uncertainty band: how often the number
        # itself points the wrong way (a short clip is 'uncertain' whatever it scores)
        real_scored, fake_scored = scored & (y == 0), scored & (y == 1)
        m["score_false_alarm_rate"] = (
            float(np.mean(p[real_scored] >= 0.5)) if real_scored.any() else None
        )
        m["score_detection_rate"] = (
            float(np.mean(p[fake_scored] >= 0.5)) if fake_scored.any() else None
        )
        out[stage] = m
    return out


def _plots(
    records: list[dict[str, Any]], folder: Path, prefix: str, cal: Calibration | None
) -> list[str]:
    from dd_eval import plots

    made = []
    for stage in ("before", "after"):
        if stage == "after" and cal is None:
            continue
        pairs = [before(r) if stage == "before" else after(r, cal) for r in records]  # type: ignore[arg-type]
        keep = [i for i, (p, _) in enumerate(pairs) if p is not None]
        if not keep:
            continue
        y = np.array([records[i]["label"] for i in keep])
        p = np.array([pairs[i][0] for i in keep], dtype=np.float64)
        labels = [pairs[i][1] for i in range(len(pairs))]
        made += plots.all_plots(
            y, p, [r["label"] for r in records], labels, folder, f"{prefix}_{stage}"
        )
    return made


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


RATES = ("false_alarm_rate", "detection_rate", "uncertain_rate", "score_false_alarm_rate")


def _rates(m: dict[str, Any]) -> list[str]:
    return [_rate(m.get(k)) for k in RATES]


def robustness_markdown(table: dict[str, dict[str, dict[str, Any]]], calibrated: bool) -> str:
    head = "| modality | condition | real | fake | AUC | EER | false alarms | detected | uncertain"
    head += " | real p≥0.5"
    sep = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:"
    if calibrated:
        head += " | false alarms (cal.) | detected (cal.) | uncertain (cal.) | real p≥0.5 (cal.)"
        sep += "|---:|---:|---:|---:"
    lines = [head + " |", sep + "|"]
    for modality, rows in table.items():
        for name, s in rows.items():
            b = s["before"]
            cells = [modality, name, str(b["n_real"]), str(b["n_fake"]), _num(b["roc_auc"])]
            cells += [_num(b["eer"]), *_rates(b)]
            if calibrated and "after" in s:
                cells += _rates(s["after"])
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(
    records: list[dict[str, Any]],
    out: Path,
    cal: Calibration | None = None,
    extra: dict[str, Any] | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Write metrics.json, robustness.md, plots and index.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    by_modality: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_modality[r["modality"]].append(r)
    report: dict[str, Any] = {
        "calibration": cal.version if cal else None,
        "modalities": {},
        **(extra or {}),
    }
    table: dict[str, dict[str, dict[str, Any]]] = {}
    images: list[str] = []
    for modality, recs in sorted(by_modality.items()):
        per_pert: dict[str, list[dict[str, Any]]] = defaultdict(list)
        per_band: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in recs:
            per_pert[r["perturbation"]].append(r)
            per_band[r.get("band") or "unknown"].append(r)
        rows = {name: summarise(rs, cal) for name, rs in per_pert.items()}
        table[modality] = {"all conditions": summarise(recs, cal), **rows}
        report["modalities"][modality] = {
            "overall": table[modality]["all conditions"],
            "per_perturbation": rows,
            "per_band": {b: summarise(rs, cal) for b, rs in per_band.items()},
            "per_split": {
                s: summarise([r for r in recs if r["split"] == s], cal)
                for s in sorted({r["split"] for r in recs})
            },
        }
        if plots:
            images += _plots(recs, out, modality, cal)
    markdown = robustness_markdown(table, cal is not None)
    (out / "robustness.md").write_text(markdown)
    (out / "metrics.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    (out / "index.html").write_text(_html(report, markdown, images))
    return report


def _html(report: dict[str, Any], markdown: str, images: list[str]) -> str:
    rows: list[str] = []
    for line in markdown.strip().splitlines():
        if line.startswith("|---"):
            continue
        cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
        tag = "th" if not rows else "td"
        rows.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
    figures = "".join(
        f'<figure><img src="{html.escape(i)}" width="420">'
        f"<figcaption>{html.escape(i)}</figcaption></figure>"
        for i in images
    )
    overall = html.escape(
        json.dumps(
            {m: v["overall"] for m, v in report["modalities"].items()}, indent=1, default=float
        )
    )
    calibration = html.escape(str(report.get("calibration")))
    return "\n".join(
        [
            '<!doctype html><html><head><meta charset="utf-8">',
            "<title>DeepfakeDetective evaluation</title><style>",
            "body{font-family:sans-serif;margin:2em} table{border-collapse:collapse}",
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}",
            "figure{display:inline-block;margin:8px}",
            "pre{background:#f6f6f6;padding:1em;max-height:30em;overflow:auto}",
            "</style></head><body><h1>DeepfakeDetective evaluation</h1>",
            f"<p>Calibration: {calibration}. 'false alarms' = real media labelled fake; "
            "'detected' = fakes labelled fake; 'uncertain' answers are neither.</p>",
            f"<h2>Robustness</h2><table>{''.join(rows)}</table>",
            f"<h2>Plots</h2>{figures}",
            f"<h2>Overall metrics</h2><pre>{overall}</pre>",
            '<p>All numbers: <a href="metrics.json">metrics.json</a>; '
            "raw results: results.jsonl.</p></body></html>",
        ]
    )

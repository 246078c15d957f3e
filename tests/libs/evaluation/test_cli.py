"""`dfd evaluate` and `dfd calibrate` end to end on a tiny corpus made here (real speech
from the shared media + espeak-ng TTS), through the real audio analyzer in-process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dd_eval.calibration import Calibration
from dd_eval.cli import calibrate, evaluate

pytestmark = [
    pytest.mark.weights,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="perturbations need ffmpeg"),
]


def _tts(text: str, voice: str, out: Path, fallback: Path) -> Path:
    """espeak-ng when installed (the corpus's TTS), else the shared espeak clip."""
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True)
        return out
    shutil.copyfile(fallback, out)
    return out


@pytest.fixture()
def corpus(tmp_path: Path, real_speech: list[Path], tts_speech: list[Path]) -> Path:
    rows = ["path,label,split,group"]
    for i, clip in enumerate(real_speech[:2]):
        dst = tmp_path / "real" / clip.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip, dst)
        rows.append(f"real/{clip.name},real,{['calibration', 'test'][i]},{clip.stem}")
    fake = tmp_path / "fake"
    fake.mkdir()
    sentences = ["he was not an ill disposed young man", "he might even have been made amiable"]
    for i, (text, voice) in enumerate(zip(sentences, ["en-us", "en-gb"], strict=True)):
        _tts(text, voice, fake / f"tts{i}.wav", tts_speech[0])
        rows.append(f"fake/tts{i}.wav,fake,{['calibration', 'test'][i]},espeak_{voice}")
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "list.csv"


def test_evaluate_then_calibrate_end_to_end(
    corpus: Path, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIO_DETECTORS", "aasist")  # the untrained CNN never counts
    monkeypatch.setenv("AUDIO_SPECTROGRAM", "false")
    runner = CliRunner()
    out = tmp_path / "report"
    args = [
        str(corpus),
        "--out",
        str(out),
        "--in-process",
        "--models-dir",
        str(models_dir),
        "--perturb",
        "aac_32",
        "--no-progress",
    ]
    result = runner.invoke(evaluate, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    audio = metrics["modalities"]["audio"]
    assert set(audio["per_perturbation"]) == {"clean", "aac_32"}
    assert audio["overall"]["before"]["n"] == 8 and audio["overall"]["errors"] == 0
    assert audio["overall"]["before"]["roc_auc"] is not None
    for plot in ("roc", "pr", "reliability", "hist", "confusion"):
        assert (out / f"audio_before_{plot}.png").stat().st_size > 1000
    assert "<table>" in (out / "index.html").read_text()
    assert "| audio | aac_32 |" in (out / "robustness.md").read_text()
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 8

    # resumable: a second run analyses nothing again
    assert runner.invoke(evaluate, args).exit_code == 0
    assert len((out / "results.jsonl").read_text().splitlines()) == 8

    cal_path = tmp_path / "calibration.json"
    result = runner.invoke(
        calibrate,
        [
            str(corpus),
            "--out",
            str(cal_path),
            "--work",
            str(out),
            "--in-process",
            "--models-dir",
            str(models_dir),
            "--perturb",
            "aac_32",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len((out / "results.jsonl").read_text().splitlines()) == 8  # reused the cache
    cal = Calibration.load(cal_path)
    assert cal.version.startswith("cal-") and cal.data_hash
    spec = cal.detectors["audio"]
    assert spec["method"] in ("identity", "temperature", "platt", "isotonic")
    assert "audio" in cal.aggregation
    records = [json.loads(line) for line in lines]
    raw = [r["p"] for r in records]
    calibrated = [cal.apply("audio", r["band"], r["p"]) for r in records]
    if spec["method"] != "identity":
        assert calibrated != raw  # the file changes the scores

    # and the report after calibration
    result = runner.invoke(evaluate, [*args, "--calibration", str(cal_path)])
    assert result.exit_code == 0, result.output
    assert "false alarms (cal.)" in (out / "robustness.md").read_text()
    assert (out / "audio_after_roc.png").exists()

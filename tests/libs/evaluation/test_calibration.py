"""The calibration file: fitting methods, load/apply/assess, condition bands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dd_eval import calibrate, fit
from dd_eval.calibration import Calibration, apply_params
from dd_eval.conditions import audio_band, band, image_band, video_band


def _overconfident(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores from a detector that is right but far too sure: true logit z, reported 4 z."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    z = rng.normal(np.where(y == 1, 1.0, -1.0), 1.0)
    return 1 / (1 + np.exp(-4 * z)), y


def test_platt_and_temperature_undo_overconfidence() -> None:
    p, y = _overconfident()
    platt = fit.fit_platt(p, y)
    temp = fit.fit_temperature(p, y)
    assert 0.3 < platt["a"] < 0.8 and abs(platt["b"]) < 0.3
    assert temp["T"] > 1.5
    calibrated = fit.apply_all(platt, p)
    assert fit.balanced_log_loss(y, calibrated) < fit.balanced_log_loss(y, p)


def test_isotonic_is_monotone_and_never_certain() -> None:
    p, y = _overconfident(seed=1)
    iso = fit.fit_isotonic(p, y)
    out = fit.apply_all(iso, np.sort(p))
    assert np.all(np.diff(out) >= -1e-12)
    assert out.min() > 0 and out.max() < 1


def test_compare_picks_the_lowest_held_out_loss() -> None:
    p, y = _overconfident(seed=2)
    p2, y2 = _overconfident(seed=3)
    result = fit.compare(p, y, p2, y2)
    losses = {m: r["held_out_log_loss"] for m, r in result["methods"].items()}
    assert result["best"] == min(losses, key=lambda m: losses[m])
    assert result["best"] != "identity"


def test_bands() -> None:
    assert audio_band({"codec": "aac", "bitrate_kbps": 33.4, "sample_rate": 16000}) == "aac_low"
    assert audio_band({"codec": "mp3float", "bitrate_kbps": 64}) == "mp3_mid"
    assert audio_band({"codec": "pcm_s16le", "sample_rate": 8000}) == "narrowband"
    assert audio_band({"codec": "pcm_s16le", "sample_rate": 16000, "narrowband": 1}) == "narrowband"
    assert audio_band({"codec": "flac", "sample_rate": 44100}) == "lossless"
    assert image_band({"width": 1024, "height": 768, "face_px": 40}) == "small_face"
    assert image_band({"width": 1024, "height": 768, "jpeg_quality": 30}) == "jpeg_low"
    assert video_band({"width": 176, "height": 144}) == "low_res"
    assert band("audio", None) == "default" and band("audio", "aac_low") == "aac_low"


def _file(tmp_path: Path) -> Path:
    cal = Calibration(
        version="cal-test-1",
        detectors={
            "audio": {
                "default": {"method": "platt", "a": 0.5, "b": -1.0},
                "conditions": {
                    "aac_low": {
                        "method": "temperature",
                        "a": 0.25,
                        "b": 0.0,
                        "confidence_factor": 0.05,
                        "reason": "real speech coded as AAC is misjudged 40 % of the time",
                    },
                },
            }
        },
    )
    path = tmp_path / "calibration.json"
    cal.save(path)
    return path


def test_load_apply_assess(tmp_path: Path) -> None:
    cal = Calibration.load(_file(tmp_path))
    assert cal.version == "cal-test-1"
    # default band: platt
    assert cal.apply("audio", {"codec": "pcm_s16le"}, 0.9) == pytest.approx(
        1 / (1 + np.exp(-(0.5 * np.log(9) - 1.0)))
    )
    # the condition dict a service measures selects the AAC entry
    aac = {"codec": "aac", "bitrate_kbps": 32.0, "sample_rate": 16000}
    assert cal.apply("audio", aac, 0.98) < 0.8
    factor, reason = cal.assess("audio", aac)
    assert factor == 0.05 and reason is not None and "AAC" in reason
    assert cal.assess("audio", {"codec": "pcm_s16le"}) == (1.0, None)
    # a detector the file does not know is left alone
    assert cal.apply("image", {}, 0.7) == 0.7
    assert Calibration.load(None).apply("audio", aac, 0.3) == 0.3


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": 99, "version": "x"}))
    with pytest.raises(ValueError):
        Calibration.load(path)
    with pytest.raises(ValueError):
        apply_params({"method": "magic"}, 0.5)


def _rec(label: int, p: float, split: str, band_name: str) -> dict[str, object]:
    return {
        "label": label,
        "p": p,
        "split": split,
        "band": band_name,
        "status": "ok",
        "modality": "audio",
        "confidence": 1.0,
        "models": ["aasist"],
        "windows": [],
    }


def test_build_flags_an_unreliable_condition_and_keeps_a_reliable_one() -> None:
    rng = np.random.default_rng(0)
    records = []
    for split in ("calibration", "test"):
        for _ in range(20):
            records.append(_rec(0, float(rng.uniform(0.0, 0.1)), split, "lossless"))
            records.append(_rec(1, float(rng.uniform(0.9, 1.0)), split, "lossless"))
            # AAC at 32 kbit/s: real speech looks as fake as the fakes
            records.append(_rec(0, float(rng.uniform(0.9, 1.0)), split, "aac_low"))
            records.append(_rec(1, float(rng.uniform(0.9, 1.0)), split, "aac_low"))
    cal = calibrate.build(records, "hash")
    spec = cal.detectors["audio"]
    assert spec["method"] in fit.METHODS and "methods" in spec["selection"]
    assert cal.assess("audio", "lossless") == (1.0, None)
    factor, reason = cal.assess("audio", "aac_low")
    if reason is None:  # the fit made the band uncertain instead: it never says fake
        assert cal.detectors["audio"]["conditions"]["aac_low"]["false_alarm_rate"] <= 0.02
    else:
        assert factor < 1 and "misjudged" in reason and "AAC" in reason
    assert cal.version.startswith("cal-") and cal.data_hash == "hash"

"""AUDIO_CALIBRATION_FILE in the audio service: /v1/model names the file's version, the
clip score is calibrated in its condition band, the fitted aggregation parameters are
used, and a narrow-band recording (a condition the file measured as unreliable) ends as
an 'uncertain' verdict with the reason in words. Without a file: 'uncalibrated score'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from scipy.signal import resample_poly

from dd_audio.app import create_app
from dd_audio.settings import AudioSettings
from dd_inference import REGISTRY, DetectorContext, DetectorKind, NoOptions
from tests.services.calibration_support import (
    RELIABILITY_REASON,
    FixedScore,
    fuse,
    platt,
    scoring_calibration,
    unreliable,
    wait_ready,
    write_calibration,
)

RAW = 0.9  # every window


@pytest.fixture
def toy_voice() -> Iterator[None]:
    @REGISTRY.register("toy_voice", kind=DetectorKind.audio_window, options=NoOptions)
    def _build(_: DetectorContext, __: NoOptions) -> FixedScore:
        return FixedScore("toy-voice", RAW)

    yield
    REGISTRY.remove("toy_voice")


@pytest.fixture(scope="module")
def speech(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 6 s LibriVox clip as is (wide band, 16 kHz PCM) and passed through an 8 kHz
    telephone band but stored at 16 kHz, so only the analyzer's own test can tell."""
    folder = tmp_path_factory.mktemp("speech")
    source = shared_media / "speech" / "sense_and_sensibility_01_austen_64kb-0920.wav"
    samples, rate = sf.read(str(source), dtype="float32")
    assert rate == 16_000
    phone = resample_poly(resample_poly(samples, 1, 2), 2, 1).astype(np.float32)
    sf.write(str(folder / "phone.wav"), phone, 16_000)
    return {"wide": source, "phone": folder / "phone.wav"}


def client_for(tmp_path: Path, calibration: Path | None) -> TestClient:
    settings = AudioSettings(
        models_dir=tmp_path,
        json_logs=False,
        threads=1,
        detectors=["toy_voice"],
        spectrogram=False,
        calibration_file=calibration,
    )
    return TestClient(create_app(settings))


def analyze(client: TestClient, path: Path) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/analyze", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_without_a_file_scores_are_marked_uncalibrated(
    toy_voice: None, tmp_path: Path, speech: dict[str, Path]
) -> None:
    with client_for(tmp_path, None) as client:
        wait_ready(client)
        models = client.get("/v1/model").json()["models"]
        assert scoring_calibration(models, "toy-voice") is None
        body = analyze(client, speech["wide"])
    assert body["fake_probability"] == pytest.approx(RAW)
    assert body["reliable"] is True and "unreliable_condition" not in body["flags"]
    assert "uncalibrated score" in body["evidence"]["aggregation"]
    assert scoring_calibration(body["models"], "toy-voice") is None


def test_calibration_file_changes_model_scores_and_verdict(
    toy_voice: None, tmp_path: Path, speech: dict[str, Path]
) -> None:
    cal = tmp_path / "calibration.json"
    version = write_calibration(
        cal,
        "audio",
        ["toy-voice"],
        default={"method": "platt", "a": 1.0, "b": -2.0},
        conditions={"narrowband": unreliable(a=0.5, b=0.0)},
        aggregation={"trim": 0.1, "alert_threshold": 0.6, "min_alert_score": 0.97},
    )
    with client_for(tmp_path, cal) as client:
        wait_ready(client)
        models = client.get("/v1/model").json()["models"]
        assert scoring_calibration(models, "toy-voice") == version

        wide = analyze(client, speech["wide"])
        assert wide["condition"]["codec"].startswith("pcm")  # band 'lossless': the default map
        assert wide["fake_probability"] == pytest.approx(platt(RAW, 1.0, -2.0), abs=1e-6)
        assert wide["reliable"] is True and wide["reason"] is None
        assert scoring_calibration(wide["models"], "toy-voice") == version
        text = wide["evidence"]["aggregation"]
        assert version in text and "uncalibrated" not in text
        assert "trim 0.1" in text and "median >= 0.97" in text  # the file's aggregation
        assert fuse(wide)["reasons"] == []  # reliable: no unreliable-condition rule

        phone = analyze(client, speech["phone"])
    assert phone["condition"]["sample_rate"] == 16000
    assert "narrowband" in phone["flags"] and phone["condition"]["narrowband"] == 1
    assert phone["fake_probability"] == pytest.approx(platt(RAW, 0.5, 0.0), abs=1e-6)
    assert "unreliable_condition" in phone["flags"]
    assert phone["reliable"] is False and phone["reason"] == RELIABILITY_REASON
    assert phone["confidence"] <= 0.2

    verdict = fuse(phone)
    assert verdict["label"] == "uncertain"
    assert [r["rule_id"] for r in verdict["reasons"]] == ["unreliable_condition"]
    assert RELIABILITY_REASON in verdict["reasons"][0]["reason"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "calibration file unusable"),
        ('{"format": 99, "version": "x"}', "format 99"),
        ('{"format": 1}', "missing field 'version'"),
        (
            '{"format": 1, "version": "v", "detectors": {"audio": '
            '{"default": {"method": "magic"}}}}',
            "unknown calibration method 'magic'",
        ),
        (
            '{"format": 1, "version": "v", "detectors": {"audio": {"models": ["aasist"], '
            '"default": {"method": "identity"}}}}',
            "fitted for audio on aasist",
        ),
    ],
    ids=["not-json", "wrong-format", "no-version", "bad-method", "other-models"],
)
def test_a_bad_file_keeps_the_service_not_ready_and_says_why(
    toy_voice: None, tmp_path: Path, content: str, expected: str
) -> None:
    cal = tmp_path / "calibration.json"
    cal.write_text(content)
    with client_for(tmp_path, cal) as client:
        body = wait_ready(client, ready=False)
        assert body["reason"].startswith("calibration file unusable: ")
        assert expected in body["reason"]
        refused = client.post("/v1/analyze", files={"file": ("a.wav", b"RIFF")})
        assert refused.status_code == 503 and refused.json()["type"] == "not_ready"


def test_a_missing_file_is_named(toy_voice: None, tmp_path: Path) -> None:
    with client_for(tmp_path, tmp_path / "nowhere.json") as client:
        body = wait_ready(client, ready=False)
    assert body["reason"] == f"calibration file unusable: {tmp_path / 'nowhere.json'}: no such file"


def test_empty_variable_means_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIO_CALIBRATION_FILE", "")
    assert AudioSettings().calibration_file is None
    monkeypatch.setenv("AUDIO_CALIBRATION_FILE", "/etc/dd/cal.json")
    assert AudioSettings().calibration_file == Path("/etc/dd/cal.json")

"""End to end: `python -m dd_eval calibrate` on a tiny corpus made here writes a file, the
audio service started as a process with AUDIO_CALIBRATION_FILE pointing at it reports
the file's version in /v1/model and applies it to a result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dd_service_kit.testing import free_port_block

pytestmark = [pytest.mark.weights, pytest.mark.integration]


@pytest.fixture()
def corpus(tmp_path: Path, real_speech: list[Path], tts_speech: list[Path]) -> Path:
    """Two real and two synthetic clips from the shared media, split by speaker / voice."""
    assert len(tts_speech) >= 2, "expected two shared TTS clips (espeak, flite)"
    rows = ["path,label,split,group"]
    for label, clips in (("real", real_speech[:2]), ("fake", tts_speech[:2])):
        for clip, split in zip(clips, ("calibration", "test"), strict=True):
            dst = tmp_path / label / clip.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(clip, dst)
            rows.append(f"{label}/{clip.name},{label},{split},{clip.stem}")
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "list.csv"


@pytest.fixture()
def audio_env(models_dir: Path) -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    env.update(
        {
            "AUDIO_DETECTORS": "aasist",  # the untrained CNN never counts (and loads TF)
            "AUDIO_SPECTROGRAM": "false",
            "AUDIO_MODELS_DIR": str(models_dir),
            "AUDIO_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    yield env


def test_dfd_calibrate_output_loads_in_the_audio_service(
    corpus: Path, tmp_path: Path, models_dir: Path, audio_env: dict[str, str]
) -> None:
    started = time.monotonic()
    cal_path = tmp_path / "calibration.json"
    command = [sys.executable, "-m", "dd_eval", "calibrate", str(corpus), "--out", str(cal_path)]
    command += ["--in-process", "--models-dir", str(models_dir), "--threads", "1"]
    done = subprocess.run(
        [*command, "--no-progress"], env=audio_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    version = json.loads(cal_path.read_text())["version"]
    assert version.startswith("cal-") and f"version {version}" in done.stdout

    port = free_port_block(1, start=20000 + (os.getpid() % 1000) * 10)
    env = {**audio_env, "AUDIO_PORT": str(port), "AUDIO_CALIBRATION_FILE": str(cal_path)}
    log = (tmp_path / "audio.log").open("w")
    service = subprocess.Popen(
        [sys.executable, "-m", "dd_audio"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert service.poll() is None, (tmp_path / "audio.log").read_text()[-3000:]
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
                assert "calibration" not in (ready.json().get("reason") or ""), ready.json()
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "audio.log").read_text()[-3000:]
            time.sleep(0.25)
        models = httpx.get(f"{url}/v1/model", timeout=5).json()["models"]
        assert [(m["name"], m["calibration"]) for m in models] == [("aasist", version)]

        clip = corpus.parent / "real" / sorted((corpus.parent / "real").iterdir())[0].name
        response = httpx.post(
            f"{url}/v1/analyze", files={"file": (clip.name, clip.read_bytes())}, timeout=60
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["models"][0]["calibration"] == version
        assert f"calibrated by {version}" in body["evidence"]["aggregation"]
    finally:
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        log.close()
    assert time.monotonic() - started < 60

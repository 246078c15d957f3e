"""Perturbations are made with ffmpeg, cached, and produce the condition they claim."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dd_eval import perturb
from dd_eval.conditions import audio_band, probe

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="perturbations need ffmpeg (apt-get install ffmpeg)"
)


@pytest.fixture()
def wav(tmp_path: Path) -> Path:
    t = np.arange(16_000 * 2) / 16_000
    path = tmp_path / "tone.wav"
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16_000)
    return path


@pytest.mark.parametrize("name", ["aac_32", "mp3_64", "opus_16", "tel_8k", "resample_22k"])
def test_audio_perturbations_make_what_they_claim(wav: Path, tmp_path: Path, name: str) -> None:
    out = perturb.make(wav, name, tmp_path / "cache", "k" * 16)
    assert out.exists() and out != wav
    measured = {**probe(out, "audio"), **perturb.PERTURBATIONS[name].implied}
    expected = {
        "aac_32": "aac_low",
        "mp3_64": "mp3_mid",
        "opus_16": "opus_low",
        "tel_8k": "narrowband",
        "resample_22k": "lossless",
    }[name]
    assert audio_band(measured) == expected
    assert probe(out, "audio").get("codec")
    again = perturb.make(wav, name, tmp_path / "cache", "k" * 16)
    assert again == out  # cached


def test_image_chain_and_resize(tmp_path: Path) -> None:
    from PIL import Image

    src = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)).save(
        src
    )
    small = perturb.make(src, "resize_0.5", tmp_path / "c", "a" * 16)
    assert Image.open(small).size == (40, 32)
    chain = perturb.make(src, "recompress_chain", tmp_path / "c", "b" * 16)
    assert Image.open(chain).format == "JPEG" and Image.open(chain).size == (60, 48)
    assert not list((tmp_path / "c" / "recompress_chain").glob("*step*"))


def test_names_and_groups() -> None:
    assert perturb.expand(["aac_32,tel_8k"]) == ["clean", "aac_32", "tel_8k"]
    assert len(perturb.expand(["all-audio"])) == 12
    assert perturb.applies("jpeg_30", "image") and not perturb.applies("jpeg_30", "audio")
    with pytest.raises(ValueError):
        perturb.expand(["telephone"])


def test_jpeg_perturbations_use_libjpeg_quality(tmp_path: Path) -> None:
    """jpeg_N re-saves with libjpeg at IJG quality N: its luminance table is the IJG table
    scaled for N (ffmpeg's -q:v is another scale, kept apart as jpeg_ffmpeg_54)."""
    from PIL import Image

    src = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(
        src
    )
    ijg_50 = [16, 11, 10, 16, 24, 40, 51, 61]  # first row of the standard table (quality 50)
    for quality in (30, 50, 70, 95):
        out = perturb.make(src, f"jpeg_{quality}", tmp_path / "c", "q" * 16)
        with Image.open(out) as image:
            table = list(image.quantization[0])[:8]  # type: ignore[attr-defined]
        scale = 5000 // quality if quality < 50 else 200 - 2 * quality  # libjpeg integer maths
        assert table == [max(1, min(255, (v * scale + 50) // 100)) for v in ijg_50]
    ffmpeg = perturb.make(src, "jpeg_ffmpeg_54", tmp_path / "c", "f" * 16)
    assert Image.open(ffmpeg).format == "JPEG"

"""preflight on mutated files: it either passes or raises MediaRejected (never another
exception), and stays fast whatever the bytes say."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import preflight
from tests.hostile import corpus


def _seeds() -> dict[str, bytes]:
    pixels = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    seeds = {}
    for fmt in ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP"):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt)
        seeds[fmt] = buffer.getvalue()
    seeds["mp4"] = corpus.small_video(frames=6)
    seeds["mkv"] = corpus.small_video(frames=6, fmt="matroska")
    seeds["wav"] = corpus.wav_lying_length() + bytes(3200)
    return seeds


@pytest.mark.parametrize("name", ["PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP", "mp4", "mkv", "wav"])
def test_mutations_raise_only_media_rejected(name: str, tmp_path: Path) -> None:
    seed = _seeds()[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    path = tmp_path / "mutant"
    limits = MediaLimits()
    for _ in range(150):
        data = bytearray(seed)
        for _ in range(int(rng.integers(1, 8))):
            position = int(rng.integers(0, min(len(data), 400)))  # headers live up front
            data[position] = int(rng.integers(0, 256))
        if rng.random() < 0.2:
            data = data[: int(rng.integers(1, len(data)))]
        path.write_bytes(bytes(data))
        start = time.perf_counter()
        try:
            preflight(path, None, limits)
        except MediaRejected as error:
            assert 400 <= error.status_code < 500
        assert time.perf_counter() - start < 1.0

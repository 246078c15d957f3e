"""Fixtures for the audio tests: a loaded analyzer, shared clips, and a media writer that
encodes test clips with PyAV (no system ffmpeg needed)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

Encoder = Callable[..., Path]


def _load_clip(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != 16_000:
        mono = resample_poly(mono, 16_000, rate).astype(np.float32)
    return mono


@pytest.fixture(scope="session")
def load_clip() -> Callable[[Path], np.ndarray]:
    return _load_clip


def _encode(
    samples: np.ndarray,
    path: Path,
    codec: str | None,
    fmt: str,
    rate: int = 16_000,
    video: str | None = None,
    source_rate: int = 16_000,
) -> Path:
    """Write ``samples`` (mono float32 at ``source_rate``) with ``codec`` in container ``fmt``;
    ``video`` adds a small video stream with that codec (None: audio only; codec None:
    video only)."""
    with av.open(str(path), "w", format=fmt) as out:
        vstream: Any = None
        astream: Any = None
        if video is not None:
            vstream = out.add_stream(video, rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        if codec is not None:
            astream = out.add_stream(codec, rate=rate, layout="mono")
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
            frame.sample_rate = source_rate
            frame.pts, frame.time_base = 0, Fraction(1, source_rate)
            fmt_name = astream.codec_context.codec.audio_formats[0].name
            resampler = av.AudioResampler(format=fmt_name, layout="mono", rate=rate)
            for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
                for packet in astream.encode(chunk):
                    out.mux(packet)
            for packet in astream.encode(None):
                out.mux(packet)
        if vstream is not None:
            n_frames = max(1, int(len(samples) / source_rate * 10))
            for i in range(n_frames):
                image = np.full((48, 64, 3), (i * 7) % 255, dtype=np.uint8)
                vframe = av.VideoFrame.from_ndarray(image, format="rgb24")
                for packet in vstream.encode(vframe):
                    out.mux(packet)
            for packet in vstream.encode(None):
                out.mux(packet)
    return path


@pytest.fixture(scope="session")
def encode() -> Encoder:
    return _encode


@pytest.fixture(scope="session")
def analyzer(models_dir: Path):  # type: ignore[no-untyped-def]
    from dd_audio.analyzer import build_analyzer
    from dd_audio.settings import AudioSettings

    instance = build_analyzer(
        AudioSettings(models_dir=models_dir, threads=2, spectrogram=True, detectors=["aasist"])
    )
    instance.load()
    return instance

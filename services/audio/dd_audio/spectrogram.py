"""Mel-spectrogram PNG with the suspicious windows shaded, for the report (base64).

Colours come from a small perceptual LUT (a magma-like ramp interpolated from 9 stops) so
that Pillow is enough: no matplotlib in the service image.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from dd_audio.features import HOP, log_mel

# Perceptually ordered stops (dark purple -> orange -> pale yellow), RGB 0..255.
_STOPS = np.array(
    [
        [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122],
        [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
    ],
    dtype=np.float64,
)  # fmt: skip
HEIGHT = 128
MAX_WIDTH = 1200
DYNAMIC_RANGE_DB = 80.0
SHADE = np.array([255, 40, 40], dtype=np.float64)
SHADE_ALPHA = 0.35


def colormap_lut(n: int = 256) -> np.ndarray:
    """(n, 3) uint8 colours interpolated between the stops."""
    x = np.linspace(0.0, 1.0, len(_STOPS))
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, x, _STOPS[:, c]) for c in range(3)], axis=1).astype(np.uint8)


_LUT = colormap_lut()


def render_png(
    samples: np.ndarray,
    spans_s: Sequence[tuple[float, float]],
    sample_rate: int = 16_000,
    power: np.ndarray | None = None,
) -> bytes:
    """PNG bytes: time left to right, low frequencies at the bottom, ``spans_s`` shaded.
    ``power``: the clip's ``features.power_spectrogram`` if the caller has it already."""
    mel = log_mel(samples, sample_rate, n_mels=HEIGHT, power=power)  # (frames, mels)
    top = float(mel.max())
    level = np.clip((mel - (top - DYNAMIC_RANGE_DB)) / DYNAMIC_RANGE_DB, 0.0, 1.0)
    step = max(1, int(np.ceil(len(level) / MAX_WIDTH)))
    if step > 1:  # max-pool columns so short events stay visible in long clips
        cols = len(level) // step * step
        level = level[:cols].reshape(-1, step, HEIGHT).max(axis=1) if cols else level[:1]
    rgb = _LUT[(level.T[::-1] * 255).astype(np.uint8)].astype(np.float64)  # (mels, cols, 3)
    seconds_per_col = HOP * step / sample_rate
    for start_s, end_s in spans_s:
        lo = int(start_s / seconds_per_col)
        hi = max(lo + 1, int(np.ceil(end_s / seconds_per_col)))
        rgb[:, lo:hi] = (1 - SHADE_ALPHA) * rgb[:, lo:hi] + SHADE_ALPHA * SHADE
    buffer = io.BytesIO()
    # zlib's default level, without optimize's extra passes: those cost ~1/3 of the
    # render (~30-60 ms a minute of audio) to save a few KB of a ~100 KB picture.
    Image.fromarray(rgb.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def render_base64(
    samples: np.ndarray,
    spans_s: Sequence[tuple[float, float]],
    sample_rate: int = 16_000,
    power: np.ndarray | None = None,
) -> str:
    return base64.b64encode(render_png(samples, spans_s, sample_rate, power)).decode("ascii")

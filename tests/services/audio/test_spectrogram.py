from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from dd_audio.spectrogram import HEIGHT, colormap_lut, render_base64, render_png


def _chirp(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(16_000 * seconds)) / 16_000
    return (0.3 * np.sin(2 * np.pi * (200 + 1000 * t) * t)).astype(np.float32)


def test_png_is_valid_and_sized() -> None:
    image = Image.open(io.BytesIO(render_png(_chirp(), [])))
    image.verify()
    image = Image.open(io.BytesIO(render_png(_chirp(), [])))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.height == HEIGHT and 250 <= image.width <= 310  # 10 ms columns


def test_suspicious_span_is_shaded_and_nothing_else() -> None:
    plain = np.asarray(Image.open(io.BytesIO(render_png(_chirp(), [])))).astype(int)
    shaded = np.asarray(Image.open(io.BytesIO(render_png(_chirp(), [(1.0, 2.0)])))).astype(int)
    changed = np.any(plain != shaded, axis=(0, 2))
    assert changed[110:190].all()
    assert not changed[:95].any() and not changed[205:].any()
    assert (shaded[:, 150, 0] >= plain[:, 150, 0]).all()  # shading pushes towards red


def test_long_clip_is_capped_in_width_and_base64_decodes() -> None:
    png = base64.b64decode(render_base64(_chirp(30.0), [(10.0, 14.0)]))
    assert Image.open(io.BytesIO(png)).width <= 1200


def test_colormap_is_perceptually_ordered() -> None:
    lut = colormap_lut().astype(float)
    luminance = lut @ np.array([0.2126, 0.7152, 0.0722])
    assert lut.shape == (256, 3)
    assert np.all(np.diff(luminance) >= -1e-9)

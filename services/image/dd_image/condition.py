"""The picture's condition, measured cheaply: what calibration and the reader need to
judge how far the detectors can be trusted on it (size, face size, JPEG quality)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# The IJG (libjpeg) standard luminance quantisation table that JPEG quality scales.
_IJG_LUMINANCE = np.array(
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ],
    dtype=np.float64,
)  # fmt: skip


def quality_from_table(table: list[int] | np.ndarray) -> float:
    """Estimated IJG quality (1-100) of a luminance table: libjpeg scales the standard
    table by 5000/Q % below Q 50 and by (200 - 2Q) % above; we invert the mean scale.
    Tables from other encoders are not exactly scaled IJG tables: an estimate."""
    values = np.asarray(table, dtype=np.float64)
    if values.size != 64:
        raise ValueError("a JPEG quantisation table has 64 entries")
    scale = 100.0 * float(values.sum()) / float(_IJG_LUMINANCE.sum())
    quality = (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale
    return round(min(100.0, max(1.0, quality)), 1)


def jpeg_quality(path: Path) -> float | None:
    """Quality estimate from the file's first (luminance) table; None if not a JPEG.
    Reads only the header (the tables precede the image data)."""
    try:
        with Image.open(path, formats=["JPEG"]) as image:
            tables = getattr(image, "quantization", None)
            if not tables:
                return None
            return quality_from_table(tables[min(tables)])
    except Exception:  # a header Pillow cannot re-read: no estimate, not an error
        return None

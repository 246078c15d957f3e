"""JPEG compression traces: quantisation tables, double compression, error levels.

- Quality: the IJG (libjpeg) quality 1..100 whose scaled Annex-K table is closest to each
  stored table; ``matches_ijg`` when it is exactly that table. libjpeg, PIL, most web
  tools and many editors write IJG tables; cameras and some editors (Photoshop) write
  their own, so 'custom' tables are normal for a camera original.
- Double compression (heuristic, Lukáš & Fridrich 2003; Popescu & Farid 2004): the
  luminance of a centred crop, on the 8×8 grid, is transformed back to DCT coefficients
  and divided by the stored quantisation steps. After a single compression the histogram
  of |coefficient| at each low frequency falls off monotonically (Laplacian). An earlier
  compression with different steps leaves periodic empty bins or bumps, i.e. places
  where the histogram rises again. Score = share of well-populated bins that rise above
  their predecessor by more than Poisson noise allows, over nine low frequencies.
  A sign, not a proof (resizing or cropping off-grid after the first save erases it).
- ELA: the picture re-saved at a fixed quality, the absolute difference amplified.
  Computed on the luminance already decoded for the double-compression check, reduced to
  fit ``max_side`` (box filter) before re-saving, so it costs ~3 ms on a 1080p photo;
  an aid to the eye, never a probability.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# ITU-T T.81 Annex K tables, natural (row-major) order.
IJG_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
IJG_CHROMINANCE = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
)  # fmt: skip


def ijg_table(quality: int, chroma: bool) -> np.ndarray:
    base = np.array(IJG_CHROMINANCE if chroma else IJG_LUMINANCE, dtype=np.int64)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255)


_IJG = {chroma: np.stack([ijg_table(q, chroma) for q in range(1, 101)]) for chroma in (False, True)}


def estimate_quality(table: list[int], table_id: int) -> tuple[int, bool]:
    """(closest IJG quality, whether the table is exactly the IJG one at that quality)."""
    values = np.array(table, dtype=np.int64)
    candidates = _IJG[table_id > 0]
    errors = np.abs(candidates - values).sum(axis=1)
    best = int(np.argmin(errors))
    return best + 1, bool(errors[best] == 0)


def _dct_matrix() -> np.ndarray:
    k = np.arange(8)
    matrix = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16) * np.sqrt(2 / 8)
    matrix[0, :] = np.sqrt(1 / 8)
    return matrix


_DCT = _dct_matrix()
# Nine low AC frequencies (row, col): where quantisation steps are small enough to
# leave many populated histogram bins.
_FREQUENCIES = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2), (0, 3))
_BINS = 16
# DCT basis images of those frequencies, flattened: coefficient = block · basis.
_BASIS = np.stack([np.outer(_DCT[row], _DCT[col]).ravel() for row, col in _FREQUENCIES]).astype(
    np.float32
)


def double_compression_score(luma: Image.Image, table: list[int], max_side: int) -> float | None:
    """Heuristic score in [0, 1] (see module doc); None when there is too little to judge."""
    width, height = luma.size
    side_w = min(width, max_side) // 8 * 8
    side_h = min(height, max_side) // 8 * 8
    if side_w < 64 or side_h < 64:
        return None
    # Centred crop, kept on the 8×8 grid of the original.
    left = (width - side_w) // 2 // 8 * 8
    top = (height - side_h) // 2 // 8 * 8
    pixels = np.asarray(luma.crop((left, top, left + side_w, top + side_h)), dtype=np.float32)
    blocks = (pixels - 128.0).reshape(side_h // 8, 8, side_w // 8, 8).swapaxes(1, 2).reshape(-1, 64)
    # Only the nine frequencies we look at: one small matrix product instead of full DCTs.
    levels_all = blocks @ _BASIS.T  # (blocks, 9)
    steps = np.array(table, dtype=np.float32).reshape(8, 8)
    rises = 0
    tested = 0
    for index, (row, col) in enumerate(_FREQUENCIES):
        step = steps[row, col]
        if step < 2:  # quality ~100: nothing to see
            continue
        levels = np.abs(np.rint(levels_all[:, index] / step)).astype(np.int64)
        histogram = np.bincount(levels.ravel(), minlength=_BINS + 1)[: _BINS + 1]
        tail = np.cumsum(histogram[::-1])[::-1]  # tail[k] = samples at |level| >= k
        for k in range(1, _BINS):
            if tail[k] < 40:
                break  # the tail: too few samples left to say anything
            before, after = histogram[k], histogram[k + 1]
            tested += 1
            if after > before + 3 * np.sqrt(before + 1) + 0.1 * before:
                rises += 1
            elif histogram[k] * 4 < min(histogram[k - 1], after + 1):
                rises += 1  # an (almost) empty bin between populated ones
    if tested < 8:
        return None
    return round(rises / tested, 3)


_GRAY16 = [level * 17 for level in range(16) for _ in range(3)]


def error_level_png(luma: Image.Image, quality: int, max_side: int, gain: float) -> bytes:
    """ELA picture (16-level grayscale PNG bytes) of the decoded luminance, reduced to ``max_side``.

    Luminance only and reduced, so that it reuses the decode the double-compression check
    already paid for (decoding is most of the cost): an aid to the eye, not a measurement.
    """
    factor = -(-max(luma.size) // max_side)  # ceil: integer box reduction, the fast path
    reduced = luma.reduce(factor) if factor > 1 else luma
    buffer = io.BytesIO()
    reduced.save(buffer, "JPEG", quality=quality)
    resaved = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    difference = np.abs(
        np.asarray(reduced, dtype=np.int16) - np.asarray(resaved, dtype=np.int16)
    ).astype(np.float32)
    amplified = np.clip(difference * gain, 0, 255).astype(np.uint8)
    # 16 gray levels, 4 bits a pixel: plenty for the eye, and encodes in a third of the
    # time of an 8-bit PNG (the PNG was most of the ELA's cost).
    levels = (amplified >> 4).astype(np.uint8)
    picture = Image.frombytes("P", (levels.shape[1], levels.shape[0]), levels.tobytes())
    picture.putpalette(_GRAY16)
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1, bits=4)
    return out.getvalue()

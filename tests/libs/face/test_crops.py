"""Crop geometry: squaring, margin, clamping at borders, padding, resizing."""

from __future__ import annotations

import numpy as np

from dd_face.crops import crop_face, square_region, whole_frame_crop
from dd_face.types import FaceBox


def _box(x1: float, y1: float, x2: float, y2: float) -> FaceBox:
    return FaceBox(x1=x1, y1=y1, x2=x2, y2=y2, confidence=0.99)


def test_square_region_is_centred_and_enlarged_by_margin() -> None:
    # 40x60 box centred at (100, 100): side = 60 * 1.2 = 72.
    assert square_region(_box(80, 70, 120, 130), 0.2, 400, 400) == (64, 64, 136, 136)


def test_square_region_is_shifted_inside_at_the_border() -> None:
    x1, y1, x2, y2 = square_region(_box(0, 0, 50, 50), 0.2, 400, 300)
    assert (x1, y1, x2, y2) == (0, 0, 60, 60)
    x1, y1, x2, y2 = square_region(_box(370, 260, 400, 300), 0.0, 400, 300)
    assert (x2, y2) == (400, 300) and x2 - x1 == 40


def test_crop_keeps_the_face_content() -> None:
    image = np.zeros((200, 300, 3), dtype=np.uint8)
    image[50:100, 100:150] = (255, 0, 0)  # the "face"
    crop = crop_face(image, _box(100, 50, 150, 100), margin=0.0, size=50)
    assert crop.shape == (50, 50, 3) and crop.dtype == np.uint8
    assert (crop[:, :, 0] == 255).all() and (crop[:, :, 1] == 0).all()


def test_crop_larger_than_frame_is_padded_black() -> None:
    image = np.full((100, 100, 3), 200, dtype=np.uint8)
    crop = crop_face(image, _box(0, 0, 100, 100), margin=1.0, size=200)
    assert crop.shape == (200, 200, 3)
    # side 200 centred on the 100x100 frame: a 50-px black band on every side.
    assert (crop[:40] == 0).all() and (crop[-40:] == 0).all()
    assert (crop[:, :40] == 0).all() and (crop[:, -40:] == 0).all()
    assert (crop[60:140, 60:140] == 200).all()


def test_whole_frame_crop_takes_the_centre_square() -> None:
    image = np.zeros((100, 300, 3), dtype=np.uint8)
    image[:, 100:200] = 255
    crop = whole_frame_crop(image, size=64)
    assert crop.shape == (64, 64, 3)
    assert (crop == 255).all()

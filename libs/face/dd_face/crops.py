"""Square face crops for the forgery classifiers.

MesoNet was trained on square, roughly face-centred crops that include some context
around the face; a detector box is tight and not square, so we square it around its
centre, enlarge it by ``margin`` and resize.
"""

from __future__ import annotations

import cv2
import numpy as np

from dd_face.types import FaceBox


def square_region(
    box: FaceBox, margin: float, frame_w: int, frame_h: int
) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) of the square crop in frame pixels; may extend past the frame.

    The side is the box's longer side times (1 + margin), so margin=0.2 adds 10% of the
    side on each edge. When the square fits in the frame but crosses an edge it is shifted
    inside (the face stays whole and no padding is needed); only a square larger than
    the frame itself is left to be padded.
    """
    side = max(1, round(max(box.width, box.height) * (1.0 + margin)))
    cx = (box.x1 + box.x2) / 2.0
    cy = (box.y1 + box.y2) / 2.0
    x1 = round(cx - side / 2.0)
    y1 = round(cy - side / 2.0)
    if side <= frame_w:
        x1 = min(max(x1, 0), frame_w - side)
    if side <= frame_h:
        y1 = min(max(y1, 0), frame_h - side)
    return x1, y1, x1 + side, y1 + side


def _cut_padded(image: np.ndarray, x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    """image[y1:y2, x1:x2] with zeros (black) where the region leaves the frame.

    Black rather than replicated edges: replication paints stripes, a texture MesoNet
    could read as an artefact; flat black carries no mesoscopic detail at all."""
    h, w = image.shape[:2]
    out = np.zeros((y2 - y1, x2 - x1, image.shape[2]), dtype=image.dtype)
    sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if sx2 > sx1 and sy2 > sy1:
        out[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = image[sy1:sy2, sx1:sx2]
    return out


def _resize(crop: np.ndarray, size: int) -> np.ndarray:
    if crop.shape[:2] == (size, size):
        return np.ascontiguousarray(crop)
    # INTER_AREA when shrinking avoids aliasing; when enlarging a small face it falls back
    # to bilinear-like behaviour, which is what we want too.
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def crop_face(image: np.ndarray, box: FaceBox, margin: float = 0.2, size: int = 256) -> np.ndarray:
    """Square ``size``x``size`` crop around ``box`` (see square_region), uint8 RGB."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = square_region(box, margin, w, h)
    return _resize(_cut_padded(image, x1, y1, x2, y2), size)


def whole_frame_crop(image: np.ndarray, size: int = 256) -> np.ndarray:
    """The largest centred square of the frame, resized: what is judged when no face is
    found (MesoNet wants a square input; squashing the whole frame would distort it)."""
    h, w = image.shape[:2]
    side = min(h, w)
    y1 = (h - side) // 2
    x1 = (w - side) // 2
    return _resize(image[y1 : y1 + side, x1 : x1 + side], size)

"""A small JPEG of an uploaded picture, for history lists (blocking: run off the loop).

The upload is untrusted: ``bounded_thumbnail`` decodes it in a dd_mediaguard worker
process (memory, CPU and wall-clock limits), never in the gateway's own process — a
6300x6300 float TIFF of 150 KB costs ~800 MB to decode."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected

THUMBNAIL_SIDE = 256


def make_thumbnail(path: Path, side: int = THUMBNAIL_SIDE) -> bytes | None:
    """JPEG bytes of at most side x side, or None when the picture cannot be read (the
    image service will say why)."""
    try:
        with Image.open(path) as image:
            # JPEG can decode at 1/2, 1/4, 1/8 scale directly: a big photo is never
            # decoded whole just to be shrunk.
            image.draft("RGB", (side, side))
            image.seek(0)
            picture = ImageOps.exif_transpose(image) or image
            picture = picture.convert("RGB")
            picture.thumbnail((side, side))
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=80, optimize=True)
            return out.getvalue()
    except Exception:  # Pillow raises OSError, ValueError, SyntaxError, struct.error, ...
        return None


def bounded_thumbnail(path: Path, limits: MediaLimits) -> bytes | None:
    """``make_thumbnail`` in a bounded worker; a picture over a parse limit gets none."""
    from dd_mediaguard import bounded

    try:
        return bounded(make_thumbnail, path, limits=limits)
    except MediaRejected:
        return None

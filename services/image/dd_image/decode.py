"""Image decoding with hard limits: bytes in, upright RGB uint8 pixels out.

Every failure becomes dd_inference.MediaRejected with a machine-readable type; nothing
else escapes. The pixel limit is checked on the header, before any pixel is decoded, so a
small file that claims 20000x20000 costs nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from dd_inference import MediaRejected

# Pillow format ids we open (Image.open tries only these plugins). MPO is how Pillow
# names multi-picture JPEGs from many cameras; we report it as JPEG.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)
# Background for transparent pixels: what a viewer most often shows behind them.
_BACKGROUND = (255, 255, 255)


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # HxWx3 uint8, EXIF orientation applied
    width: int
    height: int
    format: str  # lower-case Pillow format name: 'jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif'


def _looks_like_accepted(head: bytes) -> bool:
    if any(head.startswith(magic) for magic in _MAGIC):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; alpha is composited over white, not dropped
    (transparent pixels often hold junk colour)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        # 16-bit data is scaled by its nominal range, 32-bit int/float by what it holds.
        scale = 255.0 / 65535.0 if mode.startswith("I;16") or top > 255.0 else 1.0
        if mode == "F" and top <= 1.0:
            scale = 255.0
        grey = np.clip(values * scale, 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2), "RGB")
    if mode in ("P", "PA", "LA", "La"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, _BACKGROUND)
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV, RGBX


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own max_pixels is the limit; Pillow's global one only warns or raises
            # for its (larger) default and is handled below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path, formats=list(ACCEPTED_FORMATS))
    except Image.DecompressionBombError as exc:
        raise MediaRejected(
            "decompression_bomb", f"The image is too large to decode: {exc}", 413
        ) from exc
    except UnidentifiedImageError as exc:
        with path.open("rb") as handle:
            head = handle.read(16)
        if _looks_like_accepted(head):
            raise MediaRejected(
                "corrupt_media", "The image header is damaged and cannot be read.", 422
            ) from exc
        raise MediaRejected(
            "unsupported_media_type",
            "This is not an image format we accept (JPEG, PNG, WebP, BMP, TIFF, GIF).",
            415,
        ) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, struct.error, ...
        raise MediaRejected("corrupt_media", "The image header cannot be read.", 422) from exc


def decode_image(path: Path, max_pixels: int, max_bytes: int) -> DecodedImage:
    """Decode ``path`` (first frame of animations), upright and RGB.

    Raises MediaRejected: empty_media (400), media_too_large (413, bytes),
    decompression_bomb (413, width*height > max_pixels, from the header),
    unsupported_media_type (415), corrupt_media (422, truncated or undecodable)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaRejected("corrupt_media", "The uploaded file cannot be read.", 422) from exc
    if size == 0:
        raise MediaRejected("empty_media", "The file is empty.", 400)
    if size > max_bytes:
        raise MediaRejected(
            "media_too_large", f"The file is {size} bytes; the limit is {max_bytes}.", 413
        )
    # A truncated file must be refused, never half-decoded (a grey lower half would be
    # scored as if it were the picture). Pillow's default; re-asserted in case any code in
    # this process flipped the global.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    image = _open(path)
    try:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise MediaRejected("corrupt_media", "The image has no pixels.", 422)
        if width * height > max_pixels:
            raise MediaRejected(
                "decompression_bomb",
                f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels.",
                413,
            )
        fmt = "jpeg" if image.format == "MPO" else str(image.format or "").lower()
        try:
            image.seek(0)  # first frame of GIF / animated WebP / multi-page TIFF
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = np.ascontiguousarray(np.asarray(_to_rgb(upright), dtype=np.uint8))
        except MediaRejected:
            raise
        except MemoryError as exc:
            raise MediaRejected(
                "decompression_bomb", "The image needs too much memory to decode.", 413
            ) from exc
        except Exception as exc:  # truncated data, bad Huffman codes, broken chunks, ...
            raise MediaRejected(
                "corrupt_media", f"The image data is damaged or truncated ({exc}).", 422
            ) from exc
    finally:
        image.close()
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise MediaRejected("corrupt_media", "The image could not be converted to RGB.", 422)
    return DecodedImage(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format=fmt)

"""Image decoding with hard limits: bytes in, upright RGB uint8 pixels out.

Every failure becomes dd_inference.MediaRejected with a machine-readable type; nothing
else escapes. Two layers of defence, both from dd_mediaguard:

1. ``preflight`` walks the file's structure in pure Python before Pillow sees it: chunk and
   segment counts (a PNG of a million empty chunks), and pixels weighed by their sample
   format (a small float TIFF that decodes to hundreds of MB).
2. Pillow then runs in a bounded worker process (memory, CPU and wall-clock limits from
   ``dd_contracts.limits.MediaLimits``); a decoder that goes over is killed and replaced,
   and the request is refused with ``parse_limit_exceeded``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import bounded, default_pool, preflight, reason

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
        # float32 and in place: one working copy (4 bytes a pixel), not three float64 ones.
        values = np.asarray(image).astype(np.float32)
        top = float(values.max()) if values.size else 0.0
        # 16-bit data is scaled by its nominal range, 32-bit int/float by what it holds.
        scale = 255.0 / 65535.0 if mode.startswith("I;16") or top > 255.0 else 1.0
        if mode == "F" and top <= 1.0:
            scale = 255.0
        np.multiply(values, scale, out=values)
        np.nan_to_num(values, copy=False, nan=0.0)
        np.clip(values, 0, 255, out=values)
        grey = values.astype(np.uint8)
        del values
        rgb = np.empty((*grey.shape, 3), dtype=np.uint8)
        rgb[...] = grey[:, :, None]
        return Image.fromarray(rgb, "RGB")
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
            "decompression_bomb", f"The image is too large to decode: {reason(exc)}", 413
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


def media_limits(max_pixels: int, max_bytes: int) -> MediaLimits:
    """The shared limits table (``DD_LIMIT_*``) with this service's own pixel and byte
    limits on top."""
    return MediaLimits.from_env().model_copy(
        update={"max_image_pixels": max_pixels, "max_image_bytes": max_bytes}
    )


def decode_image(path: Path, max_pixels: int, max_bytes: int) -> DecodedImage:
    """Decode ``path`` (first frame of animations), upright and RGB.

    Raises MediaRejected: empty_media (400), payload_too_large (413, bytes),
    decompression_bomb (413, width*height > max_pixels or decoded bytes over the limit,
    from the header), parse_limit_exceeded (422, the decoder went over its memory, CPU or
    time bound), unsupported_media_type (415), corrupt_media (422, truncated or
    undecodable)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaRejected("corrupt_media", "The uploaded file cannot be read.", 422) from exc
    if size == 0:
        raise MediaRejected("empty_media", "The file is empty.", 400)
    if size > max_bytes:
        raise MediaRejected(
            "payload_too_large", f"The file is {size} bytes; the limit is {max_bytes}.", 413
        )
    limits = media_limits(max_pixels, max_bytes)
    preflight(path, "image", limits)
    return bounded(_decode, path, max_pixels, limits=limits)


def _decode(path: Path, max_pixels: int) -> DecodedImage:
    """Pillow's part, run in a bounded worker."""
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
                "corrupt_media", f"The image data is damaged or truncated ({reason(exc)}).", 422
            ) from exc
    finally:
        image.close()
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise MediaRejected("corrupt_media", "The image could not be converted to RGB.", 422)
    return DecodedImage(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], format=fmt)


def warm_workers() -> None:
    """Start the bounded parser workers now (call from the analyzer's warm-up), so the
    first upload does not wait for the worker processes to start (~0.5-1.5 s)."""
    default_pool(("dd_image.decode",)).warm()

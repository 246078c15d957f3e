"""Cheap checks the gateway makes before any service spends time on a file."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from dd_gateway.errors import GatewayError


def check_image_header(path: Path, max_pixels: int) -> tuple[int, int]:
    """Read only the header: refuse decompression bombs before anything decodes them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(str(exc), max_pixels) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise GatewayError(
            "The image header cannot be read; the file is corrupt or truncated.",
            type="corrupt_media",
            status_code=422,
        ) from exc
    if width * height > max_pixels:
        raise _bomb(f"{width}x{height}", max_pixels)
    if width < 1 or height < 1:
        raise GatewayError("The image has no pixels.", type="corrupt_media", status_code=422)
    return width, height


def _bomb(size: str, max_pixels: int) -> GatewayError:
    return GatewayError(
        f"The image is too large to decode safely ({size}); the limit is "
        f"{max_pixels / 1e6:.0f} megapixels.",
        type="decompression_bomb",
        status_code=413,
    )

"""decode_image: accepted formats, orientation, conversions, and every rejection."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_image.decode import decode_image
from dd_inference import MediaRejected

MAX_PIXELS = 40_000_000
MAX_BYTES = 10_000_000


def _decode(path: Path, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES):
    return decode_image(path, max_pixels=max_pixels, max_bytes=max_bytes)


def _rejected(path: Path, **limits: int) -> MediaRejected:
    with pytest.raises(MediaRejected) as info:
        _decode(path, **limits)
    return info.value


def _pattern(w: int = 64, h: int = 48) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) % 256], axis=2).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("BMP", "bmp"), ("TIFF", "tif")],
)
def test_accepted_formats(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = tmp_path / f"img.{suffix}"
    _pattern().save(path, fmt)
    decoded = _decode(path)
    assert decoded.format == fmt.lower()
    assert (decoded.width, decoded.height) == (64, 48)
    assert decoded.rgb.shape == (48, 64, 3) and decoded.rgb.dtype == np.uint8


def test_gif_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = _decode(path)
    assert decoded.format == "gif"
    assert tuple(decoded.rgb[16, 16]) == (255, 0, 0)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = _pattern(80, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    image.save(path, "JPEG", exif=exif.tobytes())
    decoded = _decode(path)
    assert decoded.rgb.shape == (80, 40, 3)
    assert (decoded.width, decoded.height) == (40, 80)


def test_modes_become_rgb(tmp_path: Path) -> None:
    cases = {
        "rgba.png": Image.new("RGBA", (8, 8), (255, 0, 0, 0)),  # fully transparent
        "palette.png": _pattern(8, 8).convert("P"),
        "grey16.png": Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)),
        "cmyk.jpg": Image.new("CMYK", (8, 8), (0, 0, 0, 0)),
        "bilevel.png": Image.new("1", (8, 8), 1),
    }
    for name, image in cases.items():
        path = tmp_path / name
        image.save(path)
        decoded = _decode(path)
        assert decoded.rgb.shape == (8, 8, 3) and decoded.rgb.dtype == np.uint8, name
    assert (_decode(tmp_path / "rgba.png").rgb == 255).all()  # composited over white
    assert (_decode(tmp_path / "grey16.png").rgb == 255).all()  # 16-bit white stays white


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    error = _rejected(path)
    assert (error.type, error.status_code) == ("empty_media", 400)


def test_text_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 20)
    error = _rejected(path)
    assert (error.type, error.status_code) == ("unsupported_media_type", 415)


def test_truncated_jpeg_is_rejected(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    _pattern(256, 256).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    error = _rejected(path)
    assert (error.type, error.status_code) == ("corrupt_media", 422)


def test_damaged_png_header_is_corrupt_not_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert _rejected(path).type == "corrupt_media"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height but which holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_pixel_bomb_is_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(20000, 20000))
    started = time.perf_counter()
    error = _rejected(path)
    assert (error.type, error.status_code) == ("decompression_bomb", 413)
    assert time.perf_counter() - started < 0.5  # refused before any pixel is decoded


def test_pixel_limit_below_pillows_own(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(_png_header_only(3000, 3000))  # 9 Mpx: Pillow itself would accept it
    error = _rejected(path, max_pixels=4_000_000)
    assert error.type == "decompression_bomb" and "3000x3000" in error.detail


def test_too_many_bytes(tmp_path: Path) -> None:
    path = tmp_path / "img.png"
    _pattern().save(path, "PNG")
    error = _rejected(path, max_bytes=100)
    assert (error.type, error.status_code) == ("payload_too_large", 413)

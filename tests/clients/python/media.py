"""Small media files the gateway accepts (sniffed by bytes), each with distinct content."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from tests.media import jpeg_bytes


def write_wav(path: Path, seed: int, seconds: float = 0.5, rate: int = 16000) -> None:
    """A valid 16-bit mono WAV: a quiet tone whose pitch depends on the seed."""
    count = int(seconds * rate)
    pitch = 220.0 + 10.0 * seed
    samples = (int(3000 * math.sin(2 * math.pi * pitch * i / rate)) for i in range(count))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{count}h", *samples))


def write_folder(folder: Path, count: int, bad: int = 0) -> list[Path]:
    """`count` good files (JPEGs and WAVs, some in a subfolder) and `bad` files that are
    not media at all (refused by the gateway: unsupported_media_type)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sub").mkdir(exist_ok=True)
    paths = []
    for index in range(count):
        if index % 2:
            path = folder / "sub" / f"voice_{index}.wav"
            write_wav(path, index)
        else:
            path = folder / f"photo_{index}.jpg"
            path.write_bytes(jpeg_bytes() + bytes([index]) * 8)
        paths.append(path)
    for index in range(bad):
        path = folder / f"broken_{index}.jpg"
        path.write_bytes(b"this is not a picture, just text " * 4 + bytes([index]))
        paths.append(path)
    (folder / "notes.txt").write_text("not a media file: batch leaves it out")
    (folder / ".hidden.jpg").write_bytes(jpeg_bytes())
    return paths

"""``preflight``: cheap structural checks before any heavy parser touches a file.

Pure Python over bounded byte ranges (mmap slices of headers; payloads are jumped over),
so it is safe to run on untrusted bytes anywhere, and its cost is bounded by the element
budgets in MediaLimits, not by what the file declares.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_mediaguard.errors import rejected
from dd_mediaguard.facts import Facts
from dd_mediaguard.formats import audio, images, matroska, mp4
from dd_mediaguard.reader import Reader

Walker = Callable[[Reader, MediaLimits, Facts], None]


def _walker(head: bytes) -> Walker | None:
    if head.startswith(images.PNG_SIGNATURE):
        return images.png
    if head[:3] == b"\xff\xd8\xff":
        return images.jpeg
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return images.tiff
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return images.gif
    if head[:2] == b"BM":
        return images.bmp
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return images.webp
    if head[:4] in (b"RIFF", b"RF64"):
        return audio.riff
    if head[:4] == b"fLaC":
        return audio.flac
    if head[:3] == b"ID3":
        return audio.id3
    if matroska.looks_like_matroska(head):
        return matroska.walk
    if mp4.looks_like_mp4(head):
        return mp4.walk
    return None


def preflight(
    path: str | Path, kind_hint: str | None = None, limits: MediaLimits | None = None
) -> Facts:
    """Check ``path`` before parsing it; returns what its structure declares.

    ``kind_hint`` ('image', 'audio', 'video') selects the byte limit when the format
    alone does not say. Raises dd_inference.MediaRejected with a catalogue type:
    empty_media, payload_too_large, decompression_bomb, too_many_frames,
    parse_limit_exceeded, corrupt_media. A format it does not know passes with
    ``Facts.kind = None``: the (bounded) parser decides.
    """
    limits = limits or MediaLimits.from_env()
    with Reader(Path(path)) as reader:
        facts = Facts(size=reader.size)
        if reader.size == 0:
            raise rejected(ErrorType.empty_media, "The file is empty.")
        walker = _walker(reader.read(0, 32))
        if walker is not None:
            walker(reader, limits, facts)
        # The kind the bytes show wins over the hint: the audio service reads the sound
        # track of videos, which may be larger than any audio file.
        kind = facts.kind or kind_hint
        if kind is not None and reader.size > limits.max_bytes(kind):
            raise _too_large(reader.size, limits.max_bytes(kind))
    return facts


def _too_large(size: int, limit: int) -> Exception:
    return rejected(ErrorType.payload_too_large, f"The file is {size} bytes; the limit is {limit}.")

"""Audio containers where a header walk is cheap: RIFF/WAV chunks and FLAC metadata
blocks (bounded counts), and an ID3 tag that must fit in the file."""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_mediaguard.errors import rejected
from dd_mediaguard.facts import Facts
from dd_mediaguard.reader import Reader


def riff(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    form = r.read(8, 4)
    if form == b"AVI ":
        facts.kind, facts.container = "video", "avi"
        return
    if form == b"WEBP":
        return
    facts.kind, facts.container = "audio", "wav"
    offset = 12
    while offset + 8 <= r.size:
        kind, length = r.unpack("<4sI", offset) or (b"", 0)
        facts.elements += 1
        if facts.elements > limits.max_image_chunks:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"The WAV file has more than {limits.max_image_chunks} chunks.",
            )
        if kind == b"fmt ":
            fields = r.unpack("<HHI", offset + 8)
            if fields is None or fields[1] == 0 or fields[2] == 0:
                raise rejected(ErrorType.corrupt_media, "The WAV format header is damaged.")
        if kind == b"data":
            facts.truncated = offset + 8 + length > r.size
            return  # the samples run to the end; nothing after them matters
        offset += 8 + length + (length & 1)


def flac(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.kind, facts.container = "audio", "flac"
    offset = 4
    while offset + 4 <= r.size:
        header = r.unpack(">I", offset)
        if header is None:
            break
        last, length = header[0] >> 31, header[0] & 0xFFFFFF
        facts.elements += 1
        if facts.elements > limits.max_image_chunks:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"The FLAC file has more than {limits.max_image_chunks} metadata blocks.",
            )
        offset += 4 + length
        if last:
            return
    facts.truncated = True


def id3(r: Reader, limits: MediaLimits, facts: Facts) -> None:
    facts.kind, facts.container = "audio", "mp3"
    raw = r.read(6, 4)
    if len(raw) < 4 or any(b & 0x80 for b in raw):
        raise rejected(ErrorType.corrupt_media, "The ID3 tag header is damaged.")
    size = (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]
    if 10 + size >= r.size:
        raise rejected(ErrorType.corrupt_media, "The ID3 tag runs past the end of the file.")

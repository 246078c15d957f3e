"""The one file-signature (magic number) table: what a file is, from its first bytes.

Used by the gateway's sniffing and by the services' own checks. Containers that can hold
either sound or pictures (MP4/MOV, Matroska/WebM, Ogg, AVI) are `ambiguous`: their kind
depends on the streams inside, which only a demuxer can say.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 64


@dataclass(frozen=True)
class Signature:
    kind: str  # image | audio | video (for ambiguous containers: the likely kind)
    mime: str
    format: str
    ambiguous: bool = False


def identify(head: bytes) -> Signature | None:
    """The signature of a file from its first bytes (at least HEAD_BYTES), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return Signature("image", "image/jpeg", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Signature("image", "image/png", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Signature("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Signature("image", "image/webp", "webp")
    if head[:2] == b"BM" and len(head) >= 26:
        return Signature("image", "image/bmp", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Signature("image", "image/tiff", "tiff")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Signature("audio", "audio/wav", "wav")
    if head[:4] == b"fLaC":
        return Signature("audio", "audio/flac", "flac")
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        # ID3 tag, or an MPEG audio frame sync with layer III/II bits.
        return Signature("audio", "audio/mpeg", "mp3")
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return Signature("audio", "audio/aac", "aac")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return Signature("audio", "audio/mp4", "m4a")
        return Signature("video", "video/mp4", "mov" if brand == b"qt  " else "mp4", True)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        mime = "video/webm" if b"webm" in head[:64] else "video/x-matroska"
        return Signature("video", mime, "matroska", True)
    if head[:4] == b"OggS":
        return Signature("audio", "audio/ogg", "ogg", True)
    if head[:4] == b"RIFF" and head[8:11] == b"AVI":
        return Signature("video", "video/x-msvideo", "avi", True)
    return None


# When an ambiguous container turns out to hold only sound.
AUDIO_MIME_OF_CONTAINER = {"mp4": "audio/mp4", "mov": "audio/mp4", "matroska": "audio/webm"}

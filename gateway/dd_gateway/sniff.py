"""What a file is, from its bytes (never from its name).

Magic numbers decide the container; for containers that can carry either sound or
pictures (MP4/MOV, Matroska/WebM, Ogg, AVI) the streams are probed with PyAV: an MP4
holding only AAC is audio, one with an H.264 stream is video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dd_contracts import MediaKind
from dd_gateway.errors import GatewayError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sniffed:
    kind: MediaKind
    mime: str
    format: str


_AV_CONTAINERS = {"mp4", "mov", "matroska", "ogg", "avi"}


def _magic(head: bytes) -> Sniffed | tuple[str, str] | None:
    image = MediaKind.image
    audio = MediaKind.audio
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(image, "image/jpeg", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(image, "image/png", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(image, "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(image, "image/webp", "webp")
    if head[:2] == b"BM" and len(head) >= 26:
        return Sniffed(image, "image/bmp", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed(image, "image/tiff", "tiff")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed(audio, "audio/wav", "wav")
    if head[:4] == b"fLaC":
        return Sniffed(audio, "audio/flac", "flac")
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        # ID3 tag, or an MPEG audio frame sync with layer III/II bits.
        return Sniffed(audio, "audio/mpeg", "mp3")
    if head[:2] == b"\xff\xf1" or head[:2] == b"\xff\xf9":
        return Sniffed(audio, "audio/aac", "aac")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return Sniffed(audio, "audio/mp4", "m4a")
        return ("mov" if brand == b"qt  " else "mp4", "video/mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ("matroska", "video/webm" if b"webm" in head[:64] else "video/x-matroska")
    if head[:4] == b"OggS":
        return ("ogg", "audio/ogg")
    if head[:4] == b"RIFF" and head[8:11] == b"AVI":
        return ("avi", "video/x-msvideo")
    return None


def _probe_streams(path: Path) -> tuple[bool, bool]:
    """(has_video, has_audio) from the container's stream table."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            # Cover art in an audio file is an attached picture, not video.
            has_video = any(
                s.type == "video" and not (s.disposition & av.stream.Disposition.attached_pic)
                for s in container.streams
            )
            has_audio = any(s.type == "audio" for s in container.streams)
            return has_video, has_audio
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise GatewayError(
            "The file looks like a media container but cannot be read; it may be truncated "
            "or corrupt.",
            type="corrupt_media",
            status_code=422,
        ) from exc


def sniff(path: Path, head: bytes) -> Sniffed:
    found = _magic(head)
    if found is None:
        raise GatewayError(
            "The file is not an image, audio or video format we accept (JPEG, PNG, WebP, BMP, "
            "TIFF, GIF, WAV, FLAC, MP3, OGG, M4A, MP4, MOV, WebM, MKV, AVI).",
            type="unsupported_media_type",
            status_code=415,
        )
    if isinstance(found, Sniffed):
        return found
    container, mime = found
    has_video, has_audio = _probe_streams(path)
    if has_video:
        video_mime = mime if mime.startswith("video/") else "video/ogg"
        return Sniffed(MediaKind.video, video_mime, container)
    if has_audio:
        audio_mime = {"mp4": "audio/mp4", "mov": "audio/mp4", "matroska": "audio/webm"}
        return Sniffed(MediaKind.audio, audio_mime.get(container, mime), container)
    raise GatewayError(
        "The container holds neither a video nor an audio stream.",
        type="no_media_streams",
        status_code=422,
    )

"""What a file is, from its bytes (never from its name), and the facts that travel with
the job: kind, sound track, duration, picture size.

The signature table (dd_contracts.signatures) decides the container; for containers that
can carry either sound or pictures (MP4/MOV, Matroska/WebM, Ogg, AVI) the streams are
probed with PyAV: an MP4 holding only AAC is audio, one with an H.264 stream is video.
Blocking work (PyAV, Pillow): callers run it off the event loop. Given the limits table,
the PyAV probe runs in a bounded worker process (dd_mediaguard.bounded: address-space,
CPU and wall-clock limits; the worker is replaced if it trips one), so a container that
makes FFmpeg build a huge index costs the gateway nothing.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from dd_contracts import MediaKind
from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_contracts.signatures import AUDIO_MIME_OF_CONTAINER, identify
from dd_gateway.core.errors import GatewayError
from dd_inference import MediaRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sniffed:
    kind: MediaKind
    mime: str
    format: str
    has_audio: bool | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class _Streams:
    has_video: bool
    has_audio: bool
    duration_s: float | None
    width: int | None
    height: int | None


def _probe(path: Path) -> _Streams:
    """The container's stream table (no frame is decoded)."""
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        # Cover art in an audio file is an attached picture, not video.
        videos = [
            s
            for s in container.streams
            if s.type == "video" and not (s.disposition & av.stream.Disposition.attached_pic)
        ]
        has_audio = any(s.type == "audio" for s in container.streams)
        duration = container.duration / 1_000_000 if container.duration else None
        context = videos[0].codec_context if videos else None
        width = getattr(context, "width", None)
        height = getattr(context, "height", None)
        return _Streams(bool(videos), has_audio, duration, width or None, height or None)


def _streams(path: Path, limits: MediaLimits | None) -> _Streams:
    if limits is None:
        return _probe(path)
    from dd_mediaguard import bounded

    try:
        return bounded(_probe, path, limits=limits)
    except MediaRejected as exc:  # over a parse limit: the worker was replaced
        raise GatewayError(exc.detail, type=exc.type, status_code=exc.status_code) from exc


def _corrupt() -> GatewayError:
    return GatewayError.of(
        ErrorType.corrupt_media,
        "The file looks like a media container but cannot be read; it may be truncated or corrupt.",
    )


def image_size(path: Path) -> tuple[int, int]:
    """Width and height from the header only (nothing is decoded)."""
    try:
        with warnings.catch_warnings():
            # Our own limit applies (see limits.py); Pillow's is only a warning here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise GatewayError.of(
            ErrorType.decompression_bomb,
            "The image declares more pixels than this server decodes.",
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise GatewayError.of(
            ErrorType.corrupt_media,
            "The image header cannot be read; the file is corrupt or truncated.",
        ) from exc
    if width < 1 or height < 1:
        raise GatewayError.of(ErrorType.corrupt_media, "The image has no pixels.")
    return width, height


def sniff(path: Path, head: bytes, limits: MediaLimits | None = None) -> Sniffed:
    found = identify(head)
    if found is None:
        raise GatewayError.of(
            ErrorType.unsupported_media_type,
            "The file is not an image, audio or video format we accept (JPEG, PNG, WebP, "
            "BMP, TIFF, GIF, WAV, FLAC, MP3, OGG, M4A, MP4, MOV, WebM, MKV, AVI).",
        )
    if found.kind == "image":
        return Sniffed(MediaKind.image, found.mime, found.format)
    if not found.ambiguous:
        sniffed = Sniffed(MediaKind(found.kind), found.mime, found.format, has_audio=True)
        return _with_duration(sniffed, path, limits)
    try:
        streams = _streams(path, limits)
    except GatewayError:
        raise
    except Exception as exc:  # PyAV raises FFmpegError, OSError, ValueError, ...
        raise _corrupt() from exc
    if streams.has_video:
        mime = found.mime if found.mime.startswith("video/") else "video/ogg"
        return Sniffed(
            MediaKind.video,
            mime,
            found.format,
            has_audio=streams.has_audio,
            duration_s=streams.duration_s,
            width=streams.width,
            height=streams.height,
        )
    if streams.has_audio:
        mime = AUDIO_MIME_OF_CONTAINER.get(found.format, found.mime)
        return Sniffed(
            MediaKind.audio, mime, found.format, has_audio=True, duration_s=streams.duration_s
        )
    raise GatewayError.of(
        ErrorType.no_media_streams, "The container holds neither a video nor an audio stream."
    )


def _with_duration(sniffed: Sniffed, path: Path, limits: MediaLimits | None) -> Sniffed:
    """Plain audio (WAV, FLAC, MP3): its duration when the demuxer can say it cheaply;
    a file it cannot open is left for the audio service to judge and explain."""
    try:
        streams = _streams(path, limits)
    except GatewayError:
        raise
    except Exception:  # PyAV raises FFmpegError, OSError, ValueError, ...
        return sniffed
    return replace(sniffed, duration_s=streams.duration_s)


def inspect(path: Path, head: bytes, limits: MediaLimits | None = None) -> Sniffed:
    """sniff, plus an image's size from its header (a picture that cannot say its size
    is refused here, before any service decodes it)."""
    sniffed = sniff(path, head, limits)
    if sniffed.kind is MediaKind.image:
        width, height = image_size(path)
        return replace(sniffed, width=width, height=height)
    return sniffed

"""Container and stream metadata for audio and video, via PyAV (FFmpeg's demuxers).

Only the header is read (no packet is decoded), in a worker thread under a timeout.
Location tags are reduced to 'present' (coordinates are never copied).
"""

from __future__ import annotations

from pathlib import Path

import av

from dd_contracts.provenance import ContainerMetadata, SectionState, StreamMetadata
from dd_provenance.budget import run_bounded
from dd_provenance.errors import Unreadable

_MAX_VALUE = 200
_MAX_STREAMS = 16
_DEVICE_KEYS = (
    "make",
    "model",
    "software",
    "com.android.manufacturer",
    "com.android.model",
    "com.android.version",
)
_LOCATION_KEYS = ("location", "iso6709", "gps")


def _clean(tags: dict[str, str], limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in list(tags.items())[:limit]:
        lowered = str(key).lower()
        if any(word in lowered for word in _LOCATION_KEYS):
            out[str(key)[:_MAX_VALUE]] = "present (not copied)"
        else:
            out[str(key)[:_MAX_VALUE]] = str(value)[:_MAX_VALUE]
    return out


def _device(tags: dict[str, str]) -> dict[str, str]:
    device: dict[str, str] = {}
    for key, value in tags.items():
        lowered = key.lower()
        short = lowered.rsplit(".", 1)[-1]
        if lowered.startswith("com.apple.quicktime.") and short in ("make", "model", "software"):
            device[short] = value
        elif lowered in _DEVICE_KEYS:
            device[short.replace("manufacturer", "make")] = value
        elif any(word in lowered for word in _LOCATION_KEYS):
            device["location"] = "present (not copied)"
    return device


def read_container(path: Path, *, max_tags: int, timeout_s: float) -> ContainerMetadata:
    def load() -> ContainerMetadata:
        with av.open(str(path), metadata_errors="replace") as container:
            tags = _clean(dict(container.metadata), max_tags)
            streams: list[StreamMetadata] = []
            for stream in list(container.streams)[:_MAX_STREAMS]:
                stream_tags = _clean(dict(stream.metadata), max_tags)
                codec = (
                    getattr(stream.codec_context, "name", None) if stream.codec_context else None
                )
                streams.append(
                    StreamMetadata(
                        index=stream.index,
                        kind=str(stream.type),
                        codec=codec,
                        handler_name=stream_tags.get("handler_name"),
                        encoder=stream_tags.get("encoder"),
                        tags=stream_tags,
                    )
                )
            device = _device(tags)
            for stream_meta in streams:
                for key, value in _device(stream_meta.tags).items():
                    device.setdefault(key, value)
            creation = tags.get("creation_time") or next(
                (s.tags["creation_time"] for s in streams if "creation_time" in s.tags), None
            )
            return ContainerMetadata(
                state=SectionState.ok if (tags or streams) else SectionState.absent,
                format=str(container.format.name)[:_MAX_VALUE],
                encoder=tags.get("encoder"),
                creation_time=creation,
                device=device,
                tags=tags,
                streams=streams,
            )

    try:
        return run_bounded(load, timeout_s, "container metadata")
    except Unreadable as exc:
        return ContainerMetadata(state=SectionState.unreadable, reason=str(exc))
    except (av.FFmpegError, OSError, ValueError, UnicodeError) as exc:
        return ContainerMetadata(
            state=SectionState.unreadable, reason=f"{type(exc).__name__}: {exc}"[:300]
        )

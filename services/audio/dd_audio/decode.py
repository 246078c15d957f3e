"""Decode any common audio file, or the sound track of a video, to mono float32 at 16 kHz.

PyAV (bundled FFmpeg libraries) does the work, so the service needs no system ffmpeg.
Decoding is streamed packet by packet through ``av.AudioResampler``: the compressed file
is never read into memory, and only the 16 kHz output is kept.

Limits are enforced twice: from the container's metadata before decoding (cheap, catches
honest long files at once) and on the running sample count while decoding (a header that
lies cannot make us allocate hours of audio).

Policy for broken input, decided here once:
- 0 bytes -> ``empty_media`` (400).
- Not audio or video at all (text, images, archives) -> ``unsupported_media_type`` (415).
- A media signature FFmpeg cannot parse, or a stream yielding no samples -> ``corrupt_media``
  (422). This covers a WAV header that claims hours but holds no data: for PCM the claimed
  length is capped by what the file size can hold (so it is not mistaken for an over-long
  file), decoding finds nothing, and the answer is 422 "holds no audio data" within
  milliseconds. An all-zero recording is different: it decodes, and the analyzer reports
  it as ``no_signal`` (silence), not as an error.
- A stream that breaks after at least ``MIN_TRUNCATED_S`` of audio is kept (``truncated``),
  because a cut-off recording can still be judged; the analyzer flags it.
- A video container with no audio stream -> ``NoAudioStream`` (not an error).

Untrusted input is handled with dd_mediaguard: ``preflight`` checks the container's
structure first (an MP4 whose sample tables declare 10 M samples in 1.5 KB is refused
before FFmpeg builds an index for them), then PyAV runs in a bounded worker process
(memory, CPU and wall-clock limits from ``dd_contracts.limits.MediaLimits``); a decode
that goes over is refused with ``parse_limit_exceeded`` and its worker is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import bounded, default_pool, preflight, reason

TARGET_RATE = 16_000
MIN_TRUNCATED_S = 1.0

# Formats FFmpeg can open that are not audio or video: still images and text "video".
_NON_MEDIA_FORMATS = ("image2", "tty", "_pipe", "gif", "webp", "apng", "srt", "ass", "webvtt")

# File signatures of the containers we accept, to tell "corrupt" (422) from "not media" (415).
_MEDIA_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"RIFF"),  # WAV, AVI
    (0, b"RF64"),
    (0, b"fLaC"),
    (0, b"ID3"),
    (0, b"OggS"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (4, b"ftyp"),  # MP4, MOV, M4A
    (4, b"moov"),
    (4, b"mdat"),
    (0, b"FORM"),  # AIFF
    (0, b"#!AMR"),
    (0, b"\x30\x26\xb2\x75"),  # ASF / WMA
)


@dataclass(frozen=True)
class DecodeLimits:
    max_bytes: int = 200 * 1024 * 1024
    max_duration_s: float = 600.0


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32, mono, TARGET_RATE
    sample_rate: int
    container: str
    codec: str
    source_rate: int
    source_channels: int
    truncated: bool = False

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class NoAudioStream:
    """A valid video container without a sound track: nothing to judge, not an error."""

    container: str
    reason: str = "no sound track"


def _looks_like_media(head: bytes) -> bool:
    if any(head[off : off + len(sig)] == sig for off, sig in _MEDIA_SIGNATURES):
        return True
    # MPEG audio frame sync (MP3 / ADTS AAC without a tag): 11 set bits.
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0


def _reject_unopenable(path: Path, exc: Exception) -> MediaRejected:
    with path.open("rb") as handle:
        head = handle.read(16)
    if _looks_like_media(head):
        return MediaRejected(
            "corrupt_media", f"the media file cannot be parsed ({reason(exc)})", 422
        )
    return MediaRejected(
        "unsupported_media_type", "the file is not an audio or video file we can read", 415
    )


def _claimed_duration_s(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    """The duration the metadata claims, capped for PCM by what the file size can hold."""
    claimed = 0.0
    if stream.duration is not None and stream.time_base is not None:
        claimed = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        claimed = container.duration / av.time_base
    codec = stream.codec_context
    if codec.name.startswith("pcm_") and codec.bit_rate:
        claimed = min(claimed, container.size * 8 / codec.bit_rate)
    return claimed


def media_limits(limits: DecodeLimits) -> MediaLimits:
    """The shared limits table (``DD_LIMIT_*``) with this service's own limits on top."""
    return MediaLimits.from_env().model_copy(
        update={"max_audio_bytes": limits.max_bytes, "max_duration_s": limits.max_duration_s}
    )


def decode_audio(path: Path, limits: DecodeLimits | None = None) -> DecodedAudio | NoAudioStream:
    """Decode ``path`` (detected by content, never by name) to 16 kHz mono float32."""
    limits = limits or DecodeLimits()
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("empty_media", "the file is empty", 400)
    if size > limits.max_bytes:
        raise MediaRejected(
            "payload_too_large", f"the file is {size} bytes; the limit is {limits.max_bytes}", 413
        )
    media = media_limits(limits)
    # The audio service also reads the sound track of videos: the video byte limit
    # applies to those (the service's own max_bytes was checked above).
    preflight(path, None, media)
    return bounded(_decode, path, limits, limits=media)


def _decode(path: Path, limits: DecodeLimits) -> DecodedAudio | NoAudioStream:
    """PyAV's part, run in a bounded worker."""
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise _reject_unopenable(path, exc) from exc
    with container:
        fmt = container.format.name
        if any(tag in fmt for tag in _NON_MEDIA_FORMATS):
            raise MediaRejected(
                "unsupported_media_type", "the file is not an audio or video file", 415
            )
        if not container.streams.audio:
            if container.streams.video:
                return NoAudioStream(container=fmt)
            raise MediaRejected(
                "unsupported_media_type", "the file holds no audio or video stream", 415
            )
        stream = container.streams.audio[0]
        claimed = _claimed_duration_s(container, stream)
        if claimed > limits.max_duration_s:
            raise MediaRejected(
                "duration_too_long",
                f"the audio lasts {claimed:.0f} s; the limit is {limits.max_duration_s:.0f} s",
                413,
            )
        samples, truncated = _decode_stream(container, stream, limits, path)
        return DecodedAudio(
            samples=samples,
            sample_rate=TARGET_RATE,
            container=fmt,
            codec=stream.codec_context.name,
            source_rate=stream.codec_context.sample_rate or 0,
            source_channels=stream.codec_context.channels or 0,
            truncated=truncated,
        )


def _decode_stream(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    limits: DecodeLimits,
    path: Path,
) -> tuple[np.ndarray, bool]:
    # One extra second of slack: resampler delay and container rounding are not lies.
    max_samples = int((limits.max_duration_s + 1.0) * TARGET_RATE)
    # Keep the source layout and average the channels ourselves: swresample's downmix
    # applies -3 dB per channel, which would make a stereo file quieter than its mono twin.
    resampler = av.AudioResampler(format="fltp", layout=None, rate=TARGET_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    truncated = False

    def keep(frames: list[av.AudioFrame]) -> None:
        nonlocal total
        for out in frames:
            planes = out.to_ndarray()  # (channels, n) for a planar format
            chunk = planes.mean(axis=0) if planes.shape[0] > 1 else planes[0]
            total += len(chunk)
            if total > max_samples:
                raise MediaRejected(
                    "duration_too_long",
                    f"the audio runs past the {limits.max_duration_s:.0f} s limit",
                    413,
                )
            chunks.append(chunk.astype(np.float32, copy=False))

    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                keep(resampler.resample(frame))
        keep(resampler.resample(None))
    except av.error.FFmpegError as exc:
        if total < MIN_TRUNCATED_S * TARGET_RATE:
            raise MediaRejected(
                "corrupt_media", f"the audio stream cannot be decoded ({reason(exc)})", 422
            ) from exc
        truncated = True
    if total == 0:
        raise MediaRejected("corrupt_media", "the file holds no audio data", 422)
    samples = np.concatenate(chunks)  # a copy: frame buffers are not ours to keep
    # Clip decoder overshoot (lossy codecs can exceed full scale slightly).
    return np.clip(samples, -1.0, 1.0, out=samples), truncated


def warm_workers() -> None:
    """Start the bounded parser workers now (call from the analyzer's warm-up), so the
    first upload does not wait for the worker processes to start (~0.5-1.5 s)."""
    default_pool(("dd_audio.decode",)).warm()

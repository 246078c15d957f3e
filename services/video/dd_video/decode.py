"""Open a video with PyAV, check it against the limits, and decode only the sampled frames.

Two passes over the file:

1. ``probe_video`` demuxes every packet of the video stream without decoding it (about
   1 ms per 25 packets): the real frame times come from packet pts, never from the
   container's duration field, so a container that lies about its length is caught by
   ``max_duration_s`` before a single frame is decoded, and variable frame rate is
   sampled by time.
2. ``iter_samples`` feeds the decoder only the packet ranges the chosen frames depend on
   (keyframe → chosen frame), lets it skip non-reference frames that were not chosen, and
   converts only the chosen frames to RGB; when keyframes alone cover the sampling grid it
   decodes keyframes only (see sampling.keyframes_suffice). Each range starts at a
   keyframe and is decoded from a flushed decoder, so the ranges are shared out among
   ``lanes`` decoders that run side by side in the worker (threads: FFmpeg releases the
   GIL), and their frames are handed back in range order (lanes.py): the same frames, in
   the same order, as one decoder would give, in about half the wall time on two cores
   with x264's 10 s GOP. Each lane decodes with ``threads // lanes`` FFmpeg threads.

A file with no video stream is rejected here ('no_video_stream', 422): the video service
never judges a sound track, and the caller routes audio-only media to the audio service.

Untrusted input is handled with dd_mediaguard: ``preflight`` checks the container's
structure before FFmpeg opens it (MP4 sample tables against the file size, Matroska
block counts and packet rate), and both passes run in a bounded worker process (memory,
CPU, wall clock; ``dd_contracts.limits.MediaLimits``). The demux pass also caps packets:
more than ``max_packets`` in all, more than ``max_packets_per_second`` over the time they
cover, or video frames faster than ``max_video_fps`` → ``too_many_frames`` (413) as soon
as the count shows it, not after demuxing the whole file.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.stream import Disposition

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import bounded, bounded_iter, default_pool, preflight, reason
from dd_video import sampling
from dd_video.lanes import merge_lanes
from dd_video.sampling import SamplingConfig

log = logging.getLogger(__name__)

# Demuxers that are video containers. Anything else FFmpeg can open (images, raw text via
# the 'tty' demuxer, playlists, audio formats) is not a video for this service.
_VIDEO_FORMATS = frozenset(
    {
        "mov", "mp4", "m4v", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts",
        "mpeg", "flv", "ogg", "asf", "gif", "mxf", "nut", "h264", "hevc", "mpegvideo",
        "m4a",
    }
)  # fmt: skip
# Leading bytes of containers we accept: a file that starts like one of these but does
# not open is damaged (422), not of the wrong type (415).
_VIDEO_MAGIC: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"free"),
    (4, b"wide"),
    (0, b"\x1a\x45\xdf\xa3"),  # EBML: Matroska / WebM
    (0, b"RIFF"),
    (0, b"FLV"),
    (0, b"OggS"),
    (0, b"\x00\x00\x01\xba"),  # MPEG-PS
    (0, b"\x30\x26\xb2\x75"),  # ASF
    (0, b"GIF8"),
)


# Decoded frames the lanes of one file may hold, waiting for their turn, together.
LANE_BUFFER_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class DecodeLimits:
    """What the service accepts. The pixel default admits 1440p and refuses 4K UHD
    (8.3 MP): a face detector gains nothing from 4K and one 4K RGB frame is 25 MB."""

    max_bytes: int = 512 * 1024 * 1024
    max_duration_s: float = 600.0
    max_pixels: int = 2560 * 1600
    min_side: int = 32


@dataclass(frozen=True)
class VideoProbe:
    """What the demux pass learned. Times are seconds from the first frame."""

    path: Path
    format_name: str
    codec: str
    coded_width: int
    coded_height: int
    duration_s: float
    metadata_duration_s: float | None
    frame_times: list[float] = field(repr=False)
    frame_decode_idx: list[int] = field(repr=False)
    keyframe_decode_idx: list[int] = field(repr=False)
    has_audio: bool = False

    @property
    def frame_count(self) -> int:
        return len(self.frame_times)

    @property
    def fps(self) -> float:
        return self.frame_count / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class SamplePlan:
    """Which frames to convert (decode index → sample time) and how to reach them."""

    decode_idx: list[int]
    times: list[float]
    ranges: list[tuple[int, int]]
    keyframes_only: bool


@dataclass(frozen=True)
class DecodedSample:
    index: int
    t_s: float
    rgb: np.ndarray = field(repr=False)  # upright (rotation applied), H x W x 3 uint8


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[:1] == b"\x47" and len(head) >= 1:  # MPEG-TS sync byte
        return True
    return any(head[off : off + len(magic)] == magic for off, magic in _VIDEO_MAGIC)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_video(path):
            raise MediaRejected(
                "corrupt_media", f"The video container could not be read ({reason(exc)}).", 422
            ) from exc
        raise MediaRejected(
            "unsupported_media_type", "The file is not a video format this service reads.", 415
        ) from exc


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    names = set(container.format.name.split(","))
    if not names & _VIDEO_FORMATS:
        raise MediaRejected(
            "unsupported_media_type",
            f"'{container.format.name}' is not a video container this service reads.",
            415,
        )
    for stream in container.streams.video:
        # Cover art in an audio file is a 'video' stream of one still picture.
        if stream.disposition & Disposition.attached_pic:
            continue
        return stream
    raise MediaRejected("no_video_stream", "The file has no video stream (audio-only media?).", 422)


def _check_size(width: int, height: int, limits: DecodeLimits) -> None:
    if width <= 0 or height <= 0:
        raise MediaRejected("corrupt_media", "The video stream has no frame size.", 422)
    if width * height > limits.max_pixels:
        raise MediaRejected(
            "resolution_too_large",
            f"{width}x{height} is over the limit of {limits.max_pixels} pixels per frame.",
            413,
        )
    if min(width, height) < limits.min_side:
        raise MediaRejected(
            "resolution_too_small",
            f"{width}x{height} is too small to show a face (min side {limits.min_side} px).",
            422,
        )


def _check_index(stream: av.video.stream.VideoStream, size: int) -> None:
    """A container index (MP4 sample table, MKV cues) that points past the end of the file
    means the file was cut short: the demuxer would just stop early, and we would judge a
    fragment without saying so."""
    for entry in stream.index_entries or ():
        if entry.pos + entry.size > size:
            raise MediaRejected("corrupt_media", "The video data is cut off (truncated file).", 422)


def media_limits(limits: DecodeLimits) -> MediaLimits:
    """The shared limits table (``DD_LIMIT_*``) with this service's own limits on top."""
    return MediaLimits.from_env().model_copy(
        update={
            "max_video_bytes": limits.max_bytes,
            "max_duration_s": limits.max_duration_s,
            "max_video_pixels": limits.max_pixels,
        }
    )


class _PacketBudget:
    """Counts every packet the demuxer hands out (all streams: FFmpeg reads them all) and
    refuses a file as soon as its packets come too many or too densely."""

    def __init__(self, container: av.container.InputContainer, media: MediaLimits) -> None:
        self.media = media
        self.time_bases = {s.index: float(s.time_base or 0) for s in container.streams}
        self.packets = 0
        self.frames = 0
        self.first: float | None = None
        self.last = 0.0
        self.first_frame: float | None = None
        self.last_frame = 0.0

    def count(self, packet: av.Packet, is_video: bool) -> None:
        self.packets += 1
        if self.packets > self.media.max_packets:
            raise MediaRejected(
                "too_many_frames",
                f"The file holds more than {self.media.max_packets} packets.",
            )
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is not None:
            t = ts * self.time_bases.get(packet.stream.index, 0.0)
            self.first = t if self.first is None else min(self.first, t)
            self.last = max(self.last, t)
            if is_video:
                self.frames += 1
                self.first_frame = t if self.first_frame is None else min(self.first_frame, t)
                self.last_frame = max(self.last_frame, t)
        # One second of slack: a clip shorter than a second still has its packets.
        span = self.last - self.first if self.first is not None else 0.0
        if self.packets > (span + 1.0) * self.media.max_packets_per_second:
            raise MediaRejected(
                "too_many_frames",
                f"The file packs {self.packets} packets into {span:.2f} s (over "
                f"{self.media.max_packets_per_second:g} packets per second).",
            )
        frame_span = self.last_frame - self.first_frame if self.first_frame is not None else 0.0
        if self.frames > (frame_span + 1.0) * self.media.max_video_fps:
            raise MediaRejected(
                "too_many_frames",
                f"The video shows {self.frames} frames in {frame_span:.2f} s (over "
                f"{self.media.max_video_fps:g} frames per second).",
            )


def probe_video(path: Path, limits: DecodeLimits) -> VideoProbe:
    """Check the file and index its video packets. Raises MediaRejected."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("empty_media", "The file is empty.", 400)
    if size > limits.max_bytes:
        raise MediaRejected(
            "payload_too_large", f"{size} bytes is over the limit of {limits.max_bytes}.", 413
        )
    media = media_limits(limits)
    preflight(path, "video", media)
    return bounded(_probe, path, size, limits, media, limits=media)


def _probe(path: Path, size: int, limits: DecodeLimits, media: MediaLimits) -> VideoProbe:
    """The demux pass, run in a bounded worker."""
    with _open(path) as container:
        stream = _video_stream(container)
        ctx = stream.codec_context
        _check_size(ctx.width, ctx.height, limits)
        budget = _PacketBudget(container, media)
        has_audio = any(s.codec_context is not None for s in container.streams.audio)
        meta_dur = container.duration / av.time_base if container.duration else None
        _check_index(stream, size)
        time_base = stream.time_base or Fraction(1, 90000)
        pts_list: list[int] = []
        key_idx: list[int] = []
        end_pts: list[int] = []
        first_pts: int | None = None
        max_ticks = limits.max_duration_s / float(time_base)
        try:
            for packet in container.demux():
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                is_video = packet.stream.index == stream.index
                budget.count(packet, is_video)
                if not is_video:
                    continue
                pts = packet.pts if packet.pts is not None else packet.dts
                if pts is None:
                    continue
                if packet.pos is not None and packet.pos >= 0 and packet.pos + packet.size > size:
                    raise MediaRejected(
                        "corrupt_media", "The video data is cut off (truncated file).", 422
                    )
                first_pts = pts if first_pts is None else min(first_pts, pts)
                if pts - first_pts > max_ticks:
                    claim = f" although its header says {meta_dur:.1f} s" if meta_dur else ""
                    raise MediaRejected(
                        "duration_too_long",
                        f"The video runs past the limit of {limits.max_duration_s:g} s{claim}.",
                        413,
                    )
                if packet.is_keyframe:
                    key_idx.append(len(pts_list))
                pts_list.append(pts)
                end_pts.append(pts + (packet.duration or 0))
        except av.error.FFmpegError as exc:
            raise MediaRejected(
                "corrupt_media", f"The video could not be read ({reason(exc)})."
            ) from exc
        codec = ctx.name
        fmt = container.format.name
    if not pts_list or first_pts is None:
        raise MediaRejected("corrupt_media", "The video stream holds no frames.", 422)
    if not key_idx:
        key_idx = [0]  # raw streams may not flag keyframes; the decoder copes from the start
    order = sorted(range(len(pts_list)), key=lambda i: pts_list[i])
    times = [float((pts_list[i] - first_pts) * time_base) for i in order]
    gaps = np.diff(times) if len(times) > 1 else np.array([0.0])
    last_len = float(np.median(gaps)) if len(times) > 1 else 0.0
    end = max(float((e - first_pts) * time_base) for e in end_pts)
    duration = max(end, times[-1] + last_len)
    return VideoProbe(
        path=path,
        format_name=fmt,
        codec=codec,
        coded_width=ctx.width,
        coded_height=ctx.height,
        duration_s=duration,
        metadata_duration_s=meta_dur,
        frame_times=times,
        frame_decode_idx=order,
        keyframe_decode_idx=key_idx,
        has_audio=has_audio,
    )


def plan_samples(probe: VideoProbe, config: SamplingConfig) -> SamplePlan:
    targets = sampling.target_times(probe.duration_s, config)
    step = sampling.sample_step(targets, probe.duration_s)
    decode_to_time = dict(zip(probe.frame_decode_idx, probe.frame_times, strict=True))
    key_times = [decode_to_time[i] for i in probe.keyframe_decode_idx]
    key_order = sorted(range(len(key_times)), key=lambda i: key_times[i])
    sorted_key_times = [key_times[i] for i in key_order]
    picks = sampling.keyframes_suffice(sorted_key_times, targets, step)
    if picks is not None and len(probe.keyframe_decode_idx) < probe.frame_count:
        idx = sorted(probe.keyframe_decode_idx[key_order[p]] for p in picks)
        return SamplePlan(
            decode_idx=idx,
            times=[decode_to_time[i] for i in idx],
            ranges=[(i, i) for i in idx],
            keyframes_only=True,
        )
    chosen = sampling.nearest_indices(probe.frame_times, targets)
    idx = sorted(probe.frame_decode_idx[c] for c in chosen)
    keys = probe.keyframe_decode_idx
    needed = []
    for d in idx:
        pos = bisect.bisect_right(keys, d) - 1
        # A frame shown before its keyframe (open-GOP leading picture) may reference the
        # previous GOP: start one keyframe earlier.
        if pos > 0 and decode_to_time[d] < decode_to_time[keys[pos]]:
            pos -= 1
        needed.append((keys[pos] if pos >= 0 else 0, d))
    return SamplePlan(
        decode_idx=idx,
        times=[decode_to_time[i] for i in idx],
        ranges=sampling.merge_ranges(needed),
        keyframes_only=False,
    )


def _upright(frame: av.VideoFrame) -> np.ndarray:
    rgb: np.ndarray = frame.to_ndarray(format="rgb24")
    # frame.rotation is the display matrix angle, counter-clockwise (FFmpeg's
    # av_display_rotation_get); np.rot90 also turns counter-clockwise.
    turns = round((frame.rotation or 0) / 90) % 4
    if turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, turns))
    return rgb


def iter_samples(
    probe: VideoProbe,
    plan: SamplePlan,
    limits: DecodeLimits,
    threads: int = 2,
    lanes: int = 2,
) -> Iterator[DecodedSample]:
    """Decode the planned frames in time order. Raises MediaRejected('corrupt_media') when
    the stream cannot be decoded at all. Frames are decoded in a bounded worker and come
    back one by one (the worker waits while the caller is busy with a frame).

    ``lanes``: decoders run side by side in that worker, each on its share of the plan's
    ranges (whole GOPs, see sampling.assign_lanes and lanes.py), ``threads`` shared out
    among them; the frames, their order and their indices are the same for any number."""
    return bounded_iter(
        _iter_samples, probe, plan, limits, threads, lanes, limits=media_limits(limits)
    )


@dataclass
class _Tally:
    produced: int = 0
    errors: int = 0


def _iter_samples(
    probe: VideoProbe, plan: SamplePlan, limits: DecodeLimits, threads: int, lanes: int = 1
) -> Iterator[DecodedSample]:
    groups = sampling.assign_lanes(plan.ranges, max(1, lanes))
    lane_threads = max(1, threads // max(1, len(groups)))
    tallies: list[_Tally] = []

    def lane(
        positions: Sequence[int] | None, stop: threading.Event | None = None
    ) -> Iterator[tuple[int, DecodedSample]]:
        tally = _Tally()
        tallies.append(tally)
        return _decode_ranges(probe, plan, limits, lane_threads, positions, tally, stop)

    if len(groups) > 1:
        depth = _lane_depth(probe, plan, len(groups))
        yield from merge_lanes(groups, lane, depth=depth)
    else:
        yield from (sample for _, sample in lane(None))
    if sum(t.produced for t in tallies) == 0:
        errors = sum(t.errors for t in tallies)
        raise MediaRejected(
            "corrupt_media", f"No frame of the video could be decoded ({errors} errors).", 422
        )


def _lane_depth(probe: VideoProbe, plan: SamplePlan, lanes: int) -> int:
    """How many decoded frames a lane may hold while it waits for its turn: enough to
    decode a whole range ahead (so the lanes really run side by side), within
    ``LANE_BUFFER_BYTES`` for all lanes together (the worker's memory limit covers them)."""
    per_range = max(
        bisect.bisect_right(plan.decode_idx, end) - bisect.bisect_left(plan.decode_idx, start)
        for start, end in plan.ranges
    )
    frame_bytes = max(1, probe.coded_width * probe.coded_height * 3)
    return max(2, min(per_range, LANE_BUFFER_BYTES // (frame_bytes * max(1, lanes))))


def _decode_ranges(
    probe: VideoProbe,
    plan: SamplePlan,
    limits: DecodeLimits,
    threads: int,
    positions: Sequence[int] | None,
    tally: _Tally,
    stop: threading.Event | None,
) -> Iterator[tuple[int, DecodedSample]]:
    """One decoder through the plan's ranges at ``positions`` (all when None), in order:
    (range position, sample) for each chosen frame. The decoder is drained and flushed
    between ranges, so a range's frames do not depend on which other ranges it saw."""
    wanted = dict(zip(plan.decode_idx, plan.times, strict=True))
    by_time = {t: i for i, t in enumerate(sorted(plan.times))}
    mine = set(range(len(plan.ranges)) if positions is None else positions)
    range_starts = [r[0] for r in plan.ranges]
    last = max((plan.ranges[pos][1] for pos in mine), default=-1)
    with _open(probe.path) as container:
        stream = _video_stream(container)
        ctx = stream.codec_context
        ctx.thread_type = "AUTO"
        ctx.thread_count = max(1, threads)
        if plan.keyframes_only:
            ctx.skip_frame = "NONKEY"  # only keyframe packets are fed; belt and braces
        pending: dict[int, float] = {}  # pts → time for the chosen frames
        decode_idx = -1
        range_pos = -1

        def emit(frames: list[av.VideoFrame], pos: int) -> Iterator[tuple[int, DecodedSample]]:
            for frame in frames:
                t = pending.pop(frame.pts, None) if frame.pts is not None else None
                if t is None:
                    continue
                _check_size(frame.width, frame.height, limits)
                tally.produced += 1
                yield pos, DecodedSample(index=by_time[t], t_s=t, rgb=_upright(frame))

        def decode(packet: av.Packet | None) -> list[av.VideoFrame]:
            try:
                return list(ctx.decode(packet))
            except av.error.FFmpegError as exc:  # one bad packet: conceal, count, go on
                tally.errors += 1
                log.debug("decode error: %s", exc)
                return []

        try:
            for packet in container.demux(stream):
                if stop is not None and stop.is_set():
                    return
                if packet.size == 0:
                    continue
                pts = packet.pts if packet.pts is not None else packet.dts
                if pts is None:
                    continue
                decode_idx += 1
                if decode_idx > last:
                    break
                new_pos = bisect.bisect_right(range_starts, decode_idx) - 1
                if new_pos < 0 or decode_idx > plan.ranges[new_pos][1] or new_pos not in mine:
                    continue  # between ranges, or another lane's: not for this decoder
                if new_pos != range_pos:
                    if range_pos >= 0:  # a gap was skipped: drain, then reset the decoder
                        yield from emit(decode(None), range_pos)
                        ctx.flush_buffers()
                    range_pos = new_pos
                if decode_idx in wanted:
                    pending[pts] = wanted[decode_idx]
                if not plan.keyframes_only:
                    # Frames no other frame references (most B-frames) are needed only if
                    # chosen: the decoder skips the rest outright (~1/3 less decode time
                    # with x264 defaults). FFmpeg reads skip_frame per packet, and its
                    # frame threads copy it from this context at each submission.
                    ctx.skip_frame = "DEFAULT" if decode_idx in wanted else "NONREF"
                yield from emit(decode(packet), range_pos)
            yield from emit(decode(None), range_pos)
        except av.error.FFmpegError as exc:
            raise MediaRejected(
                "corrupt_media", f"The video could not be read ({reason(exc)})."
            ) from exc


def warm_workers() -> None:
    """Start the bounded parser workers now (call from the analyzer's warm-up), so the
    first upload does not wait for the worker processes to start (~0.5-1.5 s)."""
    default_pool(("dd_video.decode",)).warm()

"""Test videos, written with PyAV (no ffmpeg binary needed) into a session temp folder.

The face videos put the shared still faces on a larger canvas with a little motion and
sensor-like noise, so that MTCNN has context and the encoder has real work to do.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

FrameFn = Callable[[int], np.ndarray]


def write_video(
    path: Path,
    frame: FrameFn,
    count: int,
    fps: int = 10,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    times: list[float] | None = None,
    audio_s: float | None = None,
    rotation: int | None = None,
    gop: int | None = None,
    options: dict[str, str] | None = None,
    preset: str = "veryfast",
) -> Path:
    """Encode ``count`` frames; ``times`` (seconds) gives variable frame rate."""
    first = frame(0)
    height, width = first.shape[:2]
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if codec == "libx264":
            # veryfast keeps B-frames (ultrafast has none): decoding must cope with
            # reordering and with skipped non-reference frames.
            stream.options = {"preset": preset, "crf": "20"}
        if gop:
            stream.codec_context.gop_size = gop
            stream.options = {**stream.options, "keyint": str(gop), "scenecut": "0"}
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = None
        if audio_s:
            sound = out.add_stream("aac", rate=16000)
            assert isinstance(sound, av.AudioStream)
        for i in range(count):
            vf = av.VideoFrame.from_ndarray(first if i == 0 else frame(i), format="rgb24")
            if times is not None:
                vf.pts = round(times[i] * 1000)
                vf.time_base = Fraction(1, 1000)
            else:
                vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None and audio_s:
            _write_tone(out, sound, audio_s)
    return path


def _write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    rate = 16000
    t = np.arange(int(rate * seconds)) / rate
    wave = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    for start in range(0, len(wave), 1024):
        chunk = wave[start : start + 1024].reshape(1, -1)
        af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        af.sample_rate = rate
        af.pts = start
        for packet in stream.encode(af):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def face_scene(
    faces: list[np.ndarray],
    size: tuple[int, int] = (640, 480),
    face_height: int = 260,
    seed: int = 0,
) -> FrameFn:
    """Frames with each face resized to ``face_height`` px, side by side on a grey-blue
    background, drifting a few pixels and with light noise that changes every frame."""
    width, height = size
    base = np.empty((height, width, 3), np.uint8)
    base[:] = (92, 100, 112)
    placed = []
    for face in faces:
        scale = face_height / face.shape[0]
        img = Image.fromarray(face).resize(
            (round(face.shape[1] * scale), face_height), Image.Resampling.BICUBIC
        )
        placed.append(np.asarray(img))
    gap = (width - sum(f.shape[1] for f in placed)) // (len(placed) + 1)
    rng = np.random.default_rng(seed)

    def frame(i: int) -> np.ndarray:
        out = base.copy()
        x = gap
        for face in placed:
            dx = round(6 * np.sin(i / 4))
            dy = round(4 * np.cos(i / 5)) + (height - face.shape[0]) // 2
            fh, fw = face.shape[:2]
            x0 = min(max(x + dx, 0), width - fw)
            out[dy : dy + fh, x0 : x0 + fw] = face
            x += fw + gap
        noise = rng.normal(0, 2.0, out.shape)
        return np.clip(out + noise, 0, 255).astype(np.uint8)

    return frame


def load_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def patch_mvhd_duration(path: Path, factor: float) -> None:
    """Make an MP4 lie about its length: scale the durations in the movie, track and media
    headers (mvhd, tkhd, mdhd: what players and ffprobe show) by ``factor``. The sample
    tables, i.e. the real frames and their times, stay intact."""
    data = bytearray(path.read_bytes())
    # (offset of the duration field after the box header, for version 0, for version 1)
    fields = {b"mvhd": (16, 24), b"tkhd": (20, 28), b"mdhd": (16, 24)}
    patched: list[bytes] = []

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack(">I4s", data[pos : pos + 8])
            if size < 8:
                return
            if kind in (b"moov", b"trak", b"mdia"):
                walk(pos + 8, pos + size)
            elif kind in fields:
                version = data[pos + 8]
                off = pos + 8 + fields[kind][version]
                fmt = ">I" if version == 0 else ">Q"
                width = struct.calcsize(fmt)
                (dur,) = struct.unpack(fmt, data[off : off + width])
                data[off : off + width] = struct.pack(fmt, int(dur * factor))
                patched.append(kind)
            pos += size

    walk(0, len(data))
    assert b"mvhd" in patched and b"mdhd" in patched, patched
    path.write_bytes(bytes(data))


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video_media")


@pytest.fixture(scope="session")
def faces(shared_media: Path) -> dict[str, np.ndarray]:
    folder = shared_media / "faces"
    return {
        "fake": load_rgb(folder / "mesonet_fake_df00204.jpg"),
        "real": load_rgb(folder / "mesonet_real_real00240.jpg"),
        "astronaut": load_rgb(folder / "astronaut.png"),
    }


# importlib import mode: test modules cannot import this file, so helpers are fixtures.
@pytest.fixture(scope="session")
def make_video() -> Callable[..., Path]:
    return write_video


@pytest.fixture(scope="session")
def make_scene() -> Callable[..., FrameFn]:
    return face_scene


@pytest.fixture(scope="session")
def lie_about_duration() -> Callable[[Path, float], None]:
    return patch_mvhd_duration

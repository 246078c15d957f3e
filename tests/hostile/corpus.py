"""The hostile-media corpus, built in memory by code (nothing stored in the repository).

Each case is the attack from issue 15 scaled to build in well under a second: what matters
is the structure (declared counts against real bytes, chunk and packet density, pixels
by sample format), not the absolute size. Used by tests/hostile and bench/hostile.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MILLION = 1_000_000


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # which service reads it: 'image', 'audio', 'video'
    build: Callable[[], bytes]
    # Error types that count as the right answer. Empty: the file may also be decoded
    # (within the memory bound) and answered 200.
    expect: frozenset[str]
    what: str


# --- building blocks -----------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def small_png(side: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def small_jpeg(side: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def small_video(frames: int = 4, side: int = 64, fps: int = 25, fmt: str = "mp4") -> bytes:
    """A real, decodable clip (MPEG-4 part 2: in every FFmpeg build)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(frames):
            image = np.full((side, side, 3), (index * 7) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _find_box(data: bytes | bytearray, kind: bytes) -> int:
    """Offset of the first box of ``kind`` (a plain search; fine for files we built)."""
    index = data.find(kind)
    if index < 4:
        raise ValueError(f"no {kind!r} box")
    return index - 4


# --- the cases ------------------------------------------------------------------------


def mp4_sample_tables(count: int = 10 * MILLION) -> bytes:
    """A ~1.5 KB MP4 whose stsz, stts and stsc declare ``count`` samples: FFmpeg would
    build an index entry for each (~700 MiB at 10 M)."""
    data = bytearray(small_video(frames=2, side=32))
    stsz = _find_box(data, b"stsz")
    struct.pack_into(">II", data, stsz + 12, 1, count)  # constant size 1, count N
    stts = _find_box(data, b"stts")
    struct.pack_into(">I", data, stts + 16, count)  # first entry's sample count
    stsc = _find_box(data, b"stsc")
    struct.pack_into(">I", data, stsc + 20, count)  # first entry's samples per chunk
    return bytes(data)


def mp4_stts_only(count: int = 10 * MILLION) -> bytes:
    """Only the time-to-sample table lies (the sizes table is honest)."""
    data = bytearray(small_video(frames=2, side=32))
    stts = _find_box(data, b"stts")
    struct.pack_into(">I", data, stts + 16, count)
    return bytes(data)


def mp4_truncated() -> bytes:
    data = small_video(frames=6)
    moov = _find_box(data, b"moov")
    return data[: moov + 40]  # cut inside the movie header


def mp4_lying_moov() -> bytes:
    """The moov box claims to be far larger than the file."""
    data = bytearray(small_video(frames=4))
    moov = _find_box(data, b"moov")
    struct.pack_into(">I", data, moov, 50 * MILLION)
    return bytes(data)


def png_many_chunks(chunks: int = 200_000) -> bytes:
    """A valid PNG with ``chunks`` empty ancillary chunks after IHDR (Pillow walks them
    one by one in Python: a million took 5.7 s on the event loop)."""
    png = small_png()
    ihdr_end = 8 + 25
    return png[:ihdr_end] + png_chunk(b"zzZz", b"") * chunks + png[ihdr_end:]


def png_bomb(side: int = 50_000) -> bytes:
    """A few hundred bytes declaring side × side pixels."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (side + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_truncated() -> bytes:
    data = small_png(256)
    return data[: len(data) // 2]


def jpeg_many_segments(segments: int = 200_000) -> bytes:
    """A valid JPEG with ``segments`` empty comment segments before its frame header."""
    jpeg = small_jpeg()
    return jpeg[:2] + b"\xff\xfe\x00\x02" * segments + jpeg[2:]


def jpeg_lying_sof(side: int = 60_000) -> bytes:
    """A small JPEG whose frame header claims side × side pixels."""
    data = bytearray(small_jpeg())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, side, side)
    return bytes(data)


def float_tiff(side: int = 6300) -> bytes:
    """A deflate-compressed float32 TIFF of side × side (~250 KB for 6300: 159 MB of
    float samples; Pillow's float path used to take +1 GiB)."""
    compressor = zlib.compressobj(9)
    row_block = bytes(side * 4 * 64)
    parts = []
    rows = 0
    while rows < side:
        take = min(64, side - rows)
        parts.append(compressor.compress(row_block[: take * side * 4]))
        rows += take
    parts.append(compressor.flush())
    strip = b"".join(parts)
    tags = [
        (256, 4, 1, side),  # width
        (257, 4, 1, side),  # height
        (258, 3, 1, 32),  # bits per sample
        (259, 3, 1, 8),  # deflate
        (262, 3, 1, 1),  # black is zero
        (273, 4, 1, 0),  # strip offset (patched below)
        (277, 3, 1, 1),  # samples per pixel
        (278, 4, 1, side),  # rows per strip
        (279, 4, 1, len(strip)),  # strip byte count
        (339, 3, 1, 3),  # IEEE float
    ]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(tags) + 4
    data_offset = ifd_offset + ifd_size
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offset))
    out += struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        if tag == 273:
            value = data_offset
        packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    out += struct.pack("<I", 0)
    return bytes(out + strip)


def tiff_ifd_loop() -> bytes:
    """A TIFF whose directory points back at itself."""
    tags = [(256, 3, 1, 64), (257, 3, 1, 64), (258, 3, 1, 8), (277, 3, 1, 1)]
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)))
    for tag, kind, count, value in tags:
        out += struct.pack("<HHIH", tag, kind, count, value) + b"\x00\x00"
    out += struct.pack("<I", 8)  # next IFD: itself
    return bytes(out)


def _ebml(ident: int, payload: bytes, unknown_size: bool = False) -> bytes:
    ident_bytes = ident.to_bytes((ident.bit_length() + 7) // 8, "big")
    if unknown_size:
        return ident_bytes + b"\x01\xff\xff\xff\xff\xff\xff\xff" + payload
    return ident_bytes + (len(payload) | (1 << 56)).to_bytes(8, "big") + payload


def mkv_tiny_packets(packets: int = 200_000, span_s: float = 20.0) -> bytes:
    """A Matroska file of ``packets`` 1-byte blocks over ``span_s`` seconds (the issue's
    32 MB file held 2 M and took 19.8 s and +275 MiB to probe)."""
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"matroska"))
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big")))
    video = _ebml(0xE0, _ebml(0xB0, (64).to_bytes(1, "big")) + _ebml(0xBA, (64).to_bytes(1, "big")))
    track = _ebml(
        0xAE,
        _ebml(0xD7, b"\x01") + _ebml(0x83, b"\x01") + _ebml(0x86, b"V_MPEG4/ISO/ASP") + video,
    )
    tracks = _ebml(0x1654AE6B, track)
    per_cluster = 2000
    clusters = []
    step_ms = max(1, int(span_s * 1000 * per_cluster / packets))
    for index in range(0, packets, per_cluster):
        count = min(per_cluster, packets - index)
        block = b"\xa3\x85\x81\x00\x00\x80\x00"  # track 1, rel ts 0, keyframe, 1 byte
        body = _ebml(0xE7, (index // per_cluster * step_ms).to_bytes(4, "big")) + block * count
        clusters.append(_ebml(0x1F43B675, body))
    segment = _ebml(0x18538067, info + tracks + b"".join(clusters), unknown_size=True)
    return header + segment


def high_fps_clip(frames: int = 1200, fps: int = 1000) -> bytes:
    """A real clip at 1000 fps (the issue's had 599 k frames and took 27 s to probe)."""
    return small_video(frames=frames, side=64, fps=fps)


def wav_lying_length() -> bytes:
    """A WAV header that claims an hour of 16 kHz audio, followed by no samples."""
    fmt = struct.pack("<HHIIHH", 1, 1, 16_000, 32_000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", 16_000 * 2 * 3600)
    return b"RIFF" + struct.pack("<I", len(body) + 16_000 * 2 * 3600) + body


CASES: list[Case] = [
    Case("mp4_sample_tables_10m", "video", mp4_sample_tables,
         frozenset({"corrupt_media", "too_many_frames"}),
         "1.5 KB MP4, stsz/stts/stsc patched to 10 M samples"),
    Case("mp4_sample_tables_10m_audio", "audio", mp4_sample_tables,
         frozenset({"corrupt_media", "too_many_frames"}),
         "the same file sent to the audio service"),
    Case("mp4_stts_only_10m", "video", mp4_stts_only,
         frozenset({"corrupt_media", "too_many_frames"}), "only stts patched to 10 M"),
    Case("mp4_truncated", "video", mp4_truncated, frozenset({"corrupt_media"}),
         "MP4 cut inside its moov box"),
    Case("mp4_lying_moov", "video", mp4_lying_moov, frozenset({"corrupt_media"}),
         "moov box claims 50 MB in a small file"),
    Case("mkv_tiny_packets", "video", mkv_tiny_packets, frozenset({"too_many_frames"}),
         "MKV of 200 k one-byte packets in 20 s"),
    Case("high_fps_clip", "video", high_fps_clip, frozenset({"too_many_frames"}),
         "1200 frames at 1000 fps"),
    Case("png_many_chunks", "image", png_many_chunks, frozenset({"parse_limit_exceeded"}),
         "PNG with 200 k empty chunks"),
    Case("png_bomb", "image", png_bomb, frozenset({"decompression_bomb"}),
         "PNG declaring 50000x50000 in a few hundred bytes"),
    Case("png_truncated", "image", png_truncated, frozenset({"corrupt_media"}),
         "PNG cut in half"),
    Case("jpeg_many_segments", "image", jpeg_many_segments,
         frozenset({"parse_limit_exceeded"}), "JPEG with 200 k empty segments"),
    Case("jpeg_lying_sof", "image", jpeg_lying_sof, frozenset({"decompression_bomb"}),
         "JPEG frame header claims 60000x60000"),
    Case("float_tiff_6300", "image", float_tiff, frozenset(),
         "252 KB float32 TIFF of 6300x6300 (refused, or decoded within the bound)"),
    Case("tiff_ifd_loop", "image", tiff_ifd_loop, frozenset({"corrupt_media"}),
         "TIFF whose directory points at itself"),
    Case("wav_lying_length", "audio", wav_lying_length, frozenset({"corrupt_media"}),
         "WAV header claims an hour, holds nothing"),
]  # fmt: skip

BY_NAME = {case.name: case for case in CASES}

"""preflight: honest files pass with their declared facts; structures that lie or cost too
much are refused with catalogue types, before any parser runs."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import preflight
from tests.hostile import corpus

LIMITS = MediaLimits()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path, limits: MediaLimits = LIMITS, kind: str | None = None) -> MediaRejected:
    with pytest.raises(MediaRejected) as error:
        preflight(path, kind, limits)
    return error.value


def image_bytes(array: np.ndarray, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mode_array", "per_pixel"),
    [
        ("PNG", np.zeros((40, 60, 3), np.uint8), 3),
        ("PNG", np.zeros((40, 60), np.uint16), 2),
        ("JPEG", np.zeros((40, 60, 3), np.uint8), 3),
        ("TIFF", np.zeros((40, 60), np.float32), 4),
        ("BMP", np.zeros((40, 60, 3), np.uint8), 3),
        ("GIF", np.zeros((40, 60), np.uint8), 4),
        ("WEBP", np.zeros((40, 60, 3), np.uint8), 4),
    ],
)
def test_honest_images_pass_with_their_size(
    tmp_path: Path, fmt: str, mode_array: np.ndarray, per_pixel: int
) -> None:
    path = write(tmp_path, "img", image_bytes(mode_array, fmt))
    facts = preflight(path, None, LIMITS)
    assert (facts.kind, facts.width, facts.height) == ("image", 60, 40)
    assert facts.decoded_bytes == 60 * 40 * per_pixel


def test_float_pixels_are_weighed_by_sample_size(tmp_path: Path) -> None:
    """Same dimensions, same limit: the 8-bit picture passes, the float one is refused."""
    limits = MediaLimits(max_image_decoded_bytes=20_000_000)
    grey = write(tmp_path, "grey.tif", image_bytes(np.zeros((3000, 3000), np.uint8), "TIFF"))
    assert preflight(grey, None, limits).decoded_bytes == 9_000_000
    floats = write(tmp_path, "float.tif", corpus.float_tiff(3000))
    error = refused(floats, limits)
    assert (error.type, error.status_code) == ("decompression_bomb", 413)
    assert "36000000 bytes" in error.detail


def test_png_bomb_and_lying_jpeg_are_refused_from_the_header(tmp_path: Path) -> None:
    for name, data in (("bomb.png", corpus.png_bomb()), ("sof.jpg", corpus.jpeg_lying_sof())):
        error = refused(write(tmp_path, name, data))
        assert (error.type, error.status_code) == ("decompression_bomb", 413)


def test_png_of_many_empty_chunks_is_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "chunks.png", corpus.png_many_chunks(200_000))
    start = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - start < 0.5
    assert error.type == "parse_limit_exceeded"


def test_png_with_many_large_idat_chunks_passes(tmp_path: Path) -> None:
    """Some encoders split pixel data into many 8 KiB chunks: that is not an attack."""
    data = image_bytes(np.random.default_rng(0).integers(0, 255, (600, 600, 3), np.uint8), "PNG")
    start = data.find(b"IDAT") - 4
    end = data.find(b"IEND") - 4
    raw = b""
    offset = start
    while offset < end:  # gather the IDAT payloads, then re-split them
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        raw += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    size = 8192
    split = b"".join(corpus.png_chunk(b"IDAT", raw[i : i + size]) for i in range(0, len(raw), size))
    path = write(tmp_path, "split.png", data[:start] + split + data[end:])
    limits = MediaLimits(max_image_chunks=20)
    assert preflight(path, None, limits).elements > 100  # many chunks, none of them small


def test_jpeg_of_many_empty_segments_is_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "segments.jpg", corpus.jpeg_many_segments(200_000))
    start = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - start < 0.5
    assert error.type == "parse_limit_exceeded"


def test_tiff_directory_loop_is_refused(tmp_path: Path) -> None:
    assert refused(write(tmp_path, "loop.tif", corpus.tiff_ifd_loop())).type == "corrupt_media"


def test_honest_mp4_passes_with_its_sample_count(tmp_path: Path) -> None:
    path = write(tmp_path, "clip.mp4", corpus.small_video(frames=12))
    facts = preflight(path, None, LIMITS)
    assert (facts.kind, facts.container, facts.declared_samples) == ("video", "mp4", 12)


@pytest.mark.parametrize("build", [corpus.mp4_sample_tables, corpus.mp4_stts_only])
def test_mp4_declaring_10m_samples_in_a_small_file_is_refused(tmp_path: Path, build) -> None:  # type: ignore[no-untyped-def]
    data = build()
    assert len(data) < 2000
    error = refused(write(tmp_path, "liar.mp4", data))
    assert error.type == "corrupt_media" and "10000000 samples" in error.detail


def test_mp4_over_the_declared_sample_limit_is_too_many_frames(tmp_path: Path) -> None:
    path = write(tmp_path, "clip.mp4", corpus.small_video(frames=40))
    error = refused(path, MediaLimits(max_declared_samples=30))
    assert (error.type, error.status_code) == ("too_many_frames", 413)


def test_mp4_box_past_its_parent_is_corrupt(tmp_path: Path) -> None:
    for data in (corpus.mp4_lying_moov(), corpus.mp4_truncated()):
        assert refused(write(tmp_path, "bad.mp4", data)).type == "corrupt_media"


def test_mp4_box_count_is_bounded(tmp_path: Path) -> None:
    free = struct.pack(">I4s", 8, b"free") * 5000
    path = write(tmp_path, "boxes.mp4", struct.pack(">I4s", 16, b"ftyp") + b"isom\0\0\0\0" + free)
    assert refused(path, MediaLimits(max_container_boxes=1000)).type == "parse_limit_exceeded"


def test_honest_matroska_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "clip.mkv", corpus.small_video(frames=30, fmt="matroska"))
    facts = preflight(path, None, LIMITS)
    assert facts.kind == "video" and facts.declared_samples == 30


def test_matroska_of_dense_tiny_packets_is_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "tiny.mkv", corpus.mkv_tiny_packets(200_000))
    start = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - start < 3
    assert (error.type, error.status_code) == ("too_many_frames", 413)


def test_matroska_over_the_packet_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "many.mkv", corpus.mkv_tiny_packets(5000, span_s=100))
    assert refused(path, MediaLimits(max_packets=1000)).type == "too_many_frames"


def test_wav_and_empty_and_unknown(tmp_path: Path) -> None:
    wav = write(tmp_path, "x.wav", corpus.wav_lying_length())
    assert preflight(wav, None, LIMITS).kind == "audio"
    assert refused(write(tmp_path, "empty", b"")).type == "empty_media"
    text = preflight(write(tmp_path, "notes.txt", b"hello, world\n"), None, LIMITS)
    assert text.kind is None  # not ours to judge: the parser answers 415


def test_byte_limit_by_detected_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "img.png", corpus.small_png())
    error = refused(path, MediaLimits(max_image_bytes=100))
    assert (error.type, error.status_code) == ("payload_too_large", 413)
    hinted = write(tmp_path, "blob", b"x" * 200)
    assert refused(hinted, MediaLimits(max_audio_bytes=100), kind="audio").status_code == 413

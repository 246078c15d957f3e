"""Decoding without weights: every format, the limits, and each kind of bad input."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest

from dd_audio.decode import DecodedAudio, DecodeLimits, NoAudioStream, decode_audio
from dd_inference import MediaRejected

FORMATS = [
    # (file name, audio codec, container, codec rate, video codec)
    ("clip.wav", "pcm_s16le", "wav", 44_100, None),
    ("clip.flac", "flac", "flac", 16_000, None),
    ("clip.mp3", "libmp3lame", "mp3", 44_100, None),
    ("clip.ogg", "libopus", "ogg", 48_000, None),
    ("clip.m4a", "aac", "ipod", 44_100, None),
    ("clip.webm", "libopus", "webm", 48_000, None),
    ("video.mp4", "aac", "mp4", 44_100, "libx264"),
    ("video.mov", "aac", "mov", 48_000, "libx264"),
    ("video.mkv", "libopus", "matroska", 48_000, "libx264"),
    ("video.avi", "libmp3lame", "avi", 44_100, "mpeg4"),
]


def _tone(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(16_000 * seconds)) / 16_000
    return (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize(("name", "codec", "fmt", "rate", "video"), FORMATS)
def test_each_format_decodes_to_16k_mono(
    tmp_path: Path, encode, name: str, codec: str, fmt: str, rate: int, video: str | None
) -> None:
    path = encode(_tone(), tmp_path / name, codec, fmt, rate=rate, video=video)
    out = decode_audio(path)
    assert isinstance(out, DecodedAudio)
    assert out.sample_rate == 16_000 and out.samples.dtype == np.float32
    assert out.samples.ndim == 1
    assert abs(out.duration_s - 3.0) < 0.1
    # the tone survives: its energy sits at 440 Hz
    spectrum = np.abs(np.fft.rfft(out.samples[4000:36000]))
    assert abs(np.argmax(spectrum) * 16_000 / 32_000 - 440) < 5


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    import soundfile as sf

    stereo = np.stack([_tone(), _tone()], axis=1)
    sf.write(tmp_path / "stereo.wav", stereo, 16_000)
    out = decode_audio(tmp_path / "stereo.wav")
    assert isinstance(out, DecodedAudio) and out.source_channels == 2
    assert np.max(np.abs(out.samples)) == pytest.approx(0.4, abs=0.02)


def test_video_without_sound_track_is_a_marker_not_an_error(tmp_path: Path, encode) -> None:
    path = encode(_tone(2.0), tmp_path / "silent_film.mp4", None, "mp4", video="libx264")
    out = decode_audio(path)
    assert isinstance(out, NoAudioStream) and out.reason == "no sound track"


def test_mp3_named_wav_is_decoded_by_content(tmp_path: Path, encode) -> None:
    path = encode(_tone(), tmp_path / "really_mp3.wav", "libmp3lame", "mp3", rate=44_100)
    out = decode_audio(path)
    assert isinstance(out, DecodedAudio) and out.codec.startswith("mp3")


def test_zero_length_file_is_empty_media(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(MediaRejected) as err:
        decode_audio(tmp_path / "empty.wav")
    assert (err.value.type, err.value.status_code) == ("empty_media", 400)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"this is a plain text file, not audio\n" * 40),
        ("notes.wav", b"this is a plain text file named .wav\n" * 40),
        ("data.json", b'{"key": "value", "list": [1, 2, 3]}\n'),
    ],
)
def test_text_is_unsupported_media_type(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(MediaRejected) as err:
        decode_audio(tmp_path / name)
    assert (err.value.type, err.value.status_code) == ("unsupported_media_type", 415)


def test_still_image_is_unsupported_media_type(shared_media: Path) -> None:
    with pytest.raises(MediaRejected) as err:
        decode_audio(shared_media / "faces" / "astronaut.png")
    assert err.value.status_code == 415


def _wav_header(data_bytes: int, rate: int = 16_000, bits: int = 16) -> bytes:
    block = bits // 8
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * block, block, bits)
    riff_size = min(0xFFFFFFFF, 36 + data_bytes)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVEfmt "
        + fmt
        + b"data"
        + struct.pack("<I", min(0xFFFFFFFF, data_bytes))
    )


def test_wav_header_claiming_hours_with_no_data_is_corrupt_and_quick(tmp_path: Path) -> None:
    path = tmp_path / "liar.wav"
    path.write_bytes(_wav_header(data_bytes=3 * 3600 * 32_000))  # claims 3 h, holds 0 s
    start = time.perf_counter()
    with pytest.raises(MediaRejected) as err:
        decode_audio(path)
    assert time.perf_counter() - start < 1.0
    assert (err.value.type, err.value.status_code) == ("corrupt_media", 422)


def test_garbage_behind_a_media_signature_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.ogg"
    path.write_bytes(b"OggS" + bytes(range(256)) * 8)
    with pytest.raises(MediaRejected) as err:
        decode_audio(path)
    assert err.value.status_code == 422


def test_two_hour_file_is_rejected_from_metadata_without_decoding(tmp_path: Path) -> None:
    # A real two-hour 8 kHz 8-bit WAV, written as a sparse file: 57.6 MB of zeros on paper,
    # almost nothing on disk.
    data_bytes = 2 * 3600 * 8000
    path = tmp_path / "two_hours.wav"
    with path.open("wb") as handle:
        handle.write(_wav_header(data_bytes, rate=8000, bits=8))
        handle.seek(44 + data_bytes - 1)
        handle.write(b"\x80")
    start = time.perf_counter()
    with pytest.raises(MediaRejected) as err:
        decode_audio(path, DecodeLimits(max_duration_s=600))
    assert time.perf_counter() - start < 1.0
    assert (err.value.type, err.value.status_code) == ("duration_too_long", 413)


def test_duration_limit_is_enforced_while_decoding_when_the_header_lies(
    tmp_path: Path, encode
) -> None:
    # MP3 whose Xing/Info header says 4 s, followed by 20 s more frames: the metadata check
    # passes, the running sample count must stop it.
    short = encode(_tone(4.0), tmp_path / "short.mp3", "libmp3lame", "mp3", rate=44_100)
    longer = encode(_tone(20.0), tmp_path / "long.mp3", "libmp3lame", "mp3", rate=44_100)
    liar = tmp_path / "liar.mp3"
    liar.write_bytes(short.read_bytes() + longer.read_bytes())
    limits = DecodeLimits(max_duration_s=10)
    with pytest.raises(MediaRejected) as err:
        decode_audio(liar, limits)
    assert (err.value.type, err.value.status_code) == ("duration_too_long", 413)
    assert isinstance(decode_audio(short, limits), DecodedAudio)


def test_byte_limit(tmp_path: Path, encode) -> None:
    path = encode(_tone(), tmp_path / "clip.wav", "pcm_s16le", "wav")
    with pytest.raises(MediaRejected) as err:
        decode_audio(path, DecodeLimits(max_bytes=1000))
    assert (err.value.type, err.value.status_code) == ("payload_too_large", 413)


def test_cut_off_file_keeps_what_decodes(tmp_path: Path, encode) -> None:
    path = encode(_tone(6.0), tmp_path / "clip.mp3", "libmp3lame", "mp3", rate=44_100)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    out = decode_audio(cut)
    assert isinstance(out, DecodedAudio)
    assert 2.0 < out.duration_s < 4.5

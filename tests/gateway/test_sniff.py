"""Media kind from magic bytes and, for ambiguous containers, from the stream table."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from dd_contracts import MediaKind
from dd_gateway.core.errors import GatewayError
from dd_gateway.media.sniff import sniff
from tests.media import jpeg_bytes, png_bytes


def sniff_bytes(tmp_path: Path, data: bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "f"
    path.write_bytes(data)
    return sniff(path, data[:4096])


@pytest.mark.parametrize(
    ("head", "kind", "fmt"),
    [
        (b"GIF89a" + b"\x00" * 20, MediaKind.image, "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", MediaKind.image, "webp"),
        (b"BM" + b"\x00" * 30, MediaKind.image, "bmp"),
        (b"II*\x00" + b"\x00" * 8, MediaKind.image, "tiff"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", MediaKind.audio, "wav"),
        (b"fLaC\x00\x00\x00\x22", MediaKind.audio, "flac"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", MediaKind.audio, "mp3"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 8, MediaKind.audio, "mp3"),
    ],
)
def test_magic_numbers(tmp_path: Path, head: bytes, kind: MediaKind, fmt: str) -> None:
    sniffed = sniff_bytes(tmp_path, head)
    assert (sniffed.kind, sniffed.format) == (kind, fmt)


def test_jpeg_and_png(tmp_path: Path) -> None:
    assert sniff_bytes(tmp_path, jpeg_bytes()).mime == "image/jpeg"
    assert sniff_bytes(tmp_path, png_bytes()).mime == "image/png"


def _mp4(path: Path, video: bool, audio: bool) -> bytes:
    with av.open(str(path), "w", format="mp4") as container:
        if video:
            vs = container.add_stream("mpeg4", rate=5)
            vs.width, vs.height, vs.pix_fmt = 32, 32, "yuv420p"
            for _ in range(3):
                frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), "rgb24")
                container.mux(vs.encode(frame))
            container.mux(vs.encode(None))
        if audio:
            as_ = container.add_stream("aac", rate=16000)
            samples = np.zeros((1, 16000), np.float32)
            sound = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            sound.sample_rate = 16000
            container.mux(as_.encode(sound))
            container.mux(as_.encode(None))
    return path.read_bytes()


def test_mp4_with_video_is_video_and_audio_only_mp4_is_audio(tmp_path: Path) -> None:
    video = _mp4(tmp_path / "v.mp4", video=True, audio=False)
    assert sniff_bytes(tmp_path, video).kind is MediaKind.video
    audio = _mp4(tmp_path / "a.mp4", video=False, audio=True)
    sniffed = sniff_bytes(tmp_path, audio)
    assert sniffed.kind is MediaKind.audio
    assert sniffed.mime == "audio/mp4"


def test_text_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(GatewayError) as err:
        sniff_bytes(tmp_path, b"just some text, named photo.jpg")
    assert err.value.type == "unsupported_media_type"
    assert err.value.status_code == 415


def test_truncated_container_is_corrupt(tmp_path: Path) -> None:
    video = _mp4(tmp_path / "v.mp4", video=True, audio=False)
    with pytest.raises(GatewayError) as err:
        sniff_bytes(tmp_path, video[:40])
    assert err.value.type in ("corrupt_media", "no_media_streams")
    assert err.value.status_code == 422

"""Small video clips made in tests (with or without a sound track)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def mp4_clip(
    path: Path, *, sound: bool, frames: int = 5, size: tuple[int, int] = (64, 48)
) -> bytes:
    width, height = size
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=5)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=16000) if sound else None
        for i in range(frames):
            picture = np.full((height, width, 3), i * 40 % 255, np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(picture, "rgb24")))
        container.mux(video.encode(None))
        if audio is not None:
            samples = np.zeros((1, 16000 * frames // 5), np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 16000
            container.mux(audio.encode(frame))
            container.mux(audio.encode(None))
    return path.read_bytes()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A valid mono 16-bit WAV of silence."""
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()

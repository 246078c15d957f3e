"""Every hostile case through the decode path its service uses (no HTTP, no weights):
a typed 4xx from the catalogue within a time bound, the caller's memory bounded (the
parsers run in bounded workers), and a good file decodes afterwards."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dd_audio.decode import DecodedAudio, decode_audio
from dd_contracts.catalogue import status_of
from dd_contracts.limits import MediaLimits
from dd_image.decode import decode_image
from dd_inference import MediaRejected
from dd_mediaguard import bounded
from dd_service_kit.testing import PeakRss
from dd_video import decode as video_decode
from dd_video.decode import DecodeLimits, iter_samples, plan_samples, probe_video
from dd_video.sampling import SamplingConfig
from tests.hostile.corpus import CASES, Case, mp4_sample_tables

# What a refused file may add to the calling (service) process: the checks read headers
# only and the parsers run in other processes.
REFUSED_RSS_MIB = 64
# A decoded picture comes back to the caller: the float TIFF's 6300x6300 RGB is 119 MB.
DECODED_RSS_MIB = 400
TIME_BOUND_S = 15.0  # generous for a shared CI machine; most cases take < 1.5 s


def decode(kind: str, path: Path) -> object:
    if kind == "image":
        return decode_image(path, max_pixels=40_000_000, max_bytes=50 * 1024 * 1024)
    if kind == "audio":
        return decode_audio(path)
    limits = DecodeLimits()
    probe = probe_video(path, limits)
    return list(iter_samples(probe, plan_samples(probe, SamplingConfig()), limits))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case_is_refused_typed_fast_and_bounded(
    case: Case, tmp_path: Path, shared_media: Path
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(case.build())
    import os

    start = time.monotonic()
    refusal: MediaRejected | None = None
    with PeakRss(os.getpid()) as rss:
        try:
            decode(case.kind, path)
        except MediaRejected as exc:
            refusal = exc
    elapsed = time.monotonic() - start
    grew_mib = (rss.peak - rss.idle) / 2**20
    assert elapsed < TIME_BOUND_S, f"{case.name} took {elapsed:.1f} s"
    if case.expect:
        assert refusal is not None, f"{case.name} was accepted"
    if refusal is not None:
        assert refusal.type in case.expect or not case.expect, (refusal.type, refusal.detail)
        assert 400 <= refusal.status_code < 500
        assert refusal.status_code == status_of(refusal.type)
        assert "/tmp" not in refusal.detail and str(tmp_path) not in refusal.detail
        assert grew_mib < REFUSED_RSS_MIB, f"{case.name}: +{grew_mib:.0f} MiB"
    else:
        assert grew_mib < DECODED_RSS_MIB, f"{case.name}: +{grew_mib:.0f} MiB"

    # A good file of the same kind still decodes afterwards.
    good = {
        "image": shared_media / "faces/astronaut.png",
        "audio": shared_media / "speech/arctic_a0007.wav",
        "video": shared_media / "astronaut_talk.mp4",
    }[case.kind]
    result = decode(case.kind, good)
    assert result is not None
    if case.kind == "audio":
        assert isinstance(result, DecodedAudio) and result.duration_s > 1


def test_ffmpeg_blowup_is_contained_even_without_preflight(tmp_path: Path) -> None:
    """The second line of defence: the 10 M-sample MP4 handed straight to the demux pass
    (no preflight) inside a 256 MiB worker is refused, and the caller does not grow."""
    import os

    path = tmp_path / "upload"
    path.write_bytes(mp4_sample_tables())
    limits = MediaLimits(parse_memory_bytes=256 * 1024 * 1024, parse_wall_s=30)
    with PeakRss(os.getpid()) as rss, pytest.raises(MediaRejected) as error:
        bounded(
            video_decode._probe,
            path,
            path.stat().st_size,
            DecodeLimits(),
            limits,
            limits=limits,
        )
    assert error.value.type in ("parse_limit_exceeded", "corrupt_media", "too_many_frames")
    assert (rss.peak - rss.idle) / 2**20 < REFUSED_RSS_MIB

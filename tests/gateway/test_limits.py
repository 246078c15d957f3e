"""The gateway refuses at upload what a service would refuse, with the same error type
(one limits table, dd_contracts.limits), and the service is never called."""

from __future__ import annotations

import pytest

from dd_contracts import Modality
from dd_contracts.catalogue import ErrorType, status_of
from dd_contracts.limits import MediaLimits
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import mp4_clip, wav_bytes
from tests.gateway.conftest import Stack, upload
from tests.media import jpeg_bytes, png_bomb


@pytest.mark.parametrize(
    ("limits", "name", "kind", "expected"),
    [
        ({"max_image_bytes": 1000}, "big.jpg", "image", ErrorType.payload_too_large),
        ({"max_image_pixels": 1_000_000}, "wide.png", "image", ErrorType.decompression_bomb),
        ({"max_duration_s": 1.0}, "long.wav", "audio", ErrorType.duration_too_long),
        ({"max_video_pixels": 1000}, "hd.mp4", "video", ErrorType.resolution_too_large),
    ],
)
def test_over_a_service_limit_is_refused_at_upload(
    stack: Stack, limits: dict[str, float], name: str, kind: str, expected: ErrorType
) -> None:
    analyzers = {m: FakeAnalyzer(m, 0.5) for m in Modality}
    stack.analyzers.update(analyzers)
    data = {
        "big.jpg": jpeg_bytes(200, 200) + b"\x00" * 2000,
        "wide.png": png_bomb(2000, 1000),
        "long.wav": wav_bytes(2.0),
        "hd.mp4": mp4_clip(stack.tmp_path / "clip.mp4", sound=False),
    }[name]
    with stack.client(limits=MediaLimits(**limits)) as client:
        refused = upload(client, data, name, wait=True)
        calls = sum(a.calls for a in analyzers.values())
        within = client.post(
            "/v1/analyses",
            params={"wait": "true"},
            files={"file": ("ok.jpg", jpeg_bytes())},
        )
    assert refused.status_code == status_of(expected), refused.text
    assert refused.json()["type"] == expected.value
    assert calls == 0  # no service saw it
    assert within.status_code == 200  # and the gateway goes on serving


def test_the_limits_come_from_the_shared_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dd_gateway.core.settings import GatewaySettings

    monkeypatch.setenv("DD_LIMIT_MAX_IMAGE_BYTES", "12345")
    assert GatewaySettings().limits.max_image_bytes == 12345
    assert MediaLimits.from_env().max_image_bytes == 12345


def test_an_mp4_declaring_ten_million_samples_is_refused_before_any_parser(
    stack: Stack,
) -> None:
    import struct
    import time

    analyzers = {m: FakeAnalyzer(m, 0.5) for m in Modality}
    stack.analyzers.update(analyzers)
    data = bytearray(mp4_clip(stack.tmp_path / "clip.mp4", sound=False))
    at = data.find(b"stsz")
    data[at + 12 : at + 16] = struct.pack(">I", 10_000_000)  # the sample count
    with stack.client() as client:
        started = time.perf_counter()
        refused = upload(client, bytes(data), "hostile.mp4", wait=True)
        took = time.perf_counter() - started
    assert 400 <= refused.status_code < 500, refused.text
    assert refused.json()["type"] in ("corrupt_media", "too_many_frames")
    assert sum(a.calls for a in analyzers.values()) == 0
    assert took < 2.0

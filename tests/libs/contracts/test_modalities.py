"""The modality table: defaults, overrides by name, new entries, and the shared helpers
(logit/sigmoid, hashing, signatures) every package uses."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from dd_contracts import ModalityResult, ModalityStatus, ModalityTable
from dd_contracts.hashing import sha256_bytes, sha256_file
from dd_contracts.numeric import logit, sigmoid
from dd_contracts.signatures import identify


def test_defaults_route_video_to_video_and_audio() -> None:
    table = ModalityTable.default()
    assert table.names == ["image", "audio", "video"]
    assert [s.name for s in table.for_kind("video")] == ["audio", "video"]
    assert [s.name for s in table.for_kind("image")] == ["image"]
    assert table.get("audio").needs_sound  # type: ignore[union-attr]


def test_env_overrides_by_name_and_adds_new_modalities() -> None:
    overrides = [
        {"name": "image", "weight": 2.5},
        {"name": "audio", "url": None},
        {"name": "lips", "url": "http://l:1", "timeout_s": 9, "kinds": ["video"], "weight": 0.5},
    ]
    table = ModalityTable.from_env({"DD_MODALITIES": json.dumps(overrides)})
    assert table.weights() == {"image": 2.5, "audio": 1.0, "video": 1.0, "lips": 0.5}
    assert table.get("audio").url is None  # type: ignore[union-attr]
    assert table.get("image").url == "http://127.0.0.1:8001"  # type: ignore[union-attr]
    assert [s.name for s in table.for_kind("video")] == ["audio", "video", "lips"]
    with pytest.raises(ValueError):
        ModalityTable.from_env({"DD_MODALITIES": '{"name": "x"}'})


def test_a_modality_is_any_lowercase_name_not_a_closed_enum() -> None:
    result = ModalityResult(modality="lips", status=ModalityStatus.no_signal)
    assert result.modality == "lips"
    with pytest.raises(ValidationError):
        ModalityResult(modality="Not A Name!", status=ModalityStatus.ok)


def test_logit_and_sigmoid_are_inverse_and_finite() -> None:
    for p in (0.01, 0.3, 0.5, 0.9):
        assert math.isclose(sigmoid(logit(p)), p, rel_tol=1e-9)
    assert math.isfinite(logit(0.0)) and math.isfinite(logit(1.0))
    assert sigmoid(-1000) == 0.0 and sigmoid(1000) == 1.0


def test_hashing_and_signatures(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1000)
    assert sha256_file(path, chunk_bytes=7) == sha256_bytes(b"abc" * 1000)
    assert identify(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).format == "png"  # type: ignore[union-attr]
    mp4 = identify(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 8)
    assert mp4 is not None and mp4.ambiguous and mp4.kind == "video"
    assert identify(b"plain text") is None

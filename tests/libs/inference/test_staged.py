"""The staged analyzer: one timing and progress mechanism for every service."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from dd_contracts import Modality, ModalityResult, ModalityStatus
from dd_contracts.catalogue import ErrorType
from dd_inference import DetectorKind, MediaRejected, StagedAnalyzer, StageRun


class Toy(StagedAnalyzer[str, str, float]):
    modality = Modality.audio
    accepts = frozenset({DetectorKind.audio_window})
    stage_labels: ClassVar[Mapping[str, str]] = {"forward": "model"}

    def decode(self, path: Path, run: StageRun) -> str | ModalityResult:
        text = path.read_text()
        if text == "silent":
            return ModalityResult(modality=Modality.audio, status=ModalityStatus.no_signal)
        return text

    def preprocess(self, decoded: str, run: StageRun) -> str:
        return decoded.upper()

    def forward(self, prepared: str, run: StageRun) -> float:
        for i in range(4):
            time.sleep(0.01)
            run.advance(i + 1, 4)
        return len(prepared) / 10

    def aggregate(
        self, decoded: str, prepared: str, scored: float, run: StageRun
    ) -> ModalityResult:
        return ModalityResult(
            modality=Modality.audio, status=ModalityStatus.ok, fake_probability=scored
        )


def test_every_stage_is_timed_under_its_label(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("abc")
    seen: list[float] = []
    result = Toy([]).analyze(tmp_path / "a", progress=seen.append)
    assert result.fake_probability == pytest.approx(0.3)
    assert set(result.latencies_ms) == {"decode", "preprocess", "model", "aggregate", "total"}
    assert result.latencies_ms["model"] >= 40
    assert result.latencies_ms["total"] >= result.latencies_ms["model"]
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 6


def test_a_stage_may_finish_early(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("silent")
    result = Toy([]).analyze(tmp_path / "s")
    assert result.status == ModalityStatus.no_signal
    assert set(result.latencies_ms) == {"decode", "total"}


def test_media_rejected_speaks_the_catalogue() -> None:
    error = MediaRejected("media_too_large", "too big", 400)
    assert error.type is ErrorType.payload_too_large and error.status_code == 413
    assert MediaRejected(ErrorType.corrupt_media, "bad").status_code == 422
    with pytest.raises(ValueError, match=r"not in dd_contracts\.catalogue"):
        MediaRejected("made_up_type", "nope")


def test_work_of_a_later_stage_done_early_is_charged_to_that_stage() -> None:
    run = StageRun({"forward": "model"}, {}, None)
    with run.stage("preprocess"):
        time.sleep(0.05)
        with run.doing("forward"):
            time.sleep(0.2)
    with run.stage("forward"):
        time.sleep(0.05)
    ms = run.latencies_ms()
    assert 40 <= ms["preprocess"] < 150, ms  # its own 50 ms, not the 200 ms lent out
    assert ms["model"] >= 240, ms  # 200 ms done early + 50 ms in its own stage

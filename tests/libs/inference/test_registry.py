"""The detector registry: names, kinds, options, and the mistakes it refuses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from dd_contracts import ModelInfo, WeightsState
from dd_inference import (
    Detector,
    DetectorConfigError,
    DetectorContext,
    DetectorKind,
    DetectorRegistry,
)
from dd_inference.weights import WeightFile


class Echo(Detector[float, float]):
    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            name="echo", version="1", weights=WeightsState.real, framework="none", task="t"
        )

    def _load(self) -> None:
        pass

    def _predict(self, inputs: Sequence[float]) -> list[float]:
        return [x * self.gain for x in inputs]


class EchoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gain: float = 1.0


@pytest.fixture
def registry() -> DetectorRegistry:
    registry = DetectorRegistry()

    @registry.register("echo-one", kind=DetectorKind.audio_window, options=EchoOptions)
    def _echo(_: DetectorContext, options: EchoOptions) -> Echo:
        """An echo."""
        return Echo(options.gain)

    return registry


def context(registry: DetectorRegistry) -> DetectorContext:
    return DetectorContext(Path("."), 1, registry)


def test_names_are_normalised_and_options_parsed(registry: DetectorRegistry) -> None:
    assert registry.names() == ["echo_one"]
    assert registry.get("ECHO-ONE").summary == "An echo."
    (plugged,) = registry.build_all(
        ["Echo-One"], context(registry), {"echo_one": {"gain": "2.5"}}
    )  # strings, as they come from environment variables
    assert plugged.kind is DetectorKind.audio_window
    plugged.detector.load()
    assert plugged.detector.predict_batch([2.0]) == [5.0]


@pytest.mark.parametrize(
    ("names", "options", "message"),
    [
        (["echo_two"], {}, "no detector named"),
        (["echo_one", "echo-one"], {}, "listed twice"),
        (["echo_one"], {"echo_one": {"gian": 2}}, "unknown"),
        (["echo_one"], {"echo_one": {"gain": "loud"}}, "options for detector"),
        ([], {"echo_one": {"gain": 2}}, "not enabled"),
    ],
)
def test_configuration_mistakes_are_refused(
    registry: DetectorRegistry, names: list[str], options: dict, message: str
) -> None:
    with pytest.raises(DetectorConfigError, match=message):
        registry.build_all(names, context(registry), options)


def test_kind_the_service_cannot_use_is_refused(registry: DetectorRegistry) -> None:
    with pytest.raises(DetectorConfigError, match="plugs in only"):
        registry.build_all(["echo_one"], context(registry), accepts={DetectorKind.face_detector})


def test_duplicate_registration_is_refused(registry: DetectorRegistry) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register("echo_one", kind=DetectorKind.audio_window)(lambda c, o: Echo(1.0))


def test_weight_files_are_located_from_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(
        '{"files": [{"name": "thing", "file": "x/thing.bin", "sha256": "00"}]}'
    )
    assert WeightFile.named(tmp_path, "thing").relative_path == "x/thing.bin"
    assert WeightFile.named(tmp_path, "other", "y/other.bin").relative_path == "y/other.bin"
    # The repository's manifest answers for folders without one (a Docker volume).
    bare = tmp_path / "bare"
    bare.mkdir()
    assert WeightFile.named(bare, "aasist").relative_path == "aasist/AASIST.pth"
    with pytest.raises(ValueError, match="lists no weight file"):
        WeightFile.named(bare, "nothing-of-that-name")

"""The staged analyzer every service is built on: decode -> preprocess -> forward ->
aggregate, in the manner of transformers' Pipeline (preprocess/_forward/postprocess) and
KServe's model server (preprocess/predict/postprocess).

The base class owns what was three hand-written styles before: it times every stage into
``latencies_ms`` (plus ``total``), reports progress through one callback, lists the models
of every detector it was given, and loads and warms them in order. A service writes only
the four stage methods. Stages keep their service's words in ``latencies_ms`` (the image
service's ``forward`` is reported as ``classify``) through ``stage_labels``.

Any stage may return a finished ``ModalityResult`` instead of its usual output (a video
without a sound track, for instance): the remaining stages are skipped and the result is
timed and returned as is.

A calibration file given with ``use_calibration`` (the service loads it at start-up) is
applied to every finished result (``dd_inference.calibrated``): calibrated P(fake),
confidence following the measured reliability in the media's condition, and the file's
version in the scoring models' ``calibration`` (null without one).
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from dd_contracts import Modality, ModalityResult, ModelInfo, WeightsState
from dd_inference.calibrated import ScoreCalibration, calibrate_result, covers, stamp
from dd_inference.pipeline import ProgressCallback
from dd_inference.registry import DetectorKind, Plugged

STAGES = ("decode", "preprocess", "forward", "aggregate")
DEFAULT_SHARES: Mapping[str, float] = {
    "decode": 0.1,
    "preprocess": 0.3,
    "forward": 0.55,
    "aggregate": 0.05,
}

T = TypeVar("T")
DecodedT = TypeVar("DecodedT")
PreparedT = TypeVar("PreparedT")
ScoredT = TypeVar("ScoredT")


def counts(info: ModelInfo) -> bool:
    """Whether a detector's numbers may enter a verdict: only real weights do."""
    return info.weights == WeightsState.real


class StageRun:
    """Timing and progress of one analysis. Thread-safe: work done in a helper thread
    (a decoder running ahead) is charged with ``charge``."""

    def __init__(
        self,
        labels: Mapping[str, str],
        shares: Mapping[str, float],
        progress: ProgressCallback | None,
    ) -> None:
        self._labels = labels
        total = sum(shares.get(s, 0.0) for s in STAGES) or 1.0
        self._shares = {s: shares.get(s, 0.0) / total for s in STAGES}
        self._progress = progress
        self._seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._base = 0.0
        self._stage: str | None = None
        self._lent = 0.0
        self._reported = -1.0
        self.started = time.perf_counter()

    def label(self, stage: str) -> str:
        return self._labels.get(stage, stage)

    def charge(self, stage: str, seconds: float) -> None:
        """Add ``seconds`` to ``stage`` (a canonical stage or any extra label)."""
        key = self.label(stage)
        with self._lock:
            self._seconds[key] = self._seconds.get(key, 0.0) + seconds

    @contextmanager
    def stage(self, stage: str) -> Iterator[None]:
        self._stage = stage
        started = time.perf_counter()
        self._lent = 0.0
        try:
            yield
        finally:
            # Time spent inside ``doing`` blocks was charged to their own stage.
            self.charge(stage, time.perf_counter() - started - self._lent)
            self._base += self._shares.get(stage, 0.0)
            self._stage = None
            self.report(self._base)

    @contextmanager
    def doing(self, stage: str) -> Iterator[None]:
        """Charge the block to ``stage`` although it runs inside the current one (work of
        a later stage done early, e.g. classifying crops while the decoder catches up)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.charge(stage, spent)
            self._lent += spent

    def advance(self, done: float, total: float) -> None:
        """Progress within the current stage: ``done`` of ``total`` units."""
        share = self._shares.get(self._stage or "", 0.0)
        fraction = min(1.0, max(0.0, done / total)) if total > 0 else 1.0
        self.report(self._base + share * fraction)

    def report(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if self._progress is not None and fraction > self._reported:
            self._reported = fraction
            self._progress(fraction)

    def timed(self, stage: str, items: Iterator[T]) -> Iterator[T]:
        """Yield from ``items``, charging the time spent producing each to ``stage``
        (for generators whose work happens lazily, maybe in another thread)."""
        while True:
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                self.charge(stage, time.perf_counter() - started)
                return
            self.charge(stage, time.perf_counter() - started)
            yield item

    def latencies_ms(self) -> dict[str, float]:
        with self._lock:
            out = {k: round(v * 1000.0, 2) for k, v in self._seconds.items()}
        out["total"] = round((time.perf_counter() - self.started) * 1000.0, 2)
        return out


class StagedAnalyzer(abc.ABC, Generic[DecodedT, PreparedT, ScoredT]):
    """Base of the image, audio and video analyzers (implements dd_inference.Analyzer).

    Subclasses set ``modality`` and ``accepts`` (the detector kinds they plug in), and may
    rename stages in ``stage_labels`` and weight the progress bar in ``progress_shares``.
    """

    modality: ClassVar[Modality]
    accepts: ClassVar[frozenset[DetectorKind]]
    stage_labels: ClassVar[Mapping[str, str]] = {}
    progress_shares: ClassVar[Mapping[str, float]] = DEFAULT_SHARES

    def __init__(self, detectors: Sequence[Plugged]) -> None:
        refused = [p.name for p in detectors if p.kind not in self.accepts]
        if refused:
            raise ValueError(f"{type(self).__name__} cannot use detectors {refused}")
        self.plugged = list(detectors)
        self.calibration: ScoreCalibration | None = None

    # -- calibration ---------------------------------------------------------------------
    def use_calibration(self, calibration: ScoreCalibration | None) -> None:
        """Apply this calibration to every result from now on (None: none)."""
        self.calibration = calibration

    @property
    def calibrated(self) -> bool:
        """Whether a calibration for this modality is loaded."""
        return covers(self.calibration, str(self.modality))

    @property
    def scoring_models(self) -> list[ModelInfo]:
        """The models whose scores make the result (face detectors only find faces)."""
        return [
            info
            for p in self.plugged
            if p.kind is not DetectorKind.face_detector
            for info in p.detector.components
        ]

    # -- detectors -----------------------------------------------------------------------
    def of_kind(self, kind: DetectorKind) -> list[Plugged]:
        return [p for p in self.plugged if p.kind == kind]

    def load(self) -> None:
        """Load every detector, in the order given (torch before TensorFlow: see
        dd_face.mesonet). Raises WeightsMissing when a weight file is absent."""
        for plugged in self.plugged:
            plugged.detector.load()

    def warmup(self) -> None:
        self.load()
        for plugged in self.plugged:
            plugged.detector.warmup()

    @property
    def models(self) -> list[ModelInfo]:
        """Every model, the scoring ones stamped with the calibration version (or null)."""
        models = [info for p in self.plugged for info in p.detector.components]
        version = self.calibration.version if self.calibrated and self.calibration else None
        return stamp(models, version, {m.name for m in self.scoring_models})

    # -- the four stages ---------------------------------------------------------------------
    @abc.abstractmethod
    def decode(self, path: Path, run: StageRun) -> DecodedT | ModalityResult:
        """File -> decoded media (raises MediaRejected for bad input)."""

    @abc.abstractmethod
    def preprocess(self, decoded: DecodedT, run: StageRun) -> PreparedT | ModalityResult:
        """Decoded media -> the detectors' inputs (faces found and cropped, windows cut)."""

    @abc.abstractmethod
    def forward(self, prepared: PreparedT, run: StageRun) -> ScoredT | ModalityResult:
        """Run the scoring detectors."""

    @abc.abstractmethod
    def aggregate(
        self, decoded: DecodedT, prepared: PreparedT, scored: ScoredT, run: StageRun
    ) -> ModalityResult:
        """Scores -> one ModalityResult with evidence, flags and confidence."""

    # -- the driver ----------------------------------------------------------------------
    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        self.load()
        run = StageRun(self.stage_labels, self.progress_shares, progress)
        outputs: list[Any] = []
        steps = (
            ("decode", lambda: self.decode(Path(path), run)),
            ("preprocess", lambda: self.preprocess(outputs[0], run)),
            ("forward", lambda: self.forward(outputs[1], run)),
            ("aggregate", lambda: self.aggregate(outputs[0], outputs[1], outputs[2], run)),
        )
        result: ModalityResult | None = None
        for stage, step in steps:
            with run.stage(stage):
                out = step()
            if isinstance(out, ModalityResult):
                result = out
                break
            outputs.append(out)
        assert result is not None  # aggregate always returns a ModalityResult
        return self._finish(result, run)

    def _finish(self, result: ModalityResult, run: StageRun) -> ModalityResult:
        if not result.models:
            result.models = self.models
        calibrate_result(result, self.calibration)
        result.latencies_ms = {**run.latencies_ms(), **result.latencies_ms}
        run.report(1.0)
        return result

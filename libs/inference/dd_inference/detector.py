"""The detector contract: load(), warmup(), predict_batch(), info.

A detector is plain Python: it knows nothing about HTTP. Services wrap one or more
detectors behind a single FastAPI dependency.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Generic, TypeVar

from dd_contracts import ModelInfo

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")


class WeightsMissing(RuntimeError):
    """The weight file a detector needs is not on disk (run `make models`)."""


class DetectorNotLoaded(RuntimeError):
    """predict_batch() was called before load()."""


class Detector(abc.ABC, Generic[InputT, ResultT]):
    """Base class for every model the services run."""

    def __init__(self) -> None:
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    @abc.abstractmethod
    def info(self) -> ModelInfo:
        """Name, version, SHA-256 and weight state; valid before and after load()."""

    @property
    def components(self) -> list[ModelInfo]:
        """Every model this detector reports: itself, and for a composite (an ensemble)
        each member first. Listed in /v1/model and in each result."""
        return [self.info]

    @abc.abstractmethod
    def _load(self) -> None:
        """Build the model and read its weights. Raise WeightsMissing if they are absent."""

    @abc.abstractmethod
    def _predict(self, inputs: Sequence[InputT]) -> list[ResultT]:
        """Score a batch; len(result) == len(inputs)."""

    def load(self) -> None:
        if not self._loaded:
            self._load()
            self._loaded = True

    def warmup(self) -> None:
        """Run one representative batch so the first user request does not pay for
        graph building, allocator growth or lazy imports. Override to give an input."""

    def predict_batch(self, inputs: Sequence[InputT]) -> list[ResultT]:
        if not self._loaded:
            raise DetectorNotLoaded(f"{self.info.name}: call load() first")
        if not inputs:
            return []
        results = self._predict(inputs)
        if len(results) != len(inputs):
            raise RuntimeError(f"{self.info.name}: {len(inputs)} inputs, {len(results)} results")
        return results

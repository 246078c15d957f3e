"""Shared by tests/services/*/test_calibration.py: a toy detector with a fixed score, a
calibration file written by hand in dd_eval's format, and fusion run in-process on a
service's result the way the gateway feeds it."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dd_contracts import ModelInfo, WeightsState
from dd_fusion.app import create_app as create_fusion_app
from dd_fusion.settings import FusionSettings
from dd_inference import Detector

RELIABILITY_REASON = "real media in this condition is misjudged 40 % of the time (test)"


class FixedScore(Detector[Any, float]):
    """Answers the same P(fake) for every input, so a test can predict the calibrated one."""

    def __init__(self, name: str, p: float) -> None:
        super().__init__()
        self.name, self.p = name, p

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name, version="1", weights=WeightsState.real, framework="none", task="toy"
        )

    def _load(self) -> None:
        pass

    def _predict(self, inputs: Sequence[Any]) -> list[float]:
        return [self.p] * len(inputs)


def platt(p: float, a: float, b: float) -> float:
    """What dd_eval's Platt map gives, computed independently here."""
    z = math.log(p / (1 - p))
    return 1 / (1 + math.exp(-(a * z + b)))


def write_calibration(
    path: Path,
    modality: str,
    models: list[str],
    conditions: Mapping[str, Mapping[str, Any]],
    default: Mapping[str, Any] | None = None,
    aggregation: Mapping[str, Any] | None = None,
    version: str = "cal-test-1",
) -> str:
    """A calibration file in dd_eval.calibration's format (format 1), written by hand."""
    body = {
        "format": 1,
        "version": version,
        "created": "2026-12-07T00:00:00Z",
        "data_hash": "test",
        "floor": 0.02,
        "detectors": {
            modality: {
                "method": "platt",
                "models": models,
                "default": dict(default or {"method": "platt", "a": 1.0, "b": -2.0}),
                "conditions": {k: dict(v) for k, v in conditions.items()},
            }
        },
        "aggregation": {modality: dict(aggregation)} if aggregation else {},
    }
    path.write_text(json.dumps(body))
    return version


def unreliable(a: float = 1.0, b: float = 0.0) -> dict[str, Any]:
    """A condition entry whose measured false-alarm rate is above the floor."""
    return {
        "method": "platt",
        "a": a,
        "b": b,
        "false_alarm_rate": 0.4,
        "confidence_factor": 0.05,
        "reason": RELIABILITY_REASON,
    }


def wait_ready(client: TestClient, ready: bool = True, timeout_s: float = 60) -> dict[str, Any]:
    """Poll /readyz until it says ``ready`` (or, for ready=False, until loading ended with
    a reason other than the loading ones). Returns the readiness body."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get("/readyz")
        body: dict[str, Any] = response.json()
        if ready and response.status_code == 200:
            return body
        if not ready and body["reason"] not in ("loading models", "warming up"):
            assert response.status_code == 503
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def fuse(result: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict fusion gives one service's result, built into a score as the gateway
    builds it (gateway/dd_gateway/analyses/runner.py)."""
    score = {
        key: result[key]
        for key in ("modality", "status", "fake_probability", "confidence", "reason", "reliable")
    }
    with TestClient(create_fusion_app(FusionSettings(json_logs=False))) as client:
        response = client.post("/v1/fuse", json={"scores": [score]})
    assert response.status_code == 200, response.json()
    verdict: dict[str, Any] = response.json()
    return verdict


def scoring_calibration(models: list[dict[str, Any]], name: str) -> str | None:
    return next(m["calibration"] for m in models if m["name"] == name)

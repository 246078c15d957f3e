"""The HTTP shape every inference service shares (image, audio, video).

Routes never touch model code directly: they get the service's Analyzer through one
dependency, which also refuses work until the weights are loaded and warmed up.
"""

# No `from __future__ import annotations`: FastAPI must see the closure dependency.

import asyncio
import logging
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse

from dd_contracts import ModalityResult, ModelInfo, Progress, Readiness
from dd_inference import Analyzer, WeightsMissing
from dd_service_kit.app import base_app
from dd_service_kit.errors import AppError, error_responses
from dd_service_kit.request_id import current_request_id
from dd_service_kit.settings import AppSettings

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


class InferenceSettings(AppSettings):
    models_dir: Path = Path(__file__).resolve().parents[3] / "models"
    threads: int = 2
    max_upload_bytes: int = 100 * 1024 * 1024
    # Requests allowed to wait for the model beyond the one running; more get 503.
    max_waiting: int = 8
    tmp_dir: Path | None = None


class ServiceError(AppError):
    """Base of the errors an inference service raises itself."""


class ModelState:
    """Loads and warms the analyzer in a background thread so /healthz answers at once
    and /readyz says 503 (with the reason) until the models are usable."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.ready = False
        self.reason: str | None = "loading models"
        # Filled by the loader thread only: the analyzer is never touched concurrently
        # (its `models` may import lazily, which races with load() in another thread).
        self.models: list[ModelInfo] = []
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._load, name="model-loader", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            self.models = self.analyzer.models
            self.analyzer.load()
            self.reason = "warming up"
            self.analyzer.warmup()
        except WeightsMissing as exc:
            self.models = self.analyzer.models
            self.reason = f"weights missing: {exc}"
            log.error("models not loaded", extra={"reason": self.reason})
            return
        except Exception as exc:
            self.reason = f"model load failed: {exc!r}"
            log.exception("model load failed")
            return
        self.models = self.analyzer.models
        self.ready, self.reason = True, None
        log.info("models ready", extra={"load_s": round(time.perf_counter() - started, 2)})

    def readiness(self, service: str) -> Readiness:
        return Readiness(ready=self.ready, service=service, reason=self.reason, models=self.models)


class ProgressBoard:
    """Fraction done per in-flight request id (read by the gateway for progress bars)."""

    def __init__(self) -> None:
        self._fractions: dict[str, float] = {}

    def update(self, request_id: str, fraction: float) -> None:
        self._fractions[request_id] = min(1.0, max(0.0, fraction))

    def get(self, request_id: str) -> float | None:
        return self._fractions.get(request_id)

    def finish(self, request_id: str) -> None:
        self._fractions.pop(request_id, None)


def create_inference_app(
    *,
    service: str,
    version: str,
    description: str,
    settings: InferenceSettings,
    analyzer: Analyzer,
) -> FastAPI:
    state = ModelState(analyzer)
    progress = ProgressBoard()
    # One analysis at a time: each uses every core we were given; more would only thrash.
    limiter = anyio.CapacityLimiter(1)
    waiting = 0

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.start()
        yield

    app = base_app(
        service=service,
        version=version,
        settings=settings,
        description=description,
        lifespan=lifespan,
    )
    app.state.model_state = state

    def ready_analyzer() -> Analyzer:
        """The single dependency through which routes reach model code."""
        if not state.ready:
            raise ServiceError(
                f"{service} is not ready: {state.reason}",
                type="not_ready",
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return state.analyzer

    @app.get(
        "/readyz",
        response_model=Readiness,
        operation_id="readyz",
        tags=["ops"],
        responses={503: {"model": Readiness, "description": "Models not loaded yet"}},
    )
    def readyz() -> JSONResponse:
        """Ready: weights loaded and warmed up. 503 with the reason until then."""
        body = state.readiness(service)
        return JSONResponse(status_code=200 if body.ready else 503, content=body.model_dump())

    @app.get("/v1/model", response_model=Readiness, operation_id="getModels", tags=["models"])
    def models() -> Readiness:
        """The models this service runs: name, version, SHA-256, weight state."""
        return state.readiness(service)

    @app.get(
        "/v1/progress/{request_id}",
        response_model=Progress,
        operation_id="getProgress",
        tags=["analysis"],
        responses=error_responses(404),
    )
    def get_progress(request_id: str) -> Progress:
        fraction = progress.get(request_id)
        if fraction is None:
            raise ServiceError(
                "No analysis in flight with that request id.", type="not_found", status_code=404
            )
        return Progress(request_id=request_id, fraction=fraction, state="running")

    @app.post(
        "/v1/analyze",
        response_model=ModalityResult,
        operation_id="analyze",
        tags=["analysis"],
        responses=error_responses(400, 413, 415, 422, 503),
    )
    async def analyze(
        request: Request,
        file: Annotated[UploadFile, File(description="The media file")],
        model: Annotated[Analyzer, Depends(ready_analyzer)],
    ) -> ModalityResult:
        """Judge one file of this service's modality."""
        nonlocal waiting
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + 65536:
            raise _too_large(settings.max_upload_bytes)
        if waiting > settings.max_waiting:
            raise ServiceError(
                f"{service} is busy; try again shortly.",
                type="busy",
                status_code=503,
                headers={"Retry-After": "2"},
            )
        request_id = current_request_id() or "unknown"
        waiting += 1
        try:
            with tempfile.TemporaryDirectory(dir=settings.tmp_dir, prefix=f"{service}-") as tmp:
                path = Path(tmp) / "upload"
                await _save_upload(file, path, settings.max_upload_bytes)

                def report(fraction: float) -> None:
                    progress.update(request_id, fraction)

                def run() -> ModalityResult:
                    return model.analyze(path, progress=report)

                progress.update(request_id, 0.0)
                try:
                    result = await anyio.to_thread.run_sync(run, limiter=limiter)
                finally:
                    progress.finish(request_id)
        finally:
            waiting -= 1
        app.state.metrics.observe_stages(result.latencies_ms)
        return result

    return app


def _too_large(limit: int) -> ServiceError:
    return ServiceError(
        f"The file is larger than this service's limit of {limit // (1024 * 1024)} MiB.",
        type="media_too_large",
        status_code=413,
    )


async def _save_upload(upload: UploadFile, path: Path, limit: int) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            out.write(chunk)
            await asyncio.sleep(0)

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
from typing import Annotated, Any, ClassVar

import anyio
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from dd_contracts import ModalityResult, ModelInfo, Progress, Readiness
from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_inference import REGISTRY, Analyzer, DetectorContext, DetectorKind, Plugged, WeightsMissing
from dd_inference.calibrated import CalibrationInvalid, fitted_models_problem, load_calibration
from dd_inference.registry import import_detector_modules, normalise
from dd_service_kit.app import base_app
from dd_service_kit.errors import AppError, error_responses
from dd_service_kit.request_id import current_request_id
from dd_service_kit.settings import AppSettings

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


def shared_limits() -> MediaLimits:
    """The limits table the gateway also enforces (DD_LIMIT_* variables)."""
    return MediaLimits.from_env()


class InferenceSettings(AppSettings):
    """Settings every inference service shares; each subclasses with its prefix.

    Detectors are enabled by registry name and configured per detector, e.g. for the
    image service ``IMAGE_DETECTORS=mtcnn,mesonet_ensemble`` and
    ``IMAGE_DETECTOR_OPTIONS__MTCNN__MIN_CONFIDENCE=0.95``. Limits default to the shared
    table (``DD_LIMIT_*``); a service variable such as ``IMAGE_MAX_UPLOAD_BYTES`` still
    overrides it for that service alone.
    """

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    models_dir: Path = Path(__file__).resolve().parents[3] / "models"
    threads: int = 2
    max_upload_bytes: int = Field(default_factory=lambda: shared_limits().max_upload_bytes)
    # Requests allowed to wait for the model beyond the one running; more get 503.
    max_waiting: int = 8
    tmp_dir: Path | None = None
    detectors: Annotated[list[str], NoDecode] = Field(default_factory=list)
    detector_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Modules to import before building, so out-of-tree detectors can register.
    detector_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # <SERVICE>_CALIBRATION_FILE: the file `dfd calibrate` writes. Loaded and checked at
    # start-up; a bad file keeps the service not ready (/readyz says why). Unset: scores
    # are served uncalibrated and every result says so.
    calibration_file: Path | None = None

    # Per-service defaults for detector options (settings given by the user win, key by
    # key): the same MTCNN is configured differently for stills and for video.
    default_detector_options: ClassVar[dict[str, dict[str, Any]]] = {}

    @field_validator("detectors", "detector_modules", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("calibration_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # compose passes AUDIO_CALIBRATION_FILE= when the variable is unset
        return None if isinstance(value, str) and not value.strip() else value

    def enabled_detectors(self) -> list[str]:
        """The detectors to build, in load order. Services with face classifiers put
        their ``face_detector`` setting first when the list names no face detector, so
        ``IMAGE_DETECTORS=mesonet_ensemble`` is enough."""
        names = [normalise(n) for n in self.detectors]
        face_detector = getattr(self, "face_detector", None)
        if face_detector:
            kinds = {REGISTRY.get(n).kind for n in names}
            if DetectorKind.face_classifier in kinds and DetectorKind.face_detector not in kinds:
                names.insert(0, normalise(face_detector))
        return names

    def detector_option_table(self, enabled: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Options per enabled detector: the service's defaults, then the user's."""
        enabled_set = set(self.enabled_detectors() if enabled is None else enabled)
        table = {
            normalise(k): dict(v)
            for k, v in self.default_detector_options.items()
            if normalise(k) in enabled_set  # defaults for detectors left off are not an error
        }
        for name, values in self.detector_options.items():
            table.setdefault(normalise(name), {}).update(values)
        return table

    def build_detectors(self, accepts: frozenset[DetectorKind]) -> list[Plugged]:
        """The enabled detectors, built through the registry with their options."""
        import_detector_modules(self.detector_modules)
        context = DetectorContext(Path(self.models_dir), self.threads, REGISTRY)
        names = self.enabled_detectors()
        return REGISTRY.build_all(names, context, self.detector_option_table(names), accepts)


class ModelState:
    """Loads and warms the analyzer in a background thread so /healthz answers at once
    and /readyz says 503 (with the reason) until the models are usable."""

    def __init__(self, analyzer: Analyzer, calibration_file: Path | None = None) -> None:
        self.analyzer = analyzer
        self.calibration_file = calibration_file
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
            self._load_calibration()
            self.models = self.analyzer.models
            self.analyzer.load()
            self.reason = "warming up"
            self.analyzer.warmup()
            self._check_calibration()
        except CalibrationInvalid as exc:
            self.models = self.analyzer.models
            self.reason = f"calibration file unusable: {exc}"
            log.error("calibration not loaded", extra={"reason": self.reason})
            return
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

    def _load_calibration(self) -> None:
        if self.calibration_file is None:
            return
        use = getattr(self.analyzer, "use_calibration", None)
        if use is None:
            raise CalibrationInvalid(f"{type(self.analyzer).__name__} cannot apply a calibration")
        calibration = load_calibration(self.calibration_file)
        use(calibration)
        modality = str(getattr(self.analyzer, "modality", ""))
        if modality not in calibration.detectors:
            # Served uncalibrated (and saying so in every result), not refused: one file
            # may be given to every service before all modalities have a corpus.
            log.warning(
                "calibration file has no entry for this modality",
                extra={"file": str(self.calibration_file), "modality": modality},
            )
        log.info("calibration loaded", extra={"version": calibration.version})

    def _check_calibration(self) -> None:
        """After loading: the file must have been fitted on the models that now score."""
        calibration = getattr(self.analyzer, "calibration", None)
        if calibration is None:
            return
        problem = fitted_models_problem(
            calibration,
            str(getattr(self.analyzer, "modality", "")),
            getattr(self.analyzer, "scoring_models", []),
        )
        if problem:
            raise CalibrationInvalid(problem)

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
    state = ModelState(analyzer, settings.calibration_file)
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
            raise AppError(
                f"{service} is not ready: {state.reason}",
                type=ErrorType.not_ready,
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
            raise AppError("No analysis in flight with that request id.", type=ErrorType.not_found)
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
            raise AppError(
                f"{service} is busy; try again shortly.",
                type=ErrorType.busy,
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


def _too_large(limit: int) -> AppError:
    return AppError(
        f"The file is larger than this service's limit of {limit // (1024 * 1024)} MiB.",
        type=ErrorType.payload_too_large,
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

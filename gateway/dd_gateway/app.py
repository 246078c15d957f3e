"""Gateway HTTP layer: upload, sniff, validate, queue, answer; history, events, reports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import AnyHttpUrl

from dd_contracts import (
    Analysis,
    AnalysisAccepted,
    AnalysisStatus,
    ErrorBody,
    MediaInfo,
    MediaKind,
    Modality,
    Readiness,
    ServiceStatus,
    VerdictLabel,
)
from dd_contracts.analysis import AnalysisEvent
from dd_gateway import __version__
from dd_gateway.auth import Authenticator
from dd_gateway.backends import FusionClient, ServiceClient
from dd_gateway.callbacks import deliver
from dd_gateway.catalog import ModelCatalog
from dd_gateway.db import make_engine, migrate
from dd_gateway.errors import GatewayError
from dd_gateway.events import TERMINAL, EventHub, sse
from dd_gateway.gateway_metrics import GatewayMetrics
from dd_gateway.jobs import Job, SqlJobStore
from dd_gateway.keys import KeyStore
from dd_gateway.ratelimit import RateLimiter
from dd_gateway.report import render_html
from dd_gateway.runner import AnalysisRunner
from dd_gateway.settings import GatewaySettings
from dd_gateway.sniff import sniff
from dd_gateway.storage import MediaStore
from dd_gateway.upload import receive_upload
from dd_gateway.validate import check_image_header
from dd_gateway.worker import WorkerPool
from dd_service_kit import base_app, current_request_id, error_responses

log = logging.getLogger(__name__)
CACHE_HEADER = "X-DD-Cache"
_RETENTION_SWEEP_S = 3600.0

_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "Photo, voice clip or video",
                    }
                },
            }
        }
    },
}


def _not_found() -> GatewayError:
    return GatewayError("No analysis with that id.", type="not_found", status_code=404)


def create_app(
    settings: GatewaySettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`transport` lets tests route the gateway's outgoing calls to in-process apps."""
    settings = settings or GatewaySettings()
    engine = make_engine(settings.resolved_database_url())
    migrate(engine)
    store = SqlJobStore(engine)
    keys = KeyStore(engine)
    media = MediaStore(settings.data_dir)
    hub = EventHub()

    def new_http_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(limits=httpx.Limits(max_connections=64), transport=transport)

    http = new_http_client()
    timeouts = {
        Modality.image: settings.image_timeout_s,
        Modality.audio: settings.audio_timeout_s,
        Modality.video: settings.video_timeout_s,
    }
    urls = {
        Modality.image: settings.image_url,
        Modality.audio: settings.audio_url,
        Modality.video: settings.video_url,
    }
    services = {m: ServiceClient(m, urls[m], timeouts[m], settings, http) for m in Modality}
    fusion = FusionClient(settings.fusion_url, settings.fusion_timeout_s, http)
    catalog = ModelCatalog(services)
    background: set[asyncio.Task[None]] = set()

    async def on_finished(job: Job) -> None:
        metrics.finished(job.analysis)
        if job.callback_url and settings.callback_secret:
            task = asyncio.create_task(_callback(job))
            background.add(task)
            task.add_done_callback(background.discard)

    async def _callback(job: Job) -> None:
        assert job.callback_url and settings.callback_secret
        delivered = await deliver(
            http,
            job.callback_url,
            job.analysis,
            settings.callback_secret,
            settings.callback_attempts,
            settings.callback_backoff_s,
            settings.callback_timeout_s,
        )
        metrics.callbacks.labels("delivered" if delivered else "gave_up").inc()

    pool = WorkerPool(
        store,
        AnalysisRunner(services, fusion, hub.publish),
        hub,
        owner=settings.replica_id,
        workers=settings.max_running_jobs,
        capacity=settings.max_queued_jobs,
        poll_s=settings.claim_poll_s,
        on_finished=on_finished,
    )

    def purge_old_media() -> int:
        cutoff = datetime.now(UTC) - timedelta(days=settings.media_retention_days)
        purged = 0
        for job in store.finished_before(cutoff):
            if job.media_path.exists() and not store.media_needed(job.media_path, cutoff):
                media.delete(job.media_path)
                purged += 1
        return purged

    async def retention_sweeper() -> None:
        while True:
            purged = purge_old_media()
            if purged:
                log.info("purged media past retention", extra={"files": purged})
            await asyncio.sleep(_RETENTION_SWEEP_S)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal http
        if http.is_closed:  # the app is started again (tests, embedding servers)
            http = new_http_client()
            fusion.client = http
            for client in services.values():
                client.client = http
        failed, queued = store.recover(settings.replica_id)
        if failed or queued:
            log.warning(
                "recovered jobs after restart",
                extra={"failed_interrupted": failed, "resumed_queued": queued},
            )
        for job_id in failed:
            job = store.get(job_id)
            if job is not None:
                await on_finished(job)
        pool.start()
        sweeper = asyncio.create_task(retention_sweeper())
        yield
        sweeper.cancel()
        await pool.stop()
        for task in list(background):
            task.cancel()
        await asyncio.gather(sweeper, *background, return_exceptions=True)
        await http.aclose()
        engine.dispose()

    app = base_app(
        service="gateway",
        version=__version__,
        settings=settings,
        description="DeepfakeDetective: upload a photo, voice clip or video; get a verdict "
        "with calibrated probabilities and the evidence behind it.",
        lifespan=lifespan,
    )
    metrics = GatewayMetrics(app.state.metrics)
    metrics.watch(
        pool.store.count_queued,
        lambda: len(pool.live),
        {m.value: (lambda c=c: c.breaker.state) for m, c in services.items()},
    )
    app.state.jobs = store
    app.state.pool = pool
    app.state.keys = keys
    app.state.services = services
    app.state.purge_old_media = purge_old_media

    authenticate = Authenticator(
        keys,
        RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        settings.require_keys,
    )
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])
    guarded = error_responses(401, 429)

    @app.get(
        "/readyz",
        response_model=Readiness,
        operation_id="readyz",
        tags=["ops"],
        responses={503: {"model": Readiness}},
    )
    async def readyz() -> JSONResponse:
        """Ready when the fusion service answers (without it there is no verdict)."""
        status = await fusion.readiness()
        body = Readiness(ready=status.ready, service="gateway", reason=status.reason)
        return JSONResponse(status_code=200 if body.ready else 503, content=body.model_dump())

    @v1.get(
        "/services",
        response_model=list[ServiceStatus],
        operation_id="listServices",
        tags=["ops"],
        responses=guarded,
    )
    async def list_services() -> list[ServiceStatus]:
        """Each backend service: reachable, ready (weights loaded) and its models."""
        statuses = await asyncio.gather(
            *(client.readiness() for client in services.values()), fusion.readiness()
        )
        return list(statuses)

    @v1.get(
        "/model",
        response_model=Readiness,
        operation_id="getModels",
        tags=["ops"],
        responses=guarded,
    )
    async def models() -> Readiness:
        """Every model behind the gateway, across all services."""
        statuses = await asyncio.gather(*(client.readiness() for client in services.values()))
        all_models = [m for s in statuses for m in s.models]
        not_ready = [f"{s.name}: {s.reason}" for s in statuses if not s.ready]
        return Readiness(
            ready=not not_ready,
            service="gateway",
            reason="; ".join(not_ready) or None,
            models=all_models,
        )

    @v1.post(
        "/analyses",
        operation_id="createAnalysis",
        tags=["analyses"],
        status_code=202,
        response_model=AnalysisAccepted,
        responses={
            200: {
                "model": Analysis,
                "description": "Finished analysis (with ?wait=true, or a stored result for "
                f"the same bytes and model versions: header {CACHE_HEADER}: hit)",
            },
            **error_responses(400, 401, 413, 415, 422, 429, 503),
        },
        openapi_extra={"requestBody": _UPLOAD_BODY},
    )
    async def create_analysis(
        request: Request,
        wait: Annotated[bool, Query(description="Answer with the finished analysis")] = False,
        force: Annotated[
            bool, Query(description="Analyse again even if a stored result exists")
        ] = False,
        callback_url: Annotated[
            AnyHttpUrl | None,
            Query(description="POST the finished document here, signed (X-DD-Signature)"),
        ] = None,
    ) -> Response:
        """Upload a file (multipart field `file`) for analysis. The media kind is detected
        from its bytes. The upload is streamed to disk; past the size limit it is refused
        with 413 at once."""
        if callback_url is not None and not settings.callback_secret:
            raise GatewayError(
                "Callbacks are not enabled on this gateway (no callback secret is set).",
                type="callbacks_disabled",
                status_code=400,
            )
        t0 = time.perf_counter()
        upload = await receive_upload(request, media, settings.max_upload_bytes)
        stored = upload.stored
        try:
            sniffed = sniff(stored.path, stored.head)
            if sniffed.kind is MediaKind.image:
                check_image_header(stored.path, settings.max_image_pixels)
            cache_key = await catalog.cache_key(sniffed.kind, stored.sha256)
            if cache_key and not force and (hit := store.cached(cache_key)):
                metrics.cache_hits.inc()
                return JSONResponse(
                    status_code=200,
                    content=hit.analysis.model_dump(mode="json"),
                    headers={
                        CACHE_HEADER: "hit",
                        "Location": f"/v1/analyses/{hit.analysis.id}",
                    },
                )
            request_id = current_request_id() or uuid.uuid4().hex
            analysis = Analysis(
                id=uuid.uuid4().hex,
                status=AnalysisStatus.queued,
                created_at=datetime.now(UTC),
                media=MediaInfo(
                    kind=sniffed.kind,
                    mime=sniffed.mime,
                    format=sniffed.format,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    filename=upload.filename,
                ),
                latencies_ms={"upload_and_sniff": round((time.perf_counter() - t0) * 1000, 2)},
            )
            job = Job(
                analysis=analysis,
                media_path=stored.path,
                filename=upload.filename or "upload",
                request_id=request_id,
                cache_key=cache_key,
                callback_url=str(callback_url) if callback_url else None,
            )
            followers = hub.subscribe(analysis.id) if wait else None
            try:
                pool.submit(job)
            except GatewayError:
                if followers is not None:
                    hub.unsubscribe(analysis.id, followers)
                raise
        except GatewayError:
            if not store.media_needed(stored.path, None):
                media.delete(stored.path)
            raise
        location = f"/v1/analyses/{analysis.id}"
        if followers is not None:
            try:
                finished = await _wait_finished(analysis.id, followers)
            finally:
                hub.unsubscribe(analysis.id, followers)
            if finished is not None:
                return _finished(finished)
        accepted = AnalysisAccepted(id=analysis.id, status=analysis.status, location=location)
        return JSONResponse(
            status_code=202,
            content=accepted.model_dump(mode="json"),
            headers={"Location": location},
        )

    async def _wait_finished(
        analysis_id: str, followers: asyncio.Queue[AnalysisEvent]
    ) -> Job | None:
        """The finished job, from this process's events or, when another replica runs
        it, from the database; None after wait_timeout_s."""
        deadline = time.monotonic() + settings.wait_timeout_s
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                event = await asyncio.wait_for(
                    followers.get(), timeout=min(left, settings.claim_poll_s)
                )
                if event.event not in TERMINAL:
                    continue
            job = store.get(analysis_id)
            if job is None or job.analysis.status in (AnalysisStatus.done, AnalysisStatus.failed):
                return job
        return None

    @v1.get(
        "/analyses/{analysis_id}",
        response_model=Analysis,
        operation_id="getAnalysis",
        tags=["analyses"],
        responses=error_responses(401, 404, 429),
    )
    def get_analysis(analysis_id: str) -> Analysis:
        """The analysis document: queued, running (with progress), done or failed."""
        job = pool.current(analysis_id)
        if job is None:
            raise _not_found()
        return job.analysis

    @v1.delete(
        "/analyses/{analysis_id}",
        status_code=204,
        operation_id="deleteAnalysis",
        tags=["analyses"],
        responses=error_responses(401, 404, 409, 429),
    )
    def delete_analysis(analysis_id: str) -> Response:
        """Remove an analysis and its stored media (unless another analysis of the same
        bytes still needs them). A queued analysis is cancelled; a running one cannot be
        deleted until it ends (409)."""
        if analysis_id in pool.live:
            raise GatewayError(
                "The analysis is running; delete it once it has finished.",
                type="analysis_running",
                status_code=409,
            )
        job = store.delete(analysis_id)
        if job is None:
            raise _not_found()
        if not store.media_needed(job.media_path, None):
            media.delete(job.media_path)
        return Response(status_code=204)

    @v1.get(
        "/analyses",
        response_model=list[Analysis],
        operation_id="listAnalyses",
        tags=["analyses"],
        responses={
            200: {
                "description": "Newest first. X-Total-Count: how many match the filters.",
                "headers": {"X-Total-Count": {"schema": {"type": "integer"}}},
            },
            **guarded,
        },
    )
    def list_analyses(
        response: Response,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        kind: Annotated[MediaKind | None, Query(description="image, audio or video")] = None,
        verdict: Annotated[VerdictLabel | None, Query(description="fake, real, uncertain")] = None,
    ) -> list[Analysis]:
        """Past analyses with their full documents, newest first, paged."""
        page = store.page(
            limit, offset, kind.value if kind else None, verdict.value if verdict else None
        )
        response.headers["X-Total-Count"] = str(page.total)
        return [pool.live[a.id].analysis if a.id in pool.live else a for a in page.items]

    @v1.get(
        "/analyses/{analysis_id}/events",
        operation_id="streamAnalysisEvents",
        tags=["analyses"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-Sent Events; each `data:` line is an AnalysisEvent. "
                "Events: queued, started, progress, done (per modality), then fused or "
                "failed, after which the stream ends.",
                "content": {
                    "text/event-stream": {"schema": {"$ref": "#/components/schemas/AnalysisEvent"}}
                },
            },
            **error_responses(401, 404, 429),
        },
    )
    async def stream_events(analysis_id: str) -> StreamingResponse:
        """Follow an analysis live."""
        followers = hub.subscribe(analysis_id)
        job = pool.current(analysis_id)
        if job is None:
            hub.unsubscribe(analysis_id, followers)
            raise _not_found()
        return StreamingResponse(
            _event_stream(job, followers),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _event_stream(
        job: Job, followers: asyncio.Queue[AnalysisEvent]
    ) -> AsyncIterator[bytes]:
        analysis_id = job.analysis.id
        try:
            for event in _snapshot(job.analysis):
                yield sse(event)
                if event.event in TERMINAL:
                    return
            while True:
                try:
                    event = await asyncio.wait_for(followers.get(), settings.claim_poll_s)
                except TimeoutError:
                    latest = store.get(analysis_id)
                    if latest is None or latest.analysis.status in (
                        AnalysisStatus.done,
                        AnalysisStatus.failed,
                    ):
                        if latest is not None:
                            yield sse(_terminal(latest.analysis))
                        return
                    yield b": keep-alive\n\n"
                    continue
                yield sse(event)
                if event.event in TERMINAL:
                    return
        finally:
            hub.unsubscribe(analysis_id, followers)

    @v1.get(
        "/analyses/{analysis_id}/report",
        operation_id="getAnalysisReport",
        tags=["analyses"],
        response_model=Analysis,
        responses={
            200: {
                "description": "format=json: the document (as a download); format=html: a "
                "self-contained one-page report (prints to A4).",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            **error_responses(401, 404, 409, 429),
        },
    )
    def get_report(
        analysis_id: str,
        format: Annotated[Literal["html", "json"], Query(description="html or json")] = "html",
    ) -> Response:
        """Export a finished analysis: verdict, per-modality evidence, model versions."""
        job = pool.current(analysis_id)
        if job is None:
            raise _not_found()
        analysis = job.analysis
        if analysis.status not in (AnalysisStatus.done, AnalysisStatus.failed):
            raise GatewayError(
                "The analysis has not finished yet.", type="not_finished", status_code=409
            )
        disposition = f'attachment; filename="analysis-{analysis.id}.{format}"'
        if format == "json":
            return Response(
                analysis.model_dump_json(indent=2),
                media_type="application/json",
                headers={"Content-Disposition": disposition},
            )
        return HTMLResponse(render_html(analysis))

    app.include_router(v1)
    _complete_openapi(app)
    return app


_VALIDATION_ERROR_REF = "#/components/schemas/HTTPValidationError"


def _complete_openapi(app: FastAPI) -> None:
    """Two things FastAPI's generator cannot know: the SSE route names AnalysisEvent by
    reference (FastAPI only collects models used as JSON bodies), and our one error
    handler answers 422 with ErrorBody, not FastAPI's HTTPValidationError."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        event = AnalysisEvent.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in event.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas["AnalysisEvent"] = event
        for operation in (op for path in spec["paths"].values() for op in path.values()):
            invalid = operation["responses"].get("422", {})
            body = invalid.get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") == _VALIDATION_ERROR_REF:
                body["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas.setdefault(
            "ErrorBody",
            ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"),
        )
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _terminal(analysis: Analysis) -> AnalysisEvent:
    name: Literal["fused", "failed"] = (
        "fused" if analysis.status is AnalysisStatus.done else "failed"
    )
    return AnalysisEvent(event=name, analysis_id=analysis.id, analysis=analysis)


def _snapshot(analysis: Analysis) -> list[AnalysisEvent]:
    """What a follower who arrives late has missed, as events."""
    if analysis.status in (AnalysisStatus.done, AnalysisStatus.failed):
        return [_terminal(analysis)]
    events = [AnalysisEvent(event="queued", analysis_id=analysis.id)]
    for modality, fraction in analysis.progress.items():
        events.append(AnalysisEvent(event="started", analysis_id=analysis.id, modality=modality))
        events.append(
            AnalysisEvent(
                event="progress", analysis_id=analysis.id, modality=modality, fraction=fraction
            )
        )
    return events


def _finished(job: Job) -> JSONResponse:
    analysis = job.analysis
    if analysis.status is AnalysisStatus.failed and analysis.error is not None:
        # The same error body as every other error, with the analysis id for reference.
        return JSONResponse(
            status_code=job.failure_status,
            content=analysis.error.model_dump(),
            headers={"Location": f"/v1/analyses/{analysis.id}"},
        )
    return JSONResponse(status_code=200, content=analysis.model_dump(mode="json"))

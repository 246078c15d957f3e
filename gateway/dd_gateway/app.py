"""Gateway HTTP layer: upload, sniff, validate, queue, answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from dd_contracts import (
    Analysis,
    AnalysisAccepted,
    AnalysisStatus,
    MediaInfo,
    MediaKind,
    Modality,
    Readiness,
    ServiceStatus,
)
from dd_gateway import __version__
from dd_gateway.backends import FusionClient, ServiceClient
from dd_gateway.errors import GatewayError
from dd_gateway.jobs import Job, JobQueue, JobStore
from dd_gateway.runner import AnalysisRunner
from dd_gateway.settings import GatewaySettings
from dd_gateway.sniff import sniff
from dd_gateway.storage import MediaStore, too_large
from dd_gateway.validate import check_image_header
from dd_service_kit import base_app, current_request_id, error_responses

# Multipart framing around the file; a Content-Length beyond limit + this is refused early.
_MULTIPART_SLACK = 64 * 1024


def create_app(
    settings: GatewaySettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`transport` lets tests route the gateway's outgoing calls to in-process apps."""
    settings = settings or GatewaySettings()
    store = JobStore(settings.history_limit)
    media = MediaStore(settings.data_dir)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=64), transport=transport)
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
    queue = JobQueue(
        settings.max_running_jobs, settings.max_queued_jobs, AnalysisRunner(services, fusion)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        queue.start()
        yield
        await queue.stop()
        await http.aclose()

    app = base_app(
        service="gateway",
        version=__version__,
        settings=settings,
        description="DeepfakeDetective: upload a photo, voice clip or video; get a verdict "
        "with calibrated probabilities and the evidence behind it.",
        lifespan=lifespan,
    )
    app.state.jobs = store
    app.state.queue = queue

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

    @app.get(
        "/v1/services",
        response_model=list[ServiceStatus],
        operation_id="listServices",
        tags=["ops"],
    )
    async def list_services() -> list[ServiceStatus]:
        """Each backend service: reachable, ready (weights loaded) and its models."""
        statuses = await asyncio.gather(
            *(client.readiness() for client in services.values()), fusion.readiness()
        )
        return list(statuses)

    @app.get("/v1/model", response_model=Readiness, operation_id="getModels", tags=["ops"])
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

    @app.post(
        "/v1/analyses",
        operation_id="createAnalysis",
        tags=["analyses"],
        status_code=202,
        response_model=AnalysisAccepted,
        responses={
            200: {"model": Analysis, "description": "Finished analysis (with ?wait=true)"},
            **error_responses(400, 413, 415, 422, 503),
        },
    )
    async def create_analysis(
        request: Request,
        file: Annotated[UploadFile, File(description="Photo, voice clip or video")],
        wait: Annotated[bool, Query(description="Answer with the finished analysis")] = False,
    ) -> JSONResponse:
        """Upload a file for analysis. The media kind is detected from its bytes."""
        declared = request.headers.get("content-length")
        if (
            declared
            and declared.isdigit()
            and (int(declared) > settings.max_upload_bytes + _MULTIPART_SLACK)
        ):
            raise too_large(settings.max_upload_bytes)
        t0 = time.perf_counter()
        stored = await media.save(file, settings.max_upload_bytes)
        sniffed = sniff(stored.path, stored.head)
        if sniffed.kind is MediaKind.image:
            check_image_header(stored.path, settings.max_image_pixels)
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
                filename=file.filename,
            ),
            latencies_ms={"upload_and_sniff": round((time.perf_counter() - t0) * 1000, 2)},
        )
        job = Job(
            analysis=analysis,
            media_path=stored.path,
            filename=file.filename or "upload",
            request_id=request_id,
        )
        queue.submit(job)
        store.add(job)
        location = f"/v1/analyses/{analysis.id}"
        if wait:
            try:
                await asyncio.wait_for(job.done.wait(), timeout=settings.wait_timeout_s)
            except TimeoutError:
                pass
            else:
                return _finished(job)
        accepted = AnalysisAccepted(id=analysis.id, status=analysis.status, location=location)
        return JSONResponse(
            status_code=202,
            content=accepted.model_dump(mode="json"),
            headers={"Location": location},
        )

    @app.get(
        "/v1/analyses/{analysis_id}",
        response_model=Analysis,
        operation_id="getAnalysis",
        tags=["analyses"],
        responses=error_responses(404),
    )
    def get_analysis(analysis_id: str) -> Analysis:
        """The analysis document: queued, running (with progress), done or failed."""
        job = store.get(analysis_id)
        if job is None:
            raise GatewayError("No analysis with that id.", type="not_found", status_code=404)
        return job.analysis

    @app.get(
        "/v1/analyses",
        response_model=list[Analysis],
        operation_id="listAnalyses",
        tags=["analyses"],
    )
    def list_analyses(
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[Analysis]:
        """Recent analyses, newest first."""
        jobs = store.newest_first()[offset : offset + limit]
        return [job.analysis for job in jobs]

    return app


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

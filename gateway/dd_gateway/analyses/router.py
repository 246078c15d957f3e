"""/v1/analyses: parse, call one AnalysisService method, answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from dd_contracts import Analysis, AnalysisAccepted, AnalysisPage
from dd_contracts.hashing import sha256_file
from dd_gateway.analyses import lifecycle
from dd_gateway.analyses.pdf import render_pdf
from dd_gateway.analyses.report import render_html
from dd_gateway.analyses.repository import Job
from dd_gateway.analyses.schemas import (
    BINARY,
    CACHE_HEADER,
    IMMUTABLE,
    UPLOAD_BODY,
    CallbackUrl,
    Force,
    KindFilter,
    Limit,
    NameFilter,
    Offset,
    ReportFormat,
    VerdictFilter,
    Wait,
)
from dd_gateway.core.deps import AnalysesDep, ViewerDep, get_viewer
from dd_gateway.media.ranges import parse_range
from dd_service_kit import error_responses

router = APIRouter(prefix="/v1/analyses", tags=["analyses"], dependencies=[Depends(get_viewer)])
guarded = error_responses(401, 429)
MEDIA_CHUNK = 256 * 1024


@router.post(
    "",
    operation_id="createAnalysis",
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
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def create_analysis(
    request: Request,
    analyses: AnalysesDep,
    viewer: ViewerDep,
    wait: Wait = False,
    force: Force = False,
    callback_url: CallbackUrl = None,
) -> Response:
    """Upload a file (multipart field `file`) for analysis. The media kind is detected
    from its bytes. The upload is streamed to disk; past the size limit it is refused
    with 413 at once."""
    created = await analyses.create(
        request,
        viewer,
        wait=wait,
        force=force,
        callback_url=str(callback_url) if callback_url else None,
    )
    if created.cached is not None:
        return JSONResponse(
            status_code=200,
            content=created.cached.model_dump(mode="json"),
            headers={CACHE_HEADER: "hit", "Location": f"/v1/analyses/{created.cached.id}"},
        )
    if created.finished is not None:
        return _finished(created.finished)
    assert created.accepted is not None
    return JSONResponse(
        status_code=202,
        content=created.accepted.model_dump(mode="json"),
        headers={"Location": created.accepted.location},
    )


def _finished(job: Job) -> JSONResponse:
    analysis = job.analysis
    if analysis.error is not None and lifecycle.is_failed(analysis):
        # The same error body as every other error, with the analysis id for reference.
        return JSONResponse(
            status_code=job.failure_status,
            content=analysis.error.model_dump(),
            headers={"Location": f"/v1/analyses/{analysis.id}"},
        )
    return JSONResponse(status_code=200, content=analysis.model_dump(mode="json"))


@router.get(
    "",
    response_model=AnalysisPage,
    operation_id="listAnalyses",
    responses={
        200: {
            "description": "Newest first, as summaries. X-Total-Count: how many match.",
            "headers": {"X-Total-Count": {"schema": {"type": "integer"}}},
        },
        **guarded,
    },
)
def list_analyses(
    response: Response,
    analyses: AnalysesDep,
    viewer: ViewerDep,
    limit: Limit = 20,
    offset: Offset = 0,
    kind: KindFilter = None,
    verdict: VerdictFilter = None,
    q: NameFilter = None,
) -> AnalysisPage:
    """Past analyses as summaries (the document: GET /v1/analyses/{id}), newest first."""
    page = analyses.page(
        viewer, limit, offset, kind.value if kind else None, verdict.value if verdict else None, q
    )
    response.headers["X-Total-Count"] = str(page.total)
    return page


@router.get(
    "/{analysis_id}",
    response_model=Analysis,
    operation_id="getAnalysis",
    responses=error_responses(401, 404, 429),
)
def get_analysis(analysis_id: str, analyses: AnalysesDep, viewer: ViewerDep) -> Analysis:
    """The analysis document: queued, running (with progress), done or failed."""
    return analyses.get(analysis_id, viewer)


@router.delete(
    "/{analysis_id}",
    status_code=204,
    operation_id="deleteAnalysis",
    responses=error_responses(401, 404, 409, 429),
)
def delete_analysis(analysis_id: str, analyses: AnalysesDep, viewer: ViewerDep) -> Response:
    """Remove an analysis, its artifacts and its stored media (unless another analysis of
    the same bytes still needs them). A queued analysis is cancelled; a running one cannot
    be deleted until it ends (409)."""
    analyses.delete(analysis_id, viewer)
    return Response(status_code=204)


@router.get(
    "/{analysis_id}/events",
    operation_id="streamAnalysisEvents",
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
async def stream_events(
    analysis_id: str, analyses: AnalysesDep, viewer: ViewerDep
) -> StreamingResponse:
    """Follow an analysis live."""
    return StreamingResponse(
        analyses.follow(analysis_id, viewer),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{analysis_id}/report",
    operation_id="getAnalysisReport",
    response_model=Analysis,
    responses={
        200: {
            "description": "format=json: the document (as a download); format=html: a "
            "self-contained one-page report (prints to A4); format=pdf: the same as a PDF.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": BINARY,
            },
        },
        **error_responses(401, 404, 409, 429),
    },
)
def get_report(
    analysis_id: str, analyses: AnalysesDep, viewer: ViewerDep, format: ReportFormat = "html"
) -> Response:
    """Export a finished analysis: verdict, per-modality evidence, model versions."""
    analysis = analyses.finished(analysis_id, viewer)
    disposition = f'attachment; filename="analysis-{analysis.id}.{format}"'
    if format == "json":
        return Response(
            analysis.model_dump_json(indent=2),
            media_type="application/json",
            headers={"Content-Disposition": disposition},
        )
    if format == "pdf":
        return Response(
            render_pdf(analysis),
            media_type="application/pdf",
            headers={"Content-Disposition": disposition},
        )
    return HTMLResponse(render_html(analysis))


@router.get(
    "/{analysis_id}/artifacts/{name}",
    operation_id="getAnalysisArtifact",
    response_class=Response,
    responses={
        200: {
            "description": "An evidence picture (PNG or JPEG); immutable, cache forever.",
            "content": {"image/png": BINARY, "image/jpeg": BINARY},
            "headers": {"ETag": {"schema": {"type": "string"}}},
        },
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        **error_responses(401, 404, 429),
    },
)
def get_artifact(
    analysis_id: str,
    name: str,
    analyses: AnalysesDep,
    viewer: ViewerDep,
    if_none_match: str | None = Header(default=None, include_in_schema=False),
) -> Response:
    """A picture referenced by the document (spectrogram, video thumbnail, thumbnail)."""
    path = analyses.artifact(analysis_id, name, viewer)
    etag = f'"{sha256_file(path)[:32]}"'
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag}
    if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    media_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return Response(path.read_bytes(), media_type=media_type, headers=headers)


@router.get(
    "/{analysis_id}/media",
    operation_id="getAnalysisMedia",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The original upload, with its MIME type. Range: bytes=a-b is "
            "honoured (206).",
            "content": {"application/octet-stream": BINARY},
        },
        206: {
            "description": "The requested byte range (Content-Range).",
            "content": {"application/octet-stream": BINARY},
        },
        **error_responses(401, 404, 416, 429),
    },
)
def get_media(
    analysis_id: str,
    analyses: AnalysesDep,
    viewer: ViewerDep,
    range: str | None = Header(default=None, include_in_schema=False),
) -> StreamingResponse:
    """The original upload (the dashboard's player seeks in it)."""
    media = analyses.media_file(analysis_id, viewer)
    span = parse_range(range, media.size)
    first, last = span if span is not None else (0, media.size - 1)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(last - first + 1),
        "Cache-Control": "private, max-age=3600",
        # The bytes are the user's: never interpreted as a page of this origin.
        "Content-Security-Policy": "sandbox",
    }
    if span is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{media.size}"
    return StreamingResponse(
        _read(media.path, first, last),
        status_code=206 if span is not None else 200,
        media_type=media.mime,
        headers=headers,
    )


def _read(path: Path, first: int, last: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = handle.read(min(MEDIA_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk

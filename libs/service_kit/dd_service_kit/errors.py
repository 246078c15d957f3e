"""One error shape for every app: {"type", "detail", "request_id"}, from one handler."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dd_contracts import ErrorBody
from dd_inference import MediaRejected
from dd_service_kit.request_id import current_request_id

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error an app raises on purpose. Each app subclasses it once
    (GatewayError, FusionError, ...) and raises subclasses or instances of that."""

    status_code: int = 500
    type: str = "internal_error"

    def __init__(
        self,
        detail: str,
        *,
        type: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if type is not None:
            self.type = type
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}


def error_response(
    status_code: int, type: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(type=type, detail=detail, request_id=current_request_id())
    return JSONResponse(status_code=status_code, content=body.model_dump(), headers=headers)


_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "The request is invalid: " + "; ".join(parts) + "."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.type, exc.detail, exc.headers)

    @app.exception_handler(MediaRejected)
    async def _media_rejected(_: Request, exc: MediaRejected) -> JSONResponse:
        return error_response(exc.status_code, exc.type, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", _validation_sentence(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = _HTTP_TYPES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(exc.status_code, type_, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "An unexpected error occurred.")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error bodies a route can answer."""
    return {code: {"model": ErrorBody, "description": HTTPStatus(code).phrase} for code in codes}
